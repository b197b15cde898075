//! Applications are the doors a shared link goes through (a web page or an embeddable widget),
//! and each flow-and-application pair has an access protection that governs its links.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApplicationKind {
    WebPage,
    Widget,
}

impl ApplicationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WebPage => "web_page",
            Self::Widget => "widget",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "web_page" => Some(Self::WebPage),
            "widget" => Some(Self::Widget),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::WebPage => "Web page",
            Self::Widget => "Embeddable widget",
        }
    }

    /// Only widgets are meant to live inside someone else's page, so only they get Embed code.
    pub fn embeddable(self) -> bool {
        self == Self::Widget
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpiryUnit {
    Minutes,
    Hours,
    Days,
    Weeks,
}

impl ExpiryUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minutes => "minutes",
            Self::Hours => "hours",
            Self::Days => "days",
            Self::Weeks => "weeks",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "minutes" => Some(Self::Minutes),
            "hours" => Some(Self::Hours),
            "days" => Some(Self::Days),
            "weeks" => Some(Self::Weeks),
            _ => None,
        }
    }

    fn seconds(self) -> u64 {
        match self {
            Self::Minutes => 60,
            Self::Hours => 3_600,
            Self::Days => 86_400,
            Self::Weeks => 604_800,
        }
    }
}

/// How long a protected link lives after it is generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expiry {
    pub amount: u32,
    pub unit: ExpiryUnit,
}

impl Expiry {
    pub fn as_millis(self) -> i64 {
        (u64::from(self.amount) * self.unit.seconds() * 1_000) as i64
    }
}

impl fmt::Display for Expiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = self.unit.as_str();
        // "1 days" reads badly; drop the plural s for one.
        let unit = if self.amount == 1 {
            &unit[..unit.len() - 1]
        } else {
            unit
        };
        write!(f, "{} {unit}", self.amount)
    }
}

/// The access protection of one flow for one application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccessProtection {
    /// Links carry no token; recipients may change parameters; they still die with the key.
    Open,
    Protected {
        /// `None` means unlimited.
        allowed_invocations: Option<u32>,
        /// `None` means the link never expires.
        expiry: Option<Expiry>,
        /// When on, changing any URL parameter makes the link unusable.
        validate_params: bool,
    },
}

impl AccessProtection {
    pub fn is_protected(self) -> bool {
        matches!(self, Self::Protected { .. })
    }

    /// One line for the Details tab and the Share dialog.
    pub fn summary(self) -> String {
        match self {
            Self::Open => "Open: links carry no token and recipients may change parameters.".into(),
            Self::Protected {
                allowed_invocations,
                expiry,
                validate_params,
            } => {
                let expiry =
                    expiry.map_or("never expires".to_owned(), |e| format!("expires after {e}"));
                let invocations =
                    allowed_invocations.map_or("unlimited invocations".to_owned(), |n| {
                        if n == 1 {
                            "1 invocation".to_owned()
                        } else {
                            format!("{n} invocations")
                        }
                    });
                let params = if validate_params {
                    "URL parameters validated"
                } else {
                    "URL parameters may change"
                };
                format!("Protected: {expiry}, {invocations}, {params}.")
            }
        }
    }
}

/// One application available to a flow, with that pair's protection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Availability {
    pub application_slug: String,
    pub application_name: String,
    pub kind: ApplicationKind,
    pub base_url: String,
    pub protection: AccessProtection,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protection_summaries_read_as_sentences() {
        assert!(AccessProtection::Open.summary().starts_with("Open"));
        let p = AccessProtection::Protected {
            allowed_invocations: Some(2),
            expiry: Some(Expiry {
                amount: 1,
                unit: ExpiryUnit::Days,
            }),
            validate_params: true,
        };
        assert_eq!(
            p.summary(),
            "Protected: expires after 1 day, 2 invocations, URL parameters validated."
        );
        let unlimited = AccessProtection::Protected {
            allowed_invocations: None,
            expiry: None,
            validate_params: false,
        };
        assert_eq!(
            unlimited.summary(),
            "Protected: never expires, unlimited invocations, URL parameters may change."
        );
    }

    #[test]
    fn expiry_converts_to_milliseconds() {
        assert_eq!(
            Expiry {
                amount: 2,
                unit: ExpiryUnit::Hours
            }
            .as_millis(),
            7_200_000
        );
        assert_eq!(
            Expiry {
                amount: u32::MAX,
                unit: ExpiryUnit::Weeks
            }
            .as_millis(),
            2_597_596_220_016_000_000
        );
    }

    #[test]
    fn only_widgets_are_embeddable() {
        assert!(ApplicationKind::Widget.embeddable());
        assert!(!ApplicationKind::WebPage.embeddable());
        assert_eq!(
            ApplicationKind::parse("widget"),
            Some(ApplicationKind::Widget)
        );
        assert_eq!(ApplicationKind::parse("iframe"), None);
    }
}
