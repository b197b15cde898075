//! The versioned API for systems (`/api/v1`): JSON in and out, `Authorization: Bearer <API key>`,
//! refusals as `application/problem+json` (`problem`). Keys are made and revoked by admins on the
//! command line (`flowshare apikey …`) and kept hashed (`keys`).
//!
//! `POST /api/v1/links` makes one link exactly as the Share dialog would: the same checks of the
//! flow, the application and the parameters, the application's access protection, the audit log
//! entry, the per-caller rate limit. With an `Idempotency-Key`, a retry gets the first answer
//! (`idempotency`).

pub mod idempotency;
pub mod keys;
mod openapi;
pub mod problem;

use crate::links::LinkStore;
use crate::security::limits::Limits;
use app::domain::api_key::{ApiScope, ApiSecret};
use app::domain::share::{ShareInputError, ShareRequest};
use app::domain::{Role, UserView};
use app::ports::{RateLimits, ShareError};
use axum::body::{Body, Bytes};
use axum::extract::Path;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, StatusCode};
use idempotency::Found;
use keys::{ApiCaller, KeyRefusal, KeyStore};
use problem::ApiError;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Clone)]
pub struct ApiState {
    pub keys: KeyStore,
    pub idempotency: idempotency::Idempotency,
    pub links: LinkStore,
    pub limits: Arc<Limits>,
}

/// The largest body a call takes: a link's request is a few hundred bytes.
const MAX_BODY: usize = 64 * 1024;

/// Every route of the API, documented in `openapi` (a test holds the two together).
pub const PATHS: [&str; 5] = [
    "/api/v1/links",
    "/api/v1/links/{id}",
    "/api/v1/links/{id}/revoke",
    "/api/v1/openapi.json",
    "/api/v1/links/batch",
];

/// The most parameter sets one batch call makes links for.
pub const MAX_BATCH_ROWS: usize = 10_000;

/// The largest body of a batch call.
const MAX_BATCH_BODY: usize = 10 * 1024 * 1024;

/// Bodies are read by the handlers themselves, after the key is checked, within their own limits
/// (`MAX_BODY`, `MAX_BATCH_BODY`).
pub fn routes(state: ApiState) -> Router {
    let [links, link, revoke, document, batch] = PATHS;
    Router::new()
        .route(batch, post(create_batch))
        .route(links, post(create_link))
        .route(link, get(read_link))
        .route(revoke, post(revoke_link))
        .route(document, get(openapi::document))
        .with_state(Arc::new(state))
}

/// The key a request carries, checked, holding `scope`.
async fn caller(
    state: &ApiState,
    headers: &HeaderMap,
    scope: ApiScope,
) -> Result<ApiCaller, ApiError> {
    // The scheme's name is case-insensitive (RFC 9110), the token is not.
    let sent = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
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

fn yes() -> bool {
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
async fn create_link(
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

/// A create's answer as a response: the JSON, never stored by a cache along the way (a signed
/// link is a credential), marked when it is a retry's stored answer.
fn created(answer: Result<(StatusCode, String, bool), ApiError>) -> Response {
    match answer {
        Ok((status, json, replayed)) => {
            let mut response = (status, json).into_response();
            let headers = response.headers_mut();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if replayed {
                headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
            }
            response
        }
        Err(err) => err.into_response(),
    }
}

/// Every create ends here: the key checked (scope `links:create`) before the body is read, the
/// body read within `limit`, and, with an `Idempotency-Key`, the first answer kept for retries.
/// The work runs as a task of its own, so a caller that hangs up cannot cut it off between making
/// links and keeping the answer. A refusal releases the key for a corrected retry; a server fault
/// keeps it claimed (the links may have been made: a retry is told so rather than making more).
/// Answers the status, the JSON, and whether it is a retry's stored answer.
async fn answer_create<F, Made>(
    state: Arc<ApiState>,
    path: &'static str,
    query: Option<String>,
    headers: HeaderMap,
    body: Body,
    limit: usize,
    make: F,
) -> Result<(StatusCode, String, bool), ApiError>
where
    F: FnOnce(Arc<ApiState>, ApiCaller, Option<String>, Bytes) -> Made + Send + 'static,
    Made: std::future::Future<Output = Result<String, ApiError>> + Send + 'static,
{
    let caller = caller(&state, &headers, ApiScope::LinksCreate).await?;
    let body = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::BadBody(format!(
            "the body could not be read whole, or is over {} KiB",
            limit / 1024
        ))
    })?;
    let claim = match idempotency::requested_key(&headers)? {
        None => None,
        Some(key) => {
            let hash = idempotency::request_hash("POST", path, query.as_deref(), &body);
            match state.idempotency.claim(&caller, &key, &hash).await? {
                Found::Answered { status, body } => {
                    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                    return Ok((status, body, true));
                }
                Found::New(claim) => Some(claim),
            }
        }
    };
    let work = tokio::spawn(async move {
        let made = make(state.clone(), caller, query, body).await;
        match (&made, claim) {
            (Ok(json), Some(claim)) => state.idempotency.keep(claim, 201, json).await,
            (Err(ApiError::Internal), Some(_)) => {}
            (Err(_), Some(claim)) => state.idempotency.release(claim).await,
            (_, None) => {}
        }
        made
    });
    match work.await {
        Ok(made) => made.map(|json| (StatusCode::CREATED, json, false)),
        Err(err) => {
            tracing::error!(error = %err, "an API call's work did not finish");
            Err(ApiError::Internal)
        }
    }
}

/// A link request from an API body, parsed as the dialog's is; each refusal names its field.
fn share_request(
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
fn share_refusal(err: ShareError) -> ApiError {
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
        name: app::domain::api_key::actor_name(&caller.prefix),
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
    let own = status.created_by == app::domain::api_key::actor_name(&caller.prefix);
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
async fn read_link(
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
async fn revoke_link(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let answer = async {
        let caller = caller(&state, &headers, ApiScope::LinksRevoke).await?;
        visible_link(&state, &caller, &id).await?;
        let by = UserView {
            name: app::domain::api_key::actor_name(&caller.prefix),
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
        let status = visible_link(&state, &caller, &id).await?;
        Ok::<_, ApiError>(status_answer(&caller, status))
    };
    match answer.await {
        Ok(status) => json_answer(StatusCode::OK, &status),
        Err(err) => err.into_response(),
    }
}

/// `POST /api/v1/links/batch`'s body: one link per row, each row its own parameters.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBatch {
    flow: String,
    application: String,
    /// Each row's URL parameters (`name=value&…`), up to 10,000 rows.
    #[serde(deserialize_with = "at_most_batch_rows")]
    #[schema(max_items = 10000)]
    rows: Vec<String>,
    /// As for one link: only `true` is accepted.
    #[serde(default = "yes")]
    protect: bool,
    #[serde(default)]
    shorten: bool,
    /// Make the good rows' links and list the refused ones, rather than all or nothing.
    #[serde(default)]
    partial: bool,
}

/// A batch as made: a link per good row, by row index, and (when `partial`) the refused rows.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiBatch {
    pub flow_name: String,
    pub links: Vec<ApiBatchLink>,
    pub refused: Vec<problem::RowRefusal>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiBatchLink {
    pub row: usize,
    pub id: String,
    /// The link to hand out: the short one when there is one.
    pub link: String,
    pub full_url: String,
    pub short_url: Option<String>,
    pub protected: bool,
    pub expires_at: Option<i64>,
}

/// Makes a link per row, in one transaction: all of them (or, with `partial`, all good rows),
/// each as one call would make it; one audit entry and one use of the key's rate budget.
#[utoipa::path(
    post,
    path = "/api/v1/links/batch",
    request_body = NewBatch,
    params(("Idempotency-Key" = Option<String>, Header, description = "As for one link")),
    responses(
        (status = 201, description = "The links, by row", body = ApiBatch),
        (status = 400, description = "Not this call's JSON, over 10,000 rows, or over 10 MB", body = openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No key, or one that does not work", body = openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Scope `links:create` missing, or an application the key is not limited to", body = openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such flow", body = openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The flow cannot be shared, or this Idempotency-Key's first call is still being answered (or did not finish cleanly)", body = openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Rows refused (`invalid-rows`, each named in `rows`), a field refused, or an Idempotency-Key used for another request", body = openapi::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many calls from this key just now", body = openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn create_batch(
    State(state): State<Arc<ApiState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let make = |state: Arc<ApiState>, caller: ApiCaller, query: Option<String>, body: Bytes| async move {
        if let Some(query) = query.filter(|q| !q.is_empty()) {
            return Err(ApiError::InvalidField {
                field: "query",
                message: format!("this call takes no query (got {query:?})"),
            });
        }
        let batch = make_batch(&state, &caller, &body).await?;
        serde_json::to_string(&batch).map_err(|_| ApiError::Internal)
    };
    created(answer_create(state, PATHS[4], query, headers, body, MAX_BATCH_BODY, make).await)
}

/// Rows of a batch, refused while they are read once there are more than [`MAX_BATCH_ROWS`]: a
/// body of tiny rows cannot make the server hold millions of them first.
fn at_most_batch_rows<'de, D: serde::Deserializer<'de>>(rows: D) -> Result<Vec<String>, D::Error> {
    struct Rows;
    impl<'de> serde::de::Visitor<'de> for Rows {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(f, "a list of at most {MAX_BATCH_ROWS} rows")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut rows = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX_BATCH_ROWS));
            while let Some(row) = seq.next_element::<String>()? {
                if rows.len() == MAX_BATCH_ROWS {
                    return Err(serde::de::Error::custom(format!(
                        "rows: at most {MAX_BATCH_ROWS} rows in one call"
                    )));
                }
                rows.push(row);
            }
            Ok(rows)
        }
    }
    rows.deserialize_seq(Rows)
}

/// Rows of a batch that count as one link generation against the key's rate budget.
const ROWS_PER_BUDGET_UNIT: usize = 100;

async fn make_batch(
    state: &ApiState,
    caller: &ApiCaller,
    body: &[u8],
) -> Result<ApiBatch, ApiError> {
    let new: NewBatch =
        serde_json::from_slice(body).map_err(|e| ApiError::BadBody(e.to_string()))?;
    if !new.protect {
        return Err(ApiError::InvalidField {
            field: "protect",
            message: "links made with an API key follow the flow's access protection; leave it out or send true".into(),
        });
    }
    if new.rows.is_empty() {
        return Err(ApiError::InvalidField {
            field: "rows",
            message: format!("1 to {MAX_BATCH_ROWS} rows (got none)"),
        });
    }
    let template = share_request(&new.flow, &new.application, "", true, new.shorten)?;
    if !caller.may_use(&template.application) {
        return Err(ApiError::ApplicationNotAllowed(
            template.application.as_str().to_owned(),
        ));
    }
    // Every row checked before anything is made, each refusal named by its index.
    let mut good = Vec::with_capacity(new.rows.len());
    let mut refused = Vec::new();
    for (row, params) in new.rows.iter().enumerate() {
        match app::domain::params::UrlParams::parse(params) {
            Ok(params) => good.push((row, params)),
            Err(err) => refused.push(problem::RowRefusal {
                row,
                detail: format!("URL parameters: {err}"),
            }),
        }
    }
    if !refused.is_empty() && !new.partial {
        return Err(ApiError::InvalidRows(refused));
    }
    let by = UserView {
        name: app::domain::api_key::actor_name(&caller.prefix),
        role: Role::Publisher,
    };
    // Every hundred rows count as one link made against the key's budget.
    let units = good.len().div_ceil(ROWS_PER_BUDGET_UNIT).max(1);
    state
        .limits
        .link_generations(&by, u32::try_from(units).unwrap_or(u32::MAX))
        .map_err(|limited| ApiError::RateLimited(limited.retry_after_seconds))?;
    let params: Vec<_> = good.iter().map(|(_, params)| params.clone()).collect();
    let (flow_name, made) = state
        .links
        .generate_batch(&by, &template, &params)
        .await
        .map_err(share_refusal)?;
    if let Err(err) = state.keys.used(caller).await {
        tracing::warn!(error = %err, "noting an API key's use");
    }
    Ok(ApiBatch {
        flow_name,
        links: good
            .iter()
            .zip(made)
            .map(|((row, _), link)| ApiBatchLink {
                row: *row,
                link: link
                    .short_url
                    .clone()
                    .unwrap_or_else(|| link.full_url.clone()),
                id: link.id,
                full_url: link.full_url,
                short_url: link.short_url,
                protected: link.protected,
                expires_at: link.expires_at,
            })
            .collect(),
        refused,
    })
}
