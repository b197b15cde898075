//! The audit log: who generated, revoked, regenerated, changed or reviewed what, and when.

use serde::{Deserialize, Serialize};
use strum::IntoEnumIterator;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::EnumIter)]
pub enum AuditAction {
    LinkGenerated,
    FlowPublished,
    FlowApproved,
    FlowRejected,
    KeyRegenerated,
    LinkRevoked,
    ProtectionChanged,
    ApplicationSaved,
    ApiKeyCreated,
    ApiKeyRevoked,
    CampaignSaved,
    CampaignDeleted,
    LinkPagesSaved,
    LinkInspected,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LinkGenerated => "link.generated",
            Self::FlowPublished => "flow.published",
            Self::FlowApproved => "flow.approved",
            Self::FlowRejected => "flow.rejected",
            Self::KeyRegenerated => "key.regenerated",
            Self::LinkRevoked => "link.revoked",
            Self::ProtectionChanged => "protection.changed",
            Self::ApplicationSaved => "application.saved",
            Self::ApiKeyCreated => "api_key.created",
            Self::ApiKeyRevoked => "api_key.revoked",
            Self::CampaignSaved => "campaign.saved",
            Self::CampaignDeleted => "campaign.deleted",
            Self::LinkPagesSaved => "link_pages.saved",
            Self::LinkInspected => "link.inspected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::iter().find(|a| a.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::LinkGenerated => "Link generated",
            Self::FlowPublished => "Flow published",
            Self::FlowApproved => "Flow approved",
            Self::FlowRejected => "Flow rejected",
            Self::KeyRegenerated => "Key regenerated",
            Self::LinkRevoked => "Link revoked",
            Self::ProtectionChanged => "Access protection changed",
            Self::ApplicationSaved => "Application saved",
            Self::ApiKeyCreated => "API key created",
            Self::ApiKeyRevoked => "API key revoked",
            Self::CampaignSaved => "Campaign saved",
            Self::CampaignDeleted => "Campaign deleted",
            Self::LinkPagesSaved => "Link pages saved",
            Self::LinkInspected => "Link inspected",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    pub actor: String,
    pub action: AuditAction,
    pub subject: String,
    pub detail: String,
}

/// One page of the audit log, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub page: u32,
    /// Whether older entries follow.
    pub more: bool,
}

pub const AUDIT_PAGE_SIZE: u32 = 50;
pub const MAX_REVIEW_COMMENT: usize = 1_000;

/// A reviewer's decision on a published flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "approve" => Some(Self::Approve),
            "reject" => Some(Self::Reject),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_through_their_stored_names() {
        for action in AuditAction::iter() {
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
        }
        assert_eq!(AuditAction::parse("flow.deleted"), None);
        assert_eq!(Decision::parse("approve"), Some(Decision::Approve));
        assert_eq!(Decision::parse("maybe"), None);
    }
}

/// Why an action on a flow's Details tab (publish, review, revoke) was refused. A closed set, so a
/// plain form can be sent back to the page with a code (never with free text someone could put in a URL).
///
/// Every variant is listed by `strum::EnumIter`, never by hand: a hand-kept list once missed three
/// variants, and their refusals reached the page with no message at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::EnumIter)]
pub enum DetailsProblem {
    AlreadyPublished,
    NotPublished,
    CommentRequired,
    CommentTooLong,
    CommentControlCharacter,
    NoSuchFlow,
    NoSuchLink,
    NotYourLink,
    AlreadyRevoked,
    NoSuchCampaign,
    NotYourCampaign,
}

impl DetailsProblem {
    pub fn code(self) -> &'static str {
        match self {
            Self::AlreadyPublished => "already-published",
            Self::NotPublished => "not-published",
            Self::CommentRequired => "comment-required",
            Self::CommentTooLong => "comment-too-long",
            Self::CommentControlCharacter => "comment-control-character",
            Self::NoSuchFlow => "no-such-flow",
            Self::NoSuchLink => "no-such-link",
            Self::NotYourLink => "not-your-link",
            Self::AlreadyRevoked => "already-revoked",
            Self::NoSuchCampaign => "no-such-campaign",
            Self::NotYourCampaign => "not-your-campaign",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::iter().find(|p| p.code() == code)
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::AlreadyPublished => "This flow is already published.",
            Self::NotPublished => "Only published flows can be reviewed. Publish it first.",
            Self::CommentRequired => "Say why the flow is rejected: the comment is required.",
            Self::CommentTooLong => "A comment can be at most 1,000 characters long.",
            Self::CommentControlCharacter => {
                "A comment may hold line breaks and tabs, but no other control characters."
            }
            Self::NoSuchFlow => "There is no such flow.",
            Self::NoSuchLink => "There is no such link.",
            Self::NotYourLink => "Publishers can revoke only the links they generated themselves.",
            Self::AlreadyRevoked => "This link is already revoked.",
            Self::NoSuchCampaign => "There is no such campaign (it may have been deleted).",
            Self::NotYourCampaign => {
                "Publishers can delete only the campaigns they saved themselves."
            }
        }
    }
}

#[cfg(test)]
mod problem_tests {
    use super::*;

    #[test]
    fn every_problem_round_trips_through_its_code_and_has_its_own_message() {
        let mut codes = std::collections::HashSet::new();
        let mut messages = std::collections::HashSet::new();
        for problem in DetailsProblem::iter() {
            assert_eq!(DetailsProblem::parse(problem.code()), Some(problem));
            assert!(codes.insert(problem.code()), "{problem:?} shares its code");
            assert!(
                messages.insert(problem.message()),
                "{problem:?} shares its message"
            );
        }
        assert_eq!(
            codes.len(),
            11,
            "every variant, the revoke refusals included"
        );
        assert_eq!(
            DetailsProblem::parse("not-your-link"),
            Some(DetailsProblem::NotYourLink)
        );
        assert_eq!(DetailsProblem::parse("<script>"), None);
    }
}
