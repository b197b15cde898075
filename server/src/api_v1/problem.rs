//! Every refusal of the `/api/v1` API, and the one place it becomes an HTTP answer: an
//! `application/problem+json` document (RFC 9457) whose `type` names the refusal stably, so a
//! script can branch on it, and whose `detail` says what to change.

use app::domain::api_key::ApiScope;
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
    #[error("There is no flow called {0:?}.")]
    FlowNotFound(String),
    #[error("There is no campaign {0:?}.")]
    CampaignNotFound(String),
    /// Named by its reference: a refusal's text may end up in a log, the id must not.
    #[error("There is no link {0} that this API key may see.")]
    LinkNotFound(app::domain::link::LinkRef),
    #[error(
        "This link was not made with this API key; only links it made can be revoked with it."
    )]
    NotYourLink,
    #[error("This link was already revoked.")]
    AlreadyRevoked,
    #[error("Application {0:?} is not available to this flow.")]
    ApplicationNotAvailable(String),
    #[error("{0}")]
    NotShareable(&'static str),
    /// The number is seconds to wait.
    #[error("Too many links from this API key in a short time. Try again in {0} seconds.")]
    RateLimited(u64),
    #[error(
        "This Idempotency-Key was used with a different request. Use a new key for a new request."
    )]
    IdempotencyKeyReused,
    #[error("A call with this Idempotency-Key is still being answered, or did not finish cleanly (it may have made links). Retry in a moment; if this persists, check with GET /api/v1/links/{{id}} or use a new key.")]
    IdempotencyKeyInUse,
    #[error("Something went wrong on the server. It has been logged; please try again.")]
    Internal,
}

impl ApiError {
    /// The status, the stable name in `type`, and the short title of each refusal.
    fn kind(&self) -> (StatusCode, &'static str, &'static str) {
        use StatusCode as S;
        match self {
            Self::MissingKey => (S::UNAUTHORIZED, "missing-api-key", "API key missing"),
            Self::UnknownKey => (S::UNAUTHORIZED, "unknown-api-key", "Unknown API key"),
            Self::RevokedKey => (S::UNAUTHORIZED, "revoked-api-key", "API key revoked"),
            Self::ExpiredKey => (S::UNAUTHORIZED, "expired-api-key", "API key expired"),
            Self::MissingScope(_) => (S::FORBIDDEN, "missing-scope", "Scope missing"),
            Self::ApplicationNotAllowed(_) => (
                S::FORBIDDEN,
                "application-not-allowed",
                "Application not allowed for this key",
            ),
            Self::BadBody(_) => (S::BAD_REQUEST, "invalid-body", "Invalid body"),
            Self::BodyTooLarge(_) => (S::PAYLOAD_TOO_LARGE, "body-too-large", "Body too large"),
            Self::InvalidField { .. } => {
                (S::UNPROCESSABLE_ENTITY, "invalid-field", "Invalid field")
            }
            Self::InvalidRows(_) => (S::UNPROCESSABLE_ENTITY, "invalid-rows", "Invalid rows"),
            Self::FlowNotFound(_) => (S::NOT_FOUND, "flow-not-found", "Flow not found"),
            Self::CampaignNotFound(_) => (S::NOT_FOUND, "campaign-not-found", "Campaign not found"),
            Self::LinkNotFound(_) => (S::NOT_FOUND, "link-not-found", "Link not found"),
            Self::NotYourLink => (S::FORBIDDEN, "not-your-link", "Not this key's link"),
            Self::AlreadyRevoked => (S::CONFLICT, "already-revoked", "Link already revoked"),
            Self::ApplicationNotAvailable(_) => (
                S::UNPROCESSABLE_ENTITY,
                "application-not-available",
                "Application not available to the flow",
            ),
            Self::NotShareable(_) => (S::CONFLICT, "flow-not-shareable", "Flow not shareable"),
            Self::RateLimited(_) => (S::TOO_MANY_REQUESTS, "rate-limited", "Too many requests"),
            Self::IdempotencyKeyReused => (
                S::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency-Key used for another request",
            ),
            Self::IdempotencyKeyInUse => (
                S::CONFLICT,
                "idempotency-key-in-use",
                "Idempotency-Key in use",
            ),
            Self::Internal => (S::INTERNAL_SERVER_ERROR, "internal", "Server fault"),
        }
    }

    /// The `type` URI of a refusal: relative to this server, stable across versions of it.
    pub fn type_uri(name: &str) -> String {
        format!("/api/v1/problems/{name}")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, name, title) = self.kind();
        let mut body = serde_json::json!({
            "type": Self::type_uri(name),
            "title": title,
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
