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

/// A key to make, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiKey {
    pub name: String,
    pub scopes: Vec<ApiScope>,
    /// Empty: every application.
    pub applications: Vec<super::FlowSlug>,
    /// Unix milliseconds; `None`: never.
    pub expires_at: Option<i64>,
}

/// The longest a key may be made to last, in days.
pub const MAX_KEY_DAYS: u32 = 3_650;

impl NewApiKey {
    /// A key as the console's form (or the command line) describes it: each field checked, each
    /// refusal a sentence naming the field.
    pub fn parse(
        name: &str,
        scopes: &[String],
        applications: &[String],
        expires_days: Option<u32>,
        now_millis: i64,
    ) -> Result<Self, String> {
        let name = parse_key_name(name)?;
        let mut parsed = Vec::new();
        for scope in scopes {
            let scope = ApiScope::parse(scope.trim()).ok_or_else(|| {
                format!(
                    "{scope:?} is not a scope; the scopes are {}.",
                    ApiScope::names()
                )
            })?;
            if !parsed.contains(&scope) {
                parsed.push(scope);
            }
        }
        if parsed.is_empty() {
            return Err(format!(
                "Give the key at least one scope: {}.",
                ApiScope::names()
            ));
        }
        let mut limited = Vec::new();
        for application in applications
            .iter()
            .map(|a| a.trim())
            .filter(|a| !a.is_empty())
        {
            let slug = super::FlowSlug::parse(application)
                .map_err(|_| format!("There is no application {application:?}."))?;
            if !limited.contains(&slug) {
                limited.push(slug);
            }
        }
        let expires_at = match expires_days {
            None => None,
            Some(days @ 1..=MAX_KEY_DAYS) => Some(now_millis + i64::from(days) * 86_400_000),
            Some(days) => {
                return Err(format!(
                "A key lasts 1 to {MAX_KEY_DAYS} days, or leave it empty for never (got {days})."
            ))
            }
        };
        Ok(Self {
            name,
            scopes: parsed,
            applications: limited,
            expires_at,
        })
    }
}

/// A key as the console lists it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeySummary {
    pub prefix: String,
    pub name: String,
    pub scopes: Vec<ApiScope>,
    /// Empty: every application.
    pub applications: Vec<String>,
    pub created_by: String,
    /// Unix milliseconds, as are the rest.
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
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
    fn a_new_key_is_checked_field_by_field() {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let key = NewApiKey::parse(
            " SMS gateway ",
            &strings(&["links:create", "links:read", "links:create"]),
            &strings(&["help-centre", ""]),
            Some(30),
            1_000,
        )
        .expect("valid");
        assert_eq!(key.name, "SMS gateway");
        assert_eq!(key.scopes, [ApiScope::LinksCreate, ApiScope::LinksRead]);
        assert_eq!(key.applications[0].as_str(), "help-centre");
        assert_eq!(key.expires_at, Some(1_000 + 30 * 86_400_000));
        let refused = |scopes: &[&str], apps: &[&str], days| {
            NewApiKey::parse("k", &strings(scopes), &strings(apps), days, 0).unwrap_err()
        };
        assert!(refused(&[], &[], None).contains("at least one scope"));
        assert!(refused(&["links:*"], &[], None).contains("\"links:*\" is not a scope"));
        assert!(refused(&["flows:read"], &["Help Centre"], None).contains("no application"));
        assert!(refused(&["flows:read"], &[], Some(0)).contains("1 to 3650 days"));
    }

    #[test]
    fn key_names_are_one_short_line() {
        assert_eq!(parse_key_name("  SMS gateway "), Ok("SMS gateway".into()));
        assert!(parse_key_name("").is_err());
        assert!(parse_key_name("a\nb").is_err());
        assert!(parse_key_name(&"x".repeat(MAX_KEY_NAME + 1)).is_err());
    }
}
