//! `POST /api/v1/links`: one link, exactly as the Share dialog makes it (the same checks of the
//! flow, the application and the parameters, the access protection, the audit entry), within the
//! key's rate budget.

use super::keys::ApiCaller;
use super::problem::ApiError;
use super::{answer_create, created, openapi, ApiState, MAX_BODY, PATHS};
use app::domain::api_key::actor_name;
use app::domain::share::{ShareInputError, ShareRequest};
use app::domain::{Role, UserView};
use app::ports::{RateLimits, ShareError};
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::response::Response;
use http::HeaderMap;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// `POST /api/v1/links`'s body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLink {
    flow: String,
    application: String,
    /// `name=value&…`, as typed in the dialog's URL Parameters.
    #[serde(default)]
    params: String,
    /// The dialog's Protect URL. Links made with a key always follow the flow × application's
    /// access protection: only `true` is accepted (a key kept in another system must not be
    /// able to make unsigned links of a protected flow).
    #[serde(default = "yes")]
    protect: bool,
    #[serde(default)]
    shorten: bool,
}

pub(super) fn yes() -> bool {
    true
}

/// A made link, as the API answers it.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
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

/// Makes one link, as the Share dialog would.
#[utoipa::path(
    post,
    path = "/api/v1/links",
    request_body = NewLink,
    params(
        ("qr" = Option<String>, Query, description = "`svg` adds the link's QR code (`qr_svg`)"),
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters: a retry with the same key and request gets the first answer, never a second link"),
    ),
    responses(
        (status = 201, description = "The link", body = ApiLink),
        (status = 400, description = "Not this call's JSON (`invalid-body`)", body = openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No key, or one that does not work", body = openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Scope `links:create` missing, or an application the key is not limited to", body = openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such flow", body = openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The flow cannot be shared, or the Idempotency-Key's first call is still being answered", body = openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field refused (named), or an Idempotency-Key used for another request", body = openapi::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many links from this key just now (`Retry-After`)", body = openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
pub(super) async fn create_link(
    State(state): State<Arc<ApiState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let make = |state: Arc<ApiState>, caller: ApiCaller, query: Option<String>, body: Bytes| async move {
        let link = make_link(&state, &caller, query.as_deref(), &body).await?;
        serde_json::to_string(&link).map_err(|_| ApiError::Internal)
    };
    created(answer_create(state, PATHS[0], query, headers, body, MAX_BODY, make).await)
}

/// A link request from an API body, parsed as the dialog's is; each refusal names its field.
pub(super) fn share_request(
    flow: &str,
    application: &str,
    params: &str,
    protect: bool,
    shorten: bool,
) -> Result<ShareRequest, ApiError> {
    ShareRequest::parse(flow, application, params, protect, shorten).map_err(|err| match err {
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
    })
}

/// Why the links' store did not make a link, as the API says it.
pub(super) fn share_refusal(err: ShareError) -> ApiError {
    match err {
        ShareError::FlowNotFound(flow) => ApiError::FlowNotFound(flow),
        ShareError::Blocked(blocker) => ApiError::NotShareable(blocker.message()),
        ShareError::NotAvailable(app) => ApiError::ApplicationNotAvailable(app),
        ShareError::NoSuchLink | ShareError::NotYourLink | ShareError::AlreadyRevoked => {
            ApiError::Internal
        }
        ShareError::Backend(err) => {
            tracing::error!(error = %err, "generating links for an API key");
            ApiError::Internal
        }
    }
}

/// Whether the query asks for the QR code: `qr=svg`, the only format, or nothing.
fn wants_qr(query: Option<&str>) -> Result<bool, ApiError> {
    let mut qr = false;
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match (name.as_ref(), value.as_ref()) {
            ("qr", "svg") => qr = true,
            ("qr", other) => {
                return Err(ApiError::InvalidField {
                    field: "qr",
                    message: format!("the only QR format is svg (got {other:?})"),
                })
            }
            (other, _) => {
                return Err(ApiError::InvalidField {
                    field: "query",
                    message: format!("{other:?} is not a parameter of this call (only qr)"),
                })
            }
        }
    }
    Ok(qr)
}

async fn make_link(
    state: &ApiState,
    caller: &ApiCaller,
    query: Option<&str>,
    body: &[u8],
) -> Result<ApiLink, ApiError> {
    let qr = wants_qr(query)?;
    let new: NewLink =
        serde_json::from_slice(body).map_err(|e| ApiError::BadBody(e.to_string()))?;
    if !new.protect {
        return Err(ApiError::InvalidField {
            field: "protect",
            message: "links made with an API key follow the flow's access protection; leave it out or send true".into(),
        });
    }
    let request = share_request(
        &new.flow,
        &new.application,
        &new.params,
        new.protect,
        new.shorten,
    )?;
    if !caller.may_use(&request.application) {
        return Err(ApiError::ApplicationNotAllowed(
            request.application.as_str().to_owned(),
        ));
    }
    // Links made through a key are made by it: its prefix is what the Shared links list and the
    // audit log name, and its budget is its own.
    let by = UserView {
        name: actor_name(&caller.prefix),
        role: Role::Publisher,
    };
    state
        .limits
        .link_generation(&by)
        .map_err(|limited| ApiError::RateLimited(limited.retry_after_seconds))?;
    let link = state
        .links
        .generate_with(&by, &request, qr)
        .await
        .map_err(share_refusal)?;
    if let Err(err) = state.keys.used(caller).await {
        // The link was made; a key's "last used" time is not worth failing the call for.
        tracing::warn!(error = %err, "noting an API key's use");
    }
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
