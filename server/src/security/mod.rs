//! Secrets and the operations on them: randomness (from the OS),
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
