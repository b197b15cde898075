//! Every refusal of the `/api/v1` API, and the one place it becomes an HTTP answer: an
//! `application/problem+json` document (RFC 9457) whose `type` names the refusal stably, so a
//! script can branch on it, and whose `detail` says what to change. The status, the name and the
//! title come from the table every surface shares (`app::refusal`); the ports' own refusals are
//! carried as they are, in their own words.

use app::domain::api_key::ApiScope;
use app::ports::{RevokeError, ShareError};
use app::refusal::{Refusal, Refused};
use axum::response::{IntoResponse, Response};
use http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderValue, StatusCode};

/// One refused row of a batch: its index (from 0) and what is wrong with it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RowRefusal {
    pub row: usize,
    pub detail: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("Send the API key as `Authorization: Bearer fsk_…`.")]
    MissingKey,
    #[error("This API key does not exist. Check that it was copied whole.")]
    UnknownKey,
    #[error("This API key was revoked. Ask an admin for a new one.")]
    RevokedKey,
    #[error("This API key has expired. Ask an admin for a new one.")]
    ExpiredKey,
    #[error("This API key lacks the scope {}.", .0.as_str())]
    MissingScope(ApiScope),
    #[error("This API key is not allowed to make links for application {0:?}.")]
    ApplicationNotAllowed(String),
    #[error("The body is not the JSON this call takes: {0}")]
    BadBody(String),
    /// The limit, in KiB.
    #[error("The body is over this call's limit of {0} KiB.")]
    BodyTooLarge(usize),
    #[error("{field}: {message}")]
    InvalidField {
        field: &'static str,
        message: String,
    },
    /// Rows of a batch refused, each by its index and why; nothing was made.
    #[error("{} of the batch's rows are refused, so no link was made; see `rows`.", .0.len())]
    InvalidRows(Vec<RowRefusal>),
    /// The links' store refused to make the link: the flow, its state, or the application.
    #[error("{}", .0.sentence())]
    Share(ShareError),
    #[error("There is no campaign {0:?}.")]
    CampaignNotFound(String),
    /// Named by its reference: a refusal's text may end up in a log, the id must not.
    #[error("There is no link {0} that this API key may see.")]
    LinkNotFound(app::domain::link::LinkRef),
    #[error(
        "This link was not made with this API key; only links it made can be revoked with it."
    )]
    NotYourLink,
    /// The links' store refused to revoke the link (in the console's words, but for "not yours",
    /// which a key hears as [`ApiError::NotYourLink`]).
    #[error("{}", .0.sentence())]
    Revoke(RevokeError),
    /// The number is seconds to wait.
    #[error("Too many links from this API key in a short time. Try again in {0} seconds.")]
    RateLimited(u64),
    #[error(
        "This Idempotency-Key was used with a different request. Use a new key for a new request."
    )]
    IdempotencyKeyReused,
    #[error("A call with this Idempotency-Key is still being answered, or did not finish cleanly (it may have made links). Retry in a moment; if this persists, check with GET /api/v1/links/{{id}} or use a new key.")]
    IdempotencyKeyInUse,
    #[error("{}", app::refusal::INTERNAL)]
    Internal,
}

impl Refused for ApiError {
    fn refusal(&self) -> Refusal {
        match self {
            Self::MissingKey => Refusal::MissingApiKey,
            Self::UnknownKey => Refusal::UnknownApiKey,
            Self::RevokedKey => Refusal::RevokedApiKey,
            Self::ExpiredKey => Refusal::ExpiredApiKey,
            Self::MissingScope(_) => Refusal::MissingScope,
            Self::ApplicationNotAllowed(_) => Refusal::ApplicationNotAllowed,
            Self::BadBody(_) => Refusal::InvalidBody,
            Self::BodyTooLarge(_) => Refusal::BodyTooLarge,
            Self::InvalidField { .. } => Refusal::InvalidField,
            Self::InvalidRows(_) => Refusal::InvalidRows,
            Self::Share(err) => err.refusal(),
            Self::CampaignNotFound(_) => Refusal::CampaignNotFound,
            Self::LinkNotFound(_) => Refusal::LinkNotFound,
            Self::NotYourLink => Refusal::NotYourLink,
            Self::Revoke(err) => err.refusal(),
            Self::RateLimited(_) => Refusal::RateLimited,
            Self::IdempotencyKeyReused => Refusal::IdempotencyKeyReused,
            Self::IdempotencyKeyInUse => Refusal::IdempotencyKeyInUse,
            Self::Internal => Refusal::Internal,
        }
    }
}

impl From<ShareError> for ApiError {
    fn from(err: ShareError) -> Self {
        match err {
            ShareError::Backend(err) => {
                tracing::error!(error = %err, "making links for an API key");
                Self::Internal
            }
            refused => Self::Share(refused),
        }
    }
}

impl ApiError {
    /// The `type` URI of a refusal: relative to this server, stable across versions of it.
    pub fn type_uri(name: &str) -> String {
        format!("/api/v1/problems/{name}")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let refusal = self.refusal();
        let status = refusal.http_status();
        let mut body = serde_json::json!({
            "type": Self::type_uri(refusal.name()),
            "title": refusal.title(),
            "status": status.as_u16(),
            "detail": self.to_string(),
        });
        if let Self::InvalidRows(rows) = &self {
            body["rows"] = serde_json::json!(rows);
        }
        let mut response = (status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Self::RateLimited(seconds) = self {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
