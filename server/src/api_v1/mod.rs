//! The versioned API for systems (`/api/v1`): JSON in and out, `Authorization: Bearer <API key>`,
//! refusals as `application/problem+json` (`problem`). Keys are made and revoked by admins on the
//! command line (`flowshare apikey …`) and kept hashed (`keys`).
//!
//! `POST /api/v1/links` makes one link exactly as the Share dialog would: the same checks of the
//! flow, the application and the parameters, the application's access protection, the audit log
//! entry, the per-caller rate limit.

pub mod keys;
pub mod problem;

use crate::links::LinkStore;
use crate::security::limits::Limits;
use app::domain::api_key::{ApiScope, ApiSecret};
use app::domain::share::{ShareInputError, ShareRequest};
use app::domain::{Role, UserView};
use app::ports::{RateLimits, ShareError};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use http::header::AUTHORIZATION;
use http::{HeaderMap, StatusCode};
use keys::{ApiCaller, KeyRefusal, KeyStore};
use problem::ApiError;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Clone)]
pub struct ApiState {
    pub keys: KeyStore,
    pub links: LinkStore,
    pub limits: Arc<Limits>,
}

pub fn routes(state: ApiState) -> Router {
    Router::new()
        .route("/api/v1/links", post(create_link))
        .with_state(Arc::new(state))
}

/// The key a request carries, checked, holding `scope`.
async fn caller(
    state: &ApiState,
    headers: &HeaderMap,
    scope: ApiScope,
) -> Result<ApiCaller, ApiError> {
    let sent = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or(ApiError::MissingKey)?;
    let secret = ApiSecret::parse(sent).ok_or(ApiError::UnknownKey)?;
    let caller = match state.keys.authenticate(&secret).await {
        Ok(Ok(caller)) => caller,
        Ok(Err(KeyRefusal::Unknown)) => return Err(ApiError::UnknownKey),
        Ok(Err(KeyRefusal::Revoked)) => return Err(ApiError::RevokedKey),
        Ok(Err(KeyRefusal::Expired)) => return Err(ApiError::ExpiredKey),
        Err(err) => {
            tracing::error!(error = %err, "checking an API key");
            return Err(ApiError::Internal);
        }
    };
    if caller.allows(scope) {
        Ok(caller)
    } else {
        Err(ApiError::MissingScope(scope))
    }
}

/// `POST /api/v1/links`'s body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewLink {
    flow: String,
    application: String,
    /// `name=value&…`, as typed in the dialog's URL Parameters.
    #[serde(default)]
    params: String,
    /// Sign the link when its flow × application is protected (the dialog's Protect URL).
    #[serde(default = "yes")]
    protect: bool,
    #[serde(default)]
    shorten: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
struct LinkOptions {
    /// `svg` adds the link's QR code to the answer.
    qr: Option<String>,
}

/// A made link, as the API answers it.
#[derive(Debug, Serialize, Deserialize)]
pub struct ApiLink {
    pub id: String,
    /// The link to hand out: the short one when there is one.
    pub link: String,
    pub full_url: String,
    pub short_url: Option<String>,
    pub protected: bool,
    /// Unix seconds; absent when the link never expires.
    pub expires_at: Option<i64>,
    pub flow_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_svg: Option<String>,
}

async fn create_link(
    State(state): State<Arc<ApiState>>,
    Query(options): Query<LinkOptions>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match make_link(&state, options, &headers, &body).await {
        Ok(link) => (StatusCode::CREATED, axum::Json(link)).into_response(),
        Err(err) => err.into_response(),
    }
}

async fn make_link(
    state: &ApiState,
    options: LinkOptions,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ApiLink, ApiError> {
    let caller = caller(state, headers, ApiScope::LinksCreate).await?;
    let qr = match options.qr.as_deref() {
        None => false,
        Some("svg") => true,
        Some(other) => {
            return Err(ApiError::InvalidField {
                field: "qr",
                message: format!("the only QR format is svg (got {other:?})"),
            })
        }
    };
    let new: NewLink =
        serde_json::from_slice(body).map_err(|e| ApiError::BadBody(e.to_string()))?;
    let request = ShareRequest::parse(
        &new.flow,
        &new.application,
        &new.params,
        new.protect,
        new.shorten,
    )
    .map_err(|err| match err {
        ShareInputError::NoApplication | ShareInputError::BadApplication(_) => {
            ApiError::InvalidField {
                field: "application",
                message: err.to_string(),
            }
        }
        ShareInputError::BadFlow(flow) => ApiError::FlowNotFound(flow),
        ShareInputError::Params(_) => ApiError::InvalidField {
            field: "params",
            message: err.to_string(),
        },
    })?;
    if !caller.may_use(&request.application) {
        return Err(ApiError::ApplicationNotAllowed(
            request.application.as_str().to_owned(),
        ));
    }
    // Links made through a key are made by it: its prefix is what the Shared links list and the
    // audit log name, and its budget is its own.
    let by = UserView {
        name: app::domain::api_key::actor_name(&caller.prefix),
        role: Role::Publisher,
    };
    state
        .limits
        .link_generation(&by)
        .map_err(|limited| ApiError::RateLimited(limited.retry_after_seconds))?;
    let link = state
        .links
        .generate(&by, &request)
        .await
        .map_err(|err| match err {
            ShareError::FlowNotFound(flow) => ApiError::FlowNotFound(flow),
            ShareError::Blocked(blocker) => ApiError::NotShareable(blocker.message()),
            ShareError::NotAvailable(app) => ApiError::ApplicationNotAvailable(app),
            ShareError::NoSuchLink | ShareError::NotYourLink | ShareError::AlreadyRevoked => {
                ApiError::Internal
            }
            ShareError::Backend(err) => {
                tracing::error!(error = %err, "generating a link for an API key");
                ApiError::Internal
            }
        })?;
    Ok(ApiLink {
        id: link
            .full_url
            .split('?')
            .next()
            .and_then(|path| path.rsplit('/').next())
            .unwrap_or_default()
            .to_owned(),
        link: link.link().to_owned(),
        qr_svg: qr.then(|| link.qr_svg.clone()),
        full_url: link.full_url,
        short_url: link.short_url,
        protected: link.protected,
        expires_at: link.expires_at,
        flow_name: link.flow_name,
    })
}
