//! `GET /api/v1/links/{id}` and `POST /api/v1/links/{id}/revoke`: a link's state for a key that
//! may see it (in one of its applications), and revoking a link the key made.

use super::keys::ApiCaller;
use super::problem::ApiError;
use super::{caller, openapi, ApiState};
use app::domain::api_key::{actor_name, ApiScope};
use app::domain::{Role, UserView};
use app::ports::ShareError;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::header::CACHE_CONTROL;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A link's state as `GET /api/v1/links/{id}` answers it.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiLinkStatus {
    pub id: String,
    pub flow: String,
    pub application: String,
    /// `active`, `revoked`, `expired`, `used_up` or `key_regenerated`.
    pub state: String,
    pub protected: bool,
    /// Unix seconds.
    pub created_at: i64,
    pub created_by: String,
    pub uses: i64,
    /// Absent: unlimited.
    pub allowed_uses: Option<i64>,
    /// Unix seconds; absent when the link never expires.
    pub expires_at: Option<i64>,
    /// Unix seconds; absent when never used.
    pub last_used_at: Option<i64>,
    /// What opens the link: only for links made with this key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_url: Option<String>,
}

/// A link the caller may see: in one of its applications. Anything else is "not found", so a key
/// learns nothing about links outside its applications.
async fn visible_link(
    state: &ApiState,
    caller: &ApiCaller,
    id: &str,
) -> Result<crate::links::lifecycle::LinkStatus, ApiError> {
    let not_found = || ApiError::LinkNotFound(id.to_owned());
    if app::domain::link::LinkId::parse(id).is_err() {
        return Err(not_found());
    }
    let status = state.links.link_status(id).await.map_err(|err| {
        tracing::error!(error = %err, "reading a link for an API key");
        ApiError::Internal
    })?;
    let status = status.ok_or_else(not_found)?;
    let application = app::domain::FlowSlug::parse(&status.application).map_err(|_| not_found())?;
    if caller.may_use(&application) {
        Ok(status)
    } else {
        Err(not_found())
    }
}

fn status_answer(caller: &ApiCaller, status: crate::links::lifecycle::LinkStatus) -> ApiLinkStatus {
    let own = status.created_by == actor_name(&caller.prefix);
    ApiLinkStatus {
        state: status.state().as_str().to_owned(),
        full_url: own.then(|| status.url.clone()),
        short_url: status
            .short_code
            .as_deref()
            .filter(|_| own)
            .and_then(app::domain::link::ShortCode::parse)
            .map(|code| code.to_url(&status.base_url)),
        created_at: status.created_at / 1_000,
        last_used_at: status.last_used_at.map(|at| at / 1_000),
        id: status.id,
        flow: status.flow,
        application: status.application,
        protected: status.protected,
        created_by: status.created_by,
        uses: status.invocations,
        allowed_uses: status.allowed_invocations,
        expires_at: status.expires_at,
    }
}

fn json_answer(status: StatusCode, body: &impl Serialize) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /api/v1/links/{id}` (scope `links:read`): a link's state, uses and expiry.
#[utoipa::path(
    get,
    path = "/api/v1/links/{id}",
    params(("id" = String, Path, description = "The link's id (22 characters)")),
    responses(
        (status = 200, description = "The link's state", body = ApiLinkStatus),
        (status = 401, description = "No key, or one that does not work", body = openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Scope `links:read` missing", body = openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such link in the key's applications", body = openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
pub(super) async fn read_link(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let answer = async {
        let caller = caller(&state, &headers, ApiScope::LinksRead).await?;
        let status = visible_link(&state, &caller, &id).await?;
        Ok::<_, ApiError>(status_answer(&caller, status))
    };
    match answer.await {
        Ok(status) => json_answer(StatusCode::OK, &status),
        Err(err) => err.into_response(),
    }
}

/// `POST /api/v1/links/{id}/revoke` (scope `links:revoke`): revokes a link this key made, full
/// and short alike, audited like the console's Revoke.
#[utoipa::path(
    post,
    path = "/api/v1/links/{id}/revoke",
    params(("id" = String, Path, description = "The link's id (22 characters)")),
    responses(
        (status = 200, description = "The link, revoked", body = ApiLinkStatus),
        (status = 401, description = "No key, or one that does not work", body = openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Scope `links:revoke` missing, or a link another key or a console user made", body = openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such link in the key's applications", body = openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Revoked before", body = openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
pub(super) async fn revoke_link(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let answer = async {
        let caller = caller(&state, &headers, ApiScope::LinksRevoke).await?;
        let mut status = visible_link(&state, &caller, &id).await?;
        let by = UserView {
            name: actor_name(&caller.prefix),
            role: Role::Publisher,
        };
        state
            .links
            .revoke_link(&id, &by)
            .await
            .map_err(|err| match err {
                ShareError::NoSuchLink => ApiError::LinkNotFound(id.clone()),
                ShareError::NotYourLink => ApiError::NotYourLink,
                ShareError::AlreadyRevoked => ApiError::AlreadyRevoked,
                ShareError::Backend(err) => {
                    tracing::error!(error = %err, "revoking a link for an API key");
                    ApiError::Internal
                }
                ShareError::FlowNotFound(_)
                | ShareError::Blocked(_)
                | ShareError::NotAvailable(_) => ApiError::Internal,
            })?;
        // Revoked now: nothing else about it changed, so it is not read again.
        status.revoked = true;
        Ok::<_, ApiError>(status_answer(&caller, status))
    };
    match answer.await {
        Ok(status) => json_answer(StatusCode::OK, &status),
        Err(err) => err.into_response(),
    }
}
