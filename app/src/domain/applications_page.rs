//! The Applications page's view of an application: never its secret, only a fingerprint.

use super::application::ApplicationKind;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationSummary {
    pub slug: String,
    pub name: String,
    pub kind: ApplicationKind,
    pub base_url: String,
    pub embed_origins: Vec<String>,
    pub key_version: u32,
    /// The first characters of the key's SHA-256: tells keys apart, reveals nothing of them.
    pub key_fingerprint: String,
    /// Milliseconds since the Unix epoch.
    pub rotated_at: i64,
    pub flow_count: u32,
}
