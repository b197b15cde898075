//! The rates the server holds every client to. Each refusal names the one that was reached, so the
//! person who reached it reads what they were doing too often, and the operator can tune it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RateLimit {
    /// Recipients starting flows: per client address and per link.
    RunStarts,
    /// Recipients' moves in runs (starts too): per client address. Each is a write.
    RunMoves,
    /// Short codes that lead nowhere, per client address (guessing codes).
    ShortLinkMisses,
    /// Sign-in attempts: per client address and per user name.
    SignIns,
    /// Links generated, per console user.
    LinkGenerations,
}

impl RateLimit {
    /// What was done too often, as a person says it.
    pub fn what(self) -> &'static str {
        match self {
            Self::RunStarts => "flow starts",
            Self::RunMoves => "steps through a flow",
            Self::ShortLinkMisses => "links that do not exist",
            Self::SignIns => "sign-in attempts",
            Self::LinkGenerations => "links generated",
        }
    }
}
