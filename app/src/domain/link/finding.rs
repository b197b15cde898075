//! What the link inspector finds about a pasted link: whether it opens now and, if not, exactly
//! why, in the same order the link's own check goes (`LinkRefusal` is what a recipient is told;
//! a finding is what support staff need to answer "my link doesn't work").

use serde::{Deserialize, Serialize};

/// Whether a link opens now, and why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Finding {
    Opens,
    /// Not a link of this server: not a link's address at all, or no link has this id or code.
    Unknown,
    /// A real link's address, changed. Which part is said to admins only (`None` for others).
    NotValid(Option<Altered>),
    /// Revoked, at (Unix milliseconds); `short`: pasted as its short link, which then answers
    /// that it does not exist.
    Revoked {
        at: i64,
        short: bool,
    },
    /// Its application's key was regenerated after it was made.
    KeyRegenerated {
        link_version: i64,
        current: i64,
    },
    /// Its flow is no longer published and approved (or cannot be read).
    Withdrawn,
    /// Expired, at (Unix seconds).
    Expired {
        at: i64,
    },
    /// Every allowed start was used.
    UsedUp {
        allowed: i64,
    },
}

/// Which part of a real link's address was changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Altered {
    /// The address does not follow the links' grammar (cut short, say).
    Malformed,
    /// The application or flow in its path is not the link's.
    ApplicationOrFlow,
    /// Its key version (`fs_kv`).
    KeyVersion,
    /// A protected link's token was taken off.
    TokenRemoved,
    /// An open link was given a token.
    TokenAdded,
    /// These parameters' values (or presence) differ from what was signed.
    Parameters(Vec<String>),
    /// The signed parameters are all there, in another order.
    ParameterOrder,
    /// Its expiry (`fs_exp`).
    Expiry,
    /// Its signature (`fs_sig`).
    Signature,
}

impl Finding {
    /// A short label for the finding's badge.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Opens => "Opens",
            Self::Unknown => "Not a link of this server",
            Self::NotValid(_) => "Not valid",
            Self::Revoked { .. } => "Revoked",
            Self::KeyRegenerated { .. } => "Disabled by a key regeneration",
            Self::Withdrawn => "Flow withdrawn",
            Self::Expired { .. } => "Expired",
            Self::UsedUp { .. } => "Used up",
        }
    }

    /// The finding as one sentence for support staff; times by `when` (Unix milliseconds to text).
    pub fn sentence(&self, when: impl Fn(i64) -> String) -> String {
        match self {
            Self::Opens => "This link opens: a recipient sees its flow's first step.".into(),
            Self::Unknown => "No link of this server has this address: check that it was pasted whole, from this server.".into(),
            Self::NotValid(None) => "This is a real link's address, changed: recipients are told it is not valid. Ask for the link as it was sent.".into(),
            Self::NotValid(Some(part)) => format!(
                "This is a real link's address, changed: recipients are told it is not valid. {}",
                part.sentence()
            ),
            Self::Revoked { at, short: false } => format!("This link was revoked on {}.", when(*at)),
            Self::Revoked { at, short: true } => format!(
                "This link was revoked on {}: its short link now answers that it does not exist.",
                when(*at)
            ),
            Self::KeyRegenerated { link_version, current } => format!(
                "Its application's key was regenerated after it was made (the link has key version {link_version}, the application {current}). Make a new link."
            ),
            Self::Withdrawn => "Its flow is not available: no longer published and approved, or its definition cannot be read.".into(),
            Self::Expired { at } => format!("This link expired on {}.", when(at.saturating_mul(1_000))),
            Self::UsedUp { allowed } => format!(
                "All {allowed} allowed start{} of this link were used.",
                if *allowed == 1 { "" } else { "s" }
            ),
        }
    }
}

impl Altered {
    pub fn sentence(&self) -> String {
        match self {
            Self::Malformed => {
                "The address is not whole: part of it is missing or was changed.".into()
            }
            Self::ApplicationOrFlow => {
                "The application or flow in its path is not the link's own.".into()
            }
            Self::KeyVersion => "Its key version (fs_kv) was changed.".into(),
            Self::TokenRemoved => "Its signature (fs_sig) was taken off.".into(),
            Self::TokenAdded => "An open link was given a signature it never had.".into(),
            Self::Parameters(names) => format!(
                "These parameters differ from what was signed: {}.",
                names.join(", ")
            ),
            Self::ParameterOrder => {
                "Its parameters were put in another order: signed parameters keep theirs.".into()
            }
            Self::Expiry => "Its expiry (fs_exp) was changed.".into(),
            Self::Signature => "Its signature (fs_sig) was changed.".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_admins_finding_names_the_changed_part() {
        let when = |ms: i64| format!("{ms}ms");
        let to_admin = Finding::NotValid(Some(Altered::Parameters(vec!["customer".into()])));
        assert!(to_admin
            .sentence(when)
            .ends_with("These parameters differ from what was signed: customer."));
        let to_others = Finding::NotValid(None);
        assert!(!to_others.sentence(when).contains("parameter"));
        assert_eq!(
            Finding::Expired { at: 2 }.sentence(when),
            "This link expired on 2000ms."
        );
        assert_eq!(
            Finding::UsedUp { allowed: 1 }.sentence(when),
            "All 1 allowed start of this link were used."
        );
    }
}
