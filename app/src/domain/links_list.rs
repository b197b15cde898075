//! The Shared links list of a flow: every link generated for it, with what became of it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkState {
    Active,
    Revoked,
    Expired,
    UsedUp,
    /// Its application's key was regenerated after it was made.
    KeyRegenerated,
}

impl LinkState {
    pub const ALL: [LinkState; 5] = [
        Self::Active,
        Self::Revoked,
        Self::Expired,
        Self::UsedUp,
        Self::KeyRegenerated,
    ];

    /// The stable name in API answers.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
            Self::UsedUp => "used_up",
            Self::KeyRegenerated => "key_regenerated",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Revoked => "Revoked",
            Self::Expired => "Expired",
            Self::UsedUp => "Used up",
            Self::KeyRegenerated => "Disabled by key regeneration",
        }
    }

    /// What a link is now. Revocation and key regeneration are decisions and win over limits.
    pub fn of(
        revoked: bool,
        key_current: bool,
        expires_at: Option<i64>,
        invocations: u32,
        allowed: Option<u32>,
        now_secs: i64,
    ) -> Self {
        if revoked {
            Self::Revoked
        } else if !key_current {
            Self::KeyRegenerated
        } else if expires_at.is_some_and(|at| at <= now_secs) {
            Self::Expired
        } else if allowed.is_some_and(|n| invocations >= n) {
            Self::UsedUp
        } else {
            Self::Active
        }
    }
}

/// What identifies a link, and so opens it: only its creator and admins are given it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkHandle {
    pub id: String,
    pub short_code: Option<String>,
}

/// One row of the Shared links list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedLink {
    /// `None` for a link the viewer may not open: someone else's, for anyone but an admin.
    pub handle: Option<LinkHandle>,
    pub created_at: i64,
    pub created_by: String,
    pub application: String,
    pub protected: bool,
    /// Unix seconds.
    pub expires_at: Option<i64>,
    pub invocations: u32,
    pub allowed_invocations: Option<u32>,
    pub last_used_at: Option<i64>,
    pub state: LinkState,
    /// Starts per day for the last 14 days, oldest first.
    pub daily_uses: Vec<u32>,
    /// Whether the signed-in user may revoke it (admins any, publishers their own).
    pub can_revoke: bool,
}

impl SharedLink {
    /// The link's id, when the viewer may see it.
    pub fn id(&self) -> Option<&str> {
        self.handle.as_ref().map(|h| h.id.as_str())
    }
}

pub const CHART_DAYS: usize = 14;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_state_follows_decisions_before_limits() {
        assert_eq!(
            LinkState::of(false, true, None, 0, None, 100),
            LinkState::Active
        );
        assert_eq!(
            LinkState::of(true, false, Some(1), 5, Some(5), 100),
            LinkState::Revoked
        );
        assert_eq!(
            LinkState::of(false, false, Some(1), 5, Some(5), 100),
            LinkState::KeyRegenerated
        );
        assert_eq!(
            LinkState::of(false, true, Some(100), 0, None, 100),
            LinkState::Expired
        );
        assert_eq!(
            LinkState::of(false, true, Some(101), 2, Some(2), 100),
            LinkState::UsedUp
        );
        assert_eq!(
            LinkState::of(false, true, Some(101), 1, Some(2), 100),
            LinkState::Active
        );
    }
}
