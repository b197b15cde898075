//! Slugs: the stable, URL-safe names of flows and applications.
//! Built only by parsing or by deriving from a display name, so a slug in hand is always valid.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest slug we accept; long enough for any sensible name, short enough for a URL.
pub const MAX_SLUG_LEN: usize = 80;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("a slug cannot be empty")]
    Empty,
    #[error("a slug can be at most {MAX_SLUG_LEN} characters long")]
    TooLong,
    #[error(
        "a slug may contain only lower-case letters a-z, digits and single hyphens between them"
    )]
    BadCharacter,
}

/// A flow's slug: `[a-z0-9]+(-[a-z0-9]+)*`, at most [`MAX_SLUG_LEN`] characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FlowSlug(String);

impl FlowSlug {
    pub fn parse(raw: &str) -> Result<Self, SlugError> {
        if raw.is_empty() {
            return Err(SlugError::Empty);
        }
        if raw.len() > MAX_SLUG_LEN {
            return Err(SlugError::TooLong);
        }
        let well_formed = raw.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
        if !well_formed {
            return Err(SlugError::BadCharacter);
        }
        Ok(Self(raw.to_owned()))
    }

    /// Derives a slug from a display name: ASCII letters and digits kept (lower-cased), every other run of
    /// characters becomes one hyphen. `None` when nothing usable is left (a name of only symbols).
    pub fn from_name(name: &str) -> Option<Self> {
        let mut slug = String::with_capacity(name.len());
        for c in name.chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let trimmed: String = slug
            .trim_end_matches('-')
            .chars()
            .take(MAX_SLUG_LEN)
            .collect();
        Self::parse(trimmed.trim_end_matches('-')).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FlowSlug {
    type Error = SlugError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<FlowSlug> for String {
    fn from(slug: FlowSlug) -> Self {
        slug.0
    }
}

impl fmt::Display for FlowSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn well_formed_slugs_parse() {
        for ok in ["a", "order-status", "faq-2024", "x1-y2-z3"] {
            assert_eq!(
                FlowSlug::parse(ok).map(|s| s.to_string()),
                Ok(ok.to_owned())
            );
        }
    }

    #[test]
    fn malformed_slugs_are_refused_with_the_reason() {
        assert_eq!(FlowSlug::parse(""), Err(SlugError::Empty));
        assert_eq!(FlowSlug::parse(&"a".repeat(81)), Err(SlugError::TooLong));
        for bad in [
            "Upper",
            "two--hyphens",
            "-lead",
            "trail-",
            "sp ace",
            "semi;colon",
            "ünï",
            "../etc",
        ] {
            assert_eq!(FlowSlug::parse(bad), Err(SlugError::BadCharacter), "{bad}");
        }
    }

    #[test]
    fn a_display_name_becomes_a_readable_slug() {
        assert_eq!(
            FlowSlug::from_name("Order Status — Self-Service!").map(String::from),
            Some("order-status-self-service".into())
        );
        assert_eq!(
            FlowSlug::from_name("  Café 24/7 "),
            Some(FlowSlug("caf-24-7".into()))
        );
        assert_eq!(FlowSlug::from_name("¿¡!"), None);
    }

    proptest! {
        #[test]
        fn any_derived_slug_parses_again(name in "\\PC{0,120}") {
            if let Some(slug) = FlowSlug::from_name(&name) {
                prop_assert_eq!(FlowSlug::parse(slug.as_str()), Ok(slug.clone()));
            }
        }
    }
}
