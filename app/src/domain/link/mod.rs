//! A shared link: its address (`address`), what it is called where its id must not go
//! (`reference`), why opening it can be refused, and filling in its variables. Refusals say what
//! happened in plain words and nothing that would help forge a token.

mod address;
mod finding;
mod reference;
mod state;

pub use address::*;
pub use finding::{Altered, Finding};
pub use reference::LinkRef;
pub use state::LinkState;

use super::link_pages::EndingKind;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::EnumIter)]
pub enum LinkRefusal {
    /// Altered or made up: any part of it does not match what was generated.
    NotValid,
    /// Revoked, or its application's key was regenerated.
    Disabled,
    Expired,
    /// It allowed a number of starts, and they have all been used.
    UsedUp,
    /// The flow no longer exists or is no longer published and approved.
    FlowUnavailable,
    /// Starts came too fast (from this client, or for this link); nothing was counted.
    TooManyStarts,
    /// The server could not look the link (or its run) up just now: nothing was counted or
    /// changed, and trying again shortly may work.
    Unavailable,
}

impl LinkRefusal {
    /// A stable code for a page's address (`/refused/{code}`): a closed set, never free text.
    pub fn code(self) -> &'static str {
        match self {
            Self::NotValid => "not-valid",
            Self::Disabled => "disabled",
            Self::Expired => "expired",
            Self::UsedUp => "used-up",
            Self::FlowUnavailable => "flow-unavailable",
            Self::TooManyStarts => "too-many-starts",
            Self::Unavailable => "unavailable",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        use strum::IntoEnumIterator;
        Self::iter().find(|r| r.code() == code)
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::NotValid => "This link is not valid",
            Self::Disabled => "This link has been disabled",
            Self::Expired => "This link has expired",
            Self::UsedUp => "This link has been used up",
            Self::FlowUnavailable => "This flow is not available",
            Self::TooManyStarts => "Too many starts right now",
            Self::Unavailable => "This flow cannot be opened right now",
        }
    }

    /// The ending this refusal is, if it is one: only refusals of a real link that worked once.
    /// "Not valid" never is: a forger learns nothing about the application it tried.
    pub fn ending(self) -> Option<EndingKind> {
        match self {
            Self::Expired => Some(EndingKind::Expired),
            Self::UsedUp => Some(EndingKind::UsedUp),
            Self::Disabled => Some(EndingKind::Disabled),
            Self::FlowUnavailable => Some(EndingKind::Withdrawn),
            Self::NotValid | Self::TooManyStarts | Self::Unavailable => None,
        }
    }

    pub fn explanation(self) -> &'static str {
        match self {
            Self::NotValid => "The link may have been copied incompletely or changed. Ask whoever sent it for a new one.",
            Self::Disabled => "Whoever shared it has switched it off. Ask them for a new link if you still need it.",
            Self::Expired => "Links like this one work only for a limited time. Ask whoever sent it for a new one.",
            Self::UsedUp => "It could be used only a limited number of times, and it has been. Ask whoever sent it for a new one.",
            Self::FlowUnavailable => "It may have been withdrawn or is being updated. Please try again later.",
            Self::TooManyStarts => "This flow was started too often in a short time, from here or through this link. Please wait a minute and try again.",
            Self::Unavailable => "Something kept the server from answering. Nothing was lost; please try again in a moment.",
        }
    }
}

/// What decides whether a link still lets its flow run, besides its expiry and its count of
/// starts (its own, checked where they are counted): read from the store with the link.
#[derive(Debug, Clone, Copy)]
pub struct Standing<'a> {
    pub revoked: bool,
    /// The application's key version the link was signed with, and the application's now.
    pub key_version: i64,
    pub current_key_version: i64,
    pub flow_type: &'a str,
    pub publication: &'a str,
    pub approval: &'a str,
}

impl Standing<'_> {
    /// The rule, stated once: not revoked, its key not regenerated, and its flow an Interaction
    /// flow still published and approved. The store's writes say the same in SQL, from one
    /// function of the server's (`links::open::still_runs_sql`).
    pub fn still_runs(&self) -> Result<(), LinkRefusal> {
        if self.revoked || self.key_version != self.current_key_version {
            return Err(LinkRefusal::Disabled);
        }
        let shareable = self.flow_type == crate::domain::FlowType::Interaction.as_str()
            && self.publication == crate::domain::PublicationStatus::Published.as_str()
            && self.approval == crate::domain::ApprovalStatus::Approved.as_str();
        if shareable {
            Ok(())
        } else {
            Err(LinkRefusal::FlowUnavailable)
        }
    }
}

/// Replaces `{{name}}` with the variable's value; unknown names become empty. The result is text:
/// the page renders it as a text node, never as HTML.
pub fn fill_in(text: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                out.push_str(&lookup(after[..end].trim()).unwrap_or_default());
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_runs_while_it_is_live_its_key_current_and_its_flow_published_and_approved() {
        let live = Standing {
            revoked: false,
            key_version: 2,
            current_key_version: 2,
            flow_type: "interaction",
            publication: "published",
            approval: "approved",
        };
        assert_eq!(live.still_runs(), Ok(()));
        let revoked = Standing {
            revoked: true,
            ..live
        };
        assert_eq!(revoked.still_runs(), Err(LinkRefusal::Disabled));
        let rekeyed = Standing {
            current_key_version: 3,
            ..live
        };
        assert_eq!(rekeyed.still_runs(), Err(LinkRefusal::Disabled));
        for withdrawn in [
            Standing {
                publication: "draft",
                ..live
            },
            Standing {
                approval: "rejected",
                ..live
            },
            Standing {
                flow_type: "bot",
                ..live
            },
        ] {
            assert_eq!(withdrawn.still_runs(), Err(LinkRefusal::FlowUnavailable));
        }
    }

    #[test]
    fn every_refusal_has_a_code_that_parses_back() {
        use strum::IntoEnumIterator;
        for refusal in LinkRefusal::iter() {
            assert_eq!(LinkRefusal::parse(refusal.code()), Some(refusal));
        }
        assert_eq!(LinkRefusal::parse("whatever"), None);
    }

    #[test]
    fn a_real_link_that_ended_has_a_way_forward_and_a_forged_one_never() {
        use strum::IntoEnumIterator;
        let endings: Vec<(LinkRefusal, EndingKind)> = LinkRefusal::iter()
            .filter_map(|refusal| Some((refusal, refusal.ending()?)))
            .collect();
        assert_eq!(
            endings,
            [
                (LinkRefusal::Disabled, EndingKind::Disabled),
                (LinkRefusal::Expired, EndingKind::Expired),
                (LinkRefusal::UsedUp, EndingKind::UsedUp),
                (LinkRefusal::FlowUnavailable, EndingKind::Withdrawn),
            ]
        );
        assert_eq!(LinkRefusal::NotValid.ending(), None);
    }

    #[test]
    fn variables_are_filled_in_and_unknown_ones_left_empty() {
        let lookup = |name: &str| (name == "name").then(|| "Ada <b>".to_owned());
        assert_eq!(
            fill_in("Hello {{name}}, {{ name }}!", lookup),
            "Hello Ada <b>, Ada <b>!"
        );
        assert_eq!(fill_in("{{missing}}x", lookup), "x");
        assert_eq!(fill_in("no braces {{ open", lookup), "no braces {{ open");
        assert_eq!(fill_in("", lookup), "");
    }
}
