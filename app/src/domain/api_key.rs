//! API keys: how systems (an SMS gateway, a CRM) make links without a console login. A key has a
//! name, scopes, optionally a set of applications it is limited to and an expiry. Its secret is
//! shown once, when it is made; the server keeps only a hash, and finds a key by the short prefix
//! the secret starts with (which the console lists, and which is no use without the rest).

use super::text::is_single_line;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumIter)]
pub enum ApiScope {
    LinksCreate,
    LinksRead,
    LinksRevoke,
    FlowsRead,
}

impl ApiScope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LinksCreate => "links:create",
            Self::LinksRead => "links:read",
            Self::LinksRevoke => "links:revoke",
            Self::FlowsRead => "flows:read",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        use strum::IntoEnumIterator;
        Self::iter().find(|s| s.as_str() == raw)
    }

    /// Every scope's name, for messages that list the choices.
    pub fn names() -> String {
        use strum::IntoEnumIterator;
        Self::iter()
            .map(Self::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// How a key is named where a console user's name would stand (who made a link, the audit log's
/// actor): `api-key:` and the key's prefix.
pub fn actor_name(prefix: &str) -> String {
    format!("{ACTOR_PREFIX}{prefix}")
}

/// What every API key's actor name starts with; no console user name can (names are letters,
/// digits, `.`, `_` and `-`).
pub const ACTOR_PREFIX: &str = "api-key:";

/// The longest name a key may have, in characters.
pub const MAX_KEY_NAME: usize = 100;

/// Characters of the prefix a secret starts with (after `fsk_`): how a key is found and listed.
pub const PREFIX_CHARS: usize = 8;

/// Characters of the secret part: 32 random bytes in unpadded base64url.
const SECRET_CHARS: usize = 43;

/// A key's secret as a caller sends it: `fsk_{prefix}_{secret}`. Its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiSecret(String);

impl ApiSecret {
    /// Accepts exactly the shape the server issues; anything else is no key.
    pub fn parse(raw: &str) -> Option<Self> {
        let rest = raw.strip_prefix("fsk_")?;
        let (prefix, secret) = rest.split_at_checked(PREFIX_CHARS)?;
        let secret = secret.strip_prefix('_')?;
        let base64url = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        (base64url(prefix) && base64url(secret) && secret.len() == SECRET_CHARS)
            .then(|| Self(raw.to_owned()))
    }

    /// Builds a secret from a drawn prefix and secret part.
    pub fn from_parts(prefix: &str, secret: &str) -> Option<Self> {
        Self::parse(&format!("fsk_{prefix}_{secret}"))
    }

    /// The prefix, by which the key is found.
    pub fn prefix(&self) -> &str {
        &self.0[4..4 + PREFIX_CHARS]
    }

    /// The whole secret, to show its owner once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiSecret(fsk_{}_…)", self.prefix())
    }
}

/// A key's name: what it is for ("SMS gateway"), one line, at most [`MAX_KEY_NAME`] characters.
pub fn parse_key_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_KEY_NAME || !is_single_line(name) {
        Err(format!(
            "A key's name is 1 to {MAX_KEY_NAME} characters on one line (got {raw:?})."
        ))
    } else {
        Ok(name.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    const SECRET: &str = "fsk_AbCd1234_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";

    #[test]
    fn a_secret_has_one_shape_and_shows_only_its_prefix_in_debug() {
        let secret = ApiSecret::parse(SECRET).expect("the issued shape");
        assert_eq!(secret.prefix(), "AbCd1234");
        assert_eq!(format!("{secret:?}"), "ApiSecret(fsk_AbCd1234_…)");
        assert_eq!(secret.expose(), SECRET);
        for bad in [
            "",
            "fsk_",
            "fsk_AbCd1234",
            "fsk_AbCd1234_short",
            "xyz_AbCd1234_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
            "fsk_AbCd12!4_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
            "fsk_AbCd1234_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH",
            "fsk_é€_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
        ] {
            assert_eq!(ApiSecret::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn scopes_round_trip_through_their_names() {
        for scope in ApiScope::iter() {
            assert_eq!(ApiScope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(ApiScope::parse("links:*"), None);
        assert_eq!(
            ApiScope::names(),
            "links:create, links:read, links:revoke, flows:read"
        );
    }

    #[test]
    fn key_names_are_one_short_line() {
        assert_eq!(parse_key_name("  SMS gateway "), Ok("SMS gateway".into()));
        assert!(parse_key_name("").is_err());
        assert!(parse_key_name("a\nb").is_err());
        assert!(parse_key_name(&"x".repeat(MAX_KEY_NAME + 1)).is_err());
    }
}
