//! The Shared links list of a flow: every link generated for it, with what became of it, as the
//! signed-in user may see and act on it.

use crate::domain::link::LinkState;
use serde::{Deserialize, Serialize};

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
    /// Starts per day for the last [`CHART_DAYS`] days, oldest first.
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

/// The days a row's chart of starts covers (`SharedLink::daily_uses`).
pub const CHART_DAYS: usize = 14;
