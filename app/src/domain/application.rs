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
    /// What chat apps show under this flow's links through this application.
    pub preview: crate::domain::link_pages::LinkPreview,
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

/// The largest limits a form accepts: beyond these a number is a typing mistake, not a setting.
pub const MAX_INVOCATIONS: u32 = 1_000_000;
pub const MAX_EXPIRY_AMOUNT: u32 = 10_000;

/// One application's protection as the Access Protection form sends it, before checking.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtectionForm {
    pub application: String,
    /// "open" or "protected".
    pub access: String,
    /// Empty: unlimited.
    #[serde(default)]
    pub invocations: String,
    /// Empty: never expires.
    #[serde(default)]
    pub expiry_amount: String,
    #[serde(default)]
    pub expiry_unit: String,
    /// Present (any value) when the checkbox is ticked.
    #[serde(default)]
    pub validate_params: Option<String>,
}

/// A field of the form that was refused, with the message shown beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProtectionField {
    Access,
    Invocations,
    Expiry,
}

impl ProtectionField {
    pub fn code(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Invocations => "invocations",
            Self::Expiry => "expiry",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Access, Self::Invocations, Self::Expiry]
            .into_iter()
            .find(|f| f.code() == code)
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::Access => "Choose Open or Protected.",
            Self::Invocations => {
                "Allowed invocations: a whole number from 1 to 1,000,000, or empty for unlimited."
            }
            Self::Expiry => {
                "URL expiration: a whole number from 1 to 10,000 and a unit, or empty for never."
            }
        }
    }
}

impl ProtectionForm {
    /// Checks the form; every refused field is named.
    pub fn parse(&self) -> Result<AccessProtection, Vec<ProtectionField>> {
        let whole = |raw: &str, max: u32| {
            raw.trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=max).contains(n))
        };
        match self.access.as_str() {
            "open" => Ok(AccessProtection::Open),
            "protected" => {
                let mut faults = Vec::new();
                let invocations = self.invocations.trim();
                let allowed_invocations = if invocations.is_empty() {
                    None
                } else {
                    whole(invocations, MAX_INVOCATIONS).or_else(|| {
                        faults.push(ProtectionField::Invocations);
                        None
                    })
                };
                let amount = self.expiry_amount.trim();
                let expiry = if amount.is_empty() {
                    None
                } else {
                    match (
                        whole(amount, MAX_EXPIRY_AMOUNT),
                        ExpiryUnit::parse(&self.expiry_unit),
                    ) {
                        (Some(amount), Some(unit)) => Some(Expiry { amount, unit }),
                        _ => {
                            faults.push(ProtectionField::Expiry);
                            None
                        }
                    }
                };
                if faults.is_empty() {
                    Ok(AccessProtection::Protected {
                        allowed_invocations,
                        expiry,
                        validate_params: self.validate_params.is_some(),
                    })
                } else {
                    Err(faults)
                }
            }
            _ => Err(vec![ProtectionField::Access]),
        }
    }
}

#[cfg(test)]
mod form_tests {
    use super::*;

    fn form(
        access: &str,
        invocations: &str,
        amount: &str,
        unit: &str,
        validate: bool,
    ) -> ProtectionForm {
        ProtectionForm {
            application: "a".into(),
            access: access.into(),
            invocations: invocations.into(),
            expiry_amount: amount.into(),
            expiry_unit: unit.into(),
            validate_params: validate.then(|| "on".into()),
        }
    }

    #[test]
    fn a_filled_in_form_becomes_a_protection() {
        assert_eq!(
            form("protected", "2", "1", "days", true).parse(),
            Ok(AccessProtection::Protected {
                allowed_invocations: Some(2),
                expiry: Some(Expiry {
                    amount: 1,
                    unit: ExpiryUnit::Days
                }),
                validate_params: true
            })
        );
        assert_eq!(
            form("protected", " ", "", "weeks", false).parse(),
            Ok(AccessProtection::Protected {
                allowed_invocations: None,
                expiry: None,
                validate_params: false
            })
        );
        assert_eq!(
            form("open", "junk", "junk", "", false).parse(),
            Ok(AccessProtection::Open),
            "ignored when open"
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        assert_eq!(
            form("protected", "0", "", "", true).parse(),
            Err(vec![ProtectionField::Invocations])
        );
        assert_eq!(
            form("protected", "2.5", "3", "fortnights", true).parse(),
            Err(vec![ProtectionField::Invocations, ProtectionField::Expiry])
        );
        assert_eq!(
            form("protected", "", "10001", "days", true).parse(),
            Err(vec![ProtectionField::Expiry])
        );
        assert_eq!(
            form("sealed", "", "", "", true).parse(),
            Err(vec![ProtectionField::Access])
        );
        assert_eq!(
            form("protected", "-1", "", "", true).parse(),
            Err(vec![ProtectionField::Invocations])
        );
    }
}
