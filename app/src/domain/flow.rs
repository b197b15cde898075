//! Flows as the console lists and shows them, and the one rule that says whether a flow may be shared.

use super::application::Availability;
use super::slug::FlowSlug;
use super::user::{Permission, Role};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Declares a closed set of named states stored as text, with its label, parse and display.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal, $label:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The stable name used in storage, URLs and import files.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            /// The words a person reads in the console.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        concat!("unknown ", stringify!($name), " {:?}: expected one of {}"),
                        other,
                        [$($text),+].join(", ")
                    )),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

text_enum!(
    /// What kind of flow this is. Only Interaction flows are shared through links; the others are
    /// started by the contact centre itself.
    FlowType {
        Interaction => "interaction", "Interaction";
        InboundCall => "inbound_call", "Inbound call";
        InboundChat => "inbound_chat", "Inbound chat";
        Bot => "bot", "Bot";
        Survey => "survey", "Survey";
    }
);

text_enum!(
    PublicationStatus {
        Draft => "draft", "Draft";
        Published => "published", "Published";
    }
);

text_enum!(
    ApprovalStatus {
        Pending => "pending", "Pending";
        Approved => "approved", "Approved";
        Rejected => "rejected", "Rejected";
    }
);

/// One row of the Flows table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowSummary {
    pub slug: FlowSlug,
    pub name: String,
    pub flow_type: FlowType,
    pub publication: PublicationStatus,
    pub approval: ApprovalStatus,
    pub version: u32,
    /// Milliseconds since the Unix epoch, UTC.
    pub updated_at: i64,
    pub updated_by: String,
}

/// Everything the Details tab shows about one flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowDetails {
    pub summary: FlowSummary,
    pub description: String,
    pub created_at: i64,
    pub created_by: String,
    /// Number of steps in the flow's definition, for the metadata panel.
    pub step_count: u32,
    pub availability: Vec<Availability>,
    /// Why the signed-in user cannot share this flow now; `None` when Share is enabled.
    pub share_blocker: Option<ShareBlocker>,
    /// Whether the signed-in user may publish it now (a Draft, and a publisher or admin).
    pub can_publish: bool,
    /// Whether the signed-in user may approve or reject it now (Published, and an admin).
    pub can_review: bool,
    /// The reviewer's comment on the last decision.
    pub review_comment: String,
    /// Whether the signed-in user may change access protection (admins).
    pub can_administer: bool,
}

/// The reasons a flow cannot be shared, in the order they are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShareBlocker {
    NotInteraction,
    NotPublished,
    NotApproved,
    NoApplication,
    ReadOnlyRole,
}

impl ShareBlocker {
    /// Decides whether `role` may share this flow with one of `application_count` applications now.
    /// The Details tab and the server's share endpoint both ask this, so they can never disagree.
    pub fn check(summary: &FlowSummary, application_count: usize, role: Role) -> Option<Self> {
        if summary.flow_type != FlowType::Interaction {
            Some(Self::NotInteraction)
        } else if summary.publication != PublicationStatus::Published {
            Some(Self::NotPublished)
        } else if summary.approval != ApprovalStatus::Approved {
            Some(Self::NotApproved)
        } else if application_count == 0 {
            Some(Self::NoApplication)
        } else if !role.allows(Permission::ShareFlows) {
            Some(Self::ReadOnlyRole)
        } else {
            None
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::NotInteraction => "To share other flow types, use the designer.",
            Self::NotPublished => "Only published flows can be shared. Publish this flow first.",
            Self::NotApproved => "Only approved flows can be shared. This flow is waiting for approval or was rejected.",
            Self::NoApplication => "No application is available to this flow. An admin can make one available.",
            Self::ReadOnlyRole => "Your role is read-only: ask a publisher or an admin to share this flow.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(
        flow_type: FlowType,
        publication: PublicationStatus,
        approval: ApprovalStatus,
    ) -> FlowSummary {
        FlowSummary {
            slug: FlowSlug::parse("f").expect("valid slug"),
            name: "F".into(),
            flow_type,
            publication,
            approval,
            version: 1,
            updated_at: 0,
            updated_by: "admin".into(),
        }
    }

    #[test]
    fn a_published_approved_interaction_flow_can_be_shared_by_a_publisher() {
        let f = flow(
            FlowType::Interaction,
            PublicationStatus::Published,
            ApprovalStatus::Approved,
        );
        assert_eq!(ShareBlocker::check(&f, 1, Role::Publisher), None);
        assert_eq!(ShareBlocker::check(&f, 1, Role::Admin), None);
    }

    #[test]
    fn share_is_refused_with_the_first_reason_that_applies() {
        use ApprovalStatus::*;
        use PublicationStatus::*;
        let cases = [
            (
                flow(FlowType::Bot, Published, Approved),
                1,
                Role::Admin,
                ShareBlocker::NotInteraction,
            ),
            (
                flow(FlowType::Survey, Draft, Pending),
                1,
                Role::Admin,
                ShareBlocker::NotInteraction,
            ),
            (
                flow(FlowType::Interaction, Draft, Approved),
                1,
                Role::Admin,
                ShareBlocker::NotPublished,
            ),
            (
                flow(FlowType::Interaction, Published, Pending),
                1,
                Role::Admin,
                ShareBlocker::NotApproved,
            ),
            (
                flow(FlowType::Interaction, Published, Rejected),
                1,
                Role::Admin,
                ShareBlocker::NotApproved,
            ),
            (
                flow(FlowType::Interaction, Published, Approved),
                0,
                Role::Admin,
                ShareBlocker::NoApplication,
            ),
            (
                flow(FlowType::Interaction, Published, Approved),
                2,
                Role::Viewer,
                ShareBlocker::ReadOnlyRole,
            ),
        ];
        for (f, apps, role, want) in cases {
            assert_eq!(
                ShareBlocker::check(&f, apps, role),
                Some(want),
                "{f:?} {role}"
            );
        }
    }

    #[test]
    fn other_flow_types_point_to_the_designer() {
        assert_eq!(
            ShareBlocker::NotInteraction.message(),
            "To share other flow types, use the designer."
        );
    }

    #[test]
    fn states_round_trip_through_their_stored_names() {
        for t in FlowType::ALL {
            assert_eq!(t.as_str().parse::<FlowType>().as_ref(), Ok(t));
        }
        for s in ApprovalStatus::ALL {
            assert_eq!(s.as_str().parse::<ApprovalStatus>().as_ref(), Ok(s));
        }
        let err = "publishedd".parse::<PublicationStatus>().unwrap_err();
        assert!(err.contains("draft, published"), "{err}");
    }
}
