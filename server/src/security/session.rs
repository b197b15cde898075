//! Session tokens: 256 random bits handed to the browser; the database stores only an HMAC of
//! each, keyed with the cookie secret, so a leaked database row cannot be replayed as a cookie.

use app::ports::SessionToken;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

#[derive(Clone)]
pub struct SessionKey([u8; 32]);

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(…)")
    }
}

impl SessionKey {
    /// Derives the key from the configured cookie secret (any length; hashed to 256 bits).
    pub fn from_secret(secret: &str) -> Self {
        Self(Sha256::digest(secret.as_bytes()).into())
    }

    pub fn random() -> Result<Self, getrandom::Error> {
        super::random_bytes().map(Self)
    }

    pub fn new_token(&self) -> Result<SessionToken, getrandom::Error> {
        super::random_bytes::<32>().map(|bytes| SessionToken(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// The form a token is stored and looked up in.
    pub fn token_hash(&self, token: &SessionToken) -> String {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(token.0.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// A key of its own for `purpose`, derived from this one (what signs device cookies): no
    /// value computed with it for one use can stand in for another's.
    pub(super) fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(b"flowshare key for ");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_distinct() {
        let key = SessionKey::random().expect("os randomness");
        let (a, b) = (
            key.new_token().expect("token"),
            key.new_token().expect("token"),
        );
        assert_ne!(a, b);
        assert_eq!(a.0.len(), 43, "256 bits in unpadded base64url");
    }

    #[test]
    fn the_stored_hash_depends_on_the_secret() {
        let token = SessionToken("t".into());
        let (one, other) = (
            SessionKey::from_secret("one"),
            SessionKey::from_secret("other"),
        );
        assert_eq!(one.token_hash(&token), one.token_hash(&token));
        assert_ne!(one.token_hash(&token), other.token_hash(&token));
        assert_ne!(one.token_hash(&token), token.0);
    }

    #[test]
    fn debug_output_hides_the_key() {
        assert_eq!(
            format!("{:?}", SessionKey::from_secret("s3cret")),
            "SessionKey(…)"
        );
    }
}
