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
    /// Days recipients' runs (their answers) are kept; `None` keeps them until deleted.
    pub results_days: Option<u32>,
    pub key_version: u32,
    /// The first characters of the key's SHA-256: tells keys apart, reveals nothing of them.
    pub key_fingerprint: String,
    /// Milliseconds since the Unix epoch.
    pub rotated_at: i64,
    pub flow_count: u32,
}

pub const MAX_APPLICATION_NAME: usize = 100;

/// A field of the application form that was refused, with the message shown beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::EnumIter)]
pub enum ApplicationField {
    Name,
    Slug,
    Kind,
    BaseUrl,
    EmbedOrigins,
    ResultsDays,
    Flows,
}

impl ApplicationField {
    pub fn code(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Slug => "slug",
            Self::Kind => "kind",
            Self::BaseUrl => "base_url",
            Self::EmbedOrigins => "embed_origins",
            Self::ResultsDays => "results_days",
            Self::Flows => "flows",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        <Self as strum::IntoEnumIterator>::iter().find(|f| f.code() == code)
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::Name => "Give the application a name of at most 100 characters, on one line (no control characters).",
            Self::Slug => "This slug is taken, reserved (new) or malformed: use lower-case letters, digits and single hyphens.",
            Self::Kind => "Choose Web page or Embeddable widget.",
            Self::BaseUrl => "The base URL must start with http:// or https://, name a host, and carry no query or fragment.",
            Self::EmbedOrigins => "Embed origins: one per line, each like https://shop.example.com (no path); a web page has none.",
            Self::ResultsDays => "Keep results for a whole number of days from 1 to 3650, or leave it empty to keep them until deleted.",
            Self::Flows => "One of the chosen flows does not exist.",
        }
    }
}

/// An application as an admin creates or edits it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationForm {
    pub name: String,
    /// On create, empty means "made from the name"; on edit it is the application being edited.
    pub slug: String,
    pub kind: String,
    pub base_url: String,
    /// One origin per line.
    pub embed_origins: String,
    /// Days to keep recipients' runs, as typed; empty keeps them until deleted.
    pub results_days: String,
    /// Slugs of the flows available to the application.
    pub flows: Vec<String>,
}

/// The longest a retention setting may be: ten years.
pub const MAX_RESULTS_DAYS: u32 = 3_650;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_through_their_codes() {
        for field in <ApplicationField as strum::IntoEnumIterator>::iter() {
            assert_eq!(ApplicationField::parse(field.code()), Some(field));
        }
        assert_eq!(ApplicationField::parse("secret_key"), None);
    }
}

/// A flow an application can be made available to, as the application form lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowChoice {
    pub slug: String,
    pub name: String,
    /// Whether the application already offers this flow.
    pub available: bool,
}
