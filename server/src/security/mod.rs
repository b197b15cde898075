//! Secrets and the operations on them: randomness (from the OS, and per thread for nonces),
//! password hashing, session-token hashing, device cookies; and the limits that keep clients
//! from trying them (or anything else) too often.
//! Every secret type here has a `Debug` that prints nothing of the secret.

pub mod device;
pub mod limits;
pub mod password;
pub mod session;
pub mod throttle;

/// `N` bytes from the operating system's CSPRNG: for keys, ids and tokens that outlive a response.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf)?;
    Ok(buf)
}

/// A fresh nonce for one page's scripts: 128 bits in base64url from the thread's CSPRNG
/// (`rand`'s ChaCha12, seeded and reseeded from the operating system), not the operating
/// system's directly: a system call per page showed in the link-open benchmark. (Should the
/// operating system's source fail when a thread first draws from it, `rand` panics and that one
/// request's connection is dropped.)
pub fn nonce() -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}
