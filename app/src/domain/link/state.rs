//! What a link is now (active, revoked, expired, used up, disabled by a key regeneration): one
//! rule, which the Shared links list and the API's answers both tell.

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
