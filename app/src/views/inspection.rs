//! The link inspector's answer: whether a pasted link opens now and why not, and (for who may see
//! it) everything about the link.

use super::LinkHandle;
use crate::domain::link::Finding;
use serde::{Deserialize, Serialize};

/// What the inspector found, as the signed-in user may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkInspection {
    pub finding: Finding,
    /// Everything about the link: for admins, and for the publisher who made it. `None` for
    /// anyone else (they see the finding alone) and for an address that is no link.
    pub details: Option<LinkDetails>,
    /// What revokes it, for who may (admins, its maker) while it is not revoked.
    pub revoke: Option<LinkHandle>,
    /// What the link's application shows recipients for this finding, when it chose a way
    /// forward of its own (a redirect, its own words).
    pub ending: Option<String>,
}

/// One link, whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkDetails {
    /// The link id's first characters (`LinkRef`): how the console and the audit log name it.
    pub reference: String,
    pub short_code: Option<String>,
    pub flow: String,
    pub flow_name: String,
    pub application: String,
    pub application_name: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    pub created_by: String,
    pub campaign: Option<String>,
    pub protected: bool,
    pub params: Vec<InspectedParam>,
    /// Unix seconds; `None`: never.
    pub expires_at: Option<i64>,
    pub invocations: i64,
    pub allowed_invocations: Option<i64>,
    /// Milliseconds since the Unix epoch.
    pub last_used_at: Option<i64>,
    pub key_version: i64,
    /// The pasted address's origin, when it is not the application's base URL's (the link was
    /// passed on through another host).
    pub other_origin: Option<String>,
}

/// One of the link's parameters, as it was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectedParam {
    pub name: String,
    pub value: String,
    /// Part of the link's signature: changing it makes the link not valid.
    pub signed: bool,
}
