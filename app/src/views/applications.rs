//! The Applications page and form as the backend fills them: an application never with its
//! secret, only a fingerprint; the flows it can be made available to.

use crate::domain::ApplicationKind;
use serde::{Deserialize, Serialize};

/// An application as admins see it listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationSummary {
    pub slug: String,
    pub name: String,
    pub kind: ApplicationKind,
    pub base_url: String,
    pub embed_origins: Vec<String>,
    /// Days recipients' runs (their answers) are kept; `None` keeps them until deleted.
    pub results_days: Option<u32>,
    pub key_version: u32,
    /// The first characters of the key's SHA-256: tells keys apart, reveals nothing of them.
    pub key_fingerprint: String,
    /// Milliseconds since the Unix epoch.
    pub rotated_at: i64,
    pub flow_count: u32,
}

/// A flow an application can be made available to, as the application form lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowChoice {
    pub slug: String,
    pub name: String,
    /// Whether the application already offers this flow.
    pub available: bool,
}

/// An application's link pages as their form shows them (admins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkPagesView {
    pub slug: String,
    pub name: String,
    pub base_url: String,
    /// The base URL is `http`: onward URLs may be too.
    pub http: bool,
    pub form: crate::domain::link_pages::LinkPagesForm,
    /// Where the preview image is served on this server, if there is one.
    pub image: Option<String>,
}
