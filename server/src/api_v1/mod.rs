//! The versioned API for systems (`/api/v1`): JSON in and out, `Authorization: Bearer <API key>`,
//! refusals as `application/problem+json` (`problem`). Keys are made and revoked by admins on the
//! command line (`flowshare apikey …`) and kept hashed (`keys`).
//!
//! The calls: making one link (`create`, of a campaign or a flow), a batch (`batch`), reading,
//! listing and revoking links (`read`), listing the shareable flows (`flows`), and the seed
//! system's campaign-link call in its own shape (`campaign_url`);
//! every create ends through `answer_create` (the key before the body, `Idempotency-Key` via
//! `idempotency`); the document of them all is `openapi`, each input's rule in it built by
//! `schema` from the consts the server checks with.

mod batch;
mod campaign_url;
mod create;
mod flows;
pub mod idempotency;
mod openapi;
pub mod problem;
mod read;
mod responses;
mod schema;

pub use batch::{ApiBatch, ApiBatchLink};
pub use create::ApiLink;
pub use flows::{ApiFlow, ApiFlows};
pub use read::{ApiLinkPage, ApiLinkStatus};

use crate::api_keys::{ApiCaller, KeyRefusal, KeyStore};
use crate::links::LinkStore;
use crate::security::limits::Limits;
use app::domain::api_key::{ApiScope, ApiSecret};
use axum::body::{Body, Bytes};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, StatusCode};
use idempotency::Found;
use problem::ApiError;
use std::sync::Arc;

#[derive(Clone)]
pub struct ApiState {
    pub keys: KeyStore,
    pub flows: crate::flows::FlowStore,
    pub idempotency: idempotency::Idempotency,
    pub links: LinkStore,
    pub campaigns: crate::campaigns::CampaignStore,
    pub limits: Arc<Limits>,
}

/// The largest body a call takes: a link's request is a few hundred bytes.
const MAX_BODY: usize = 64 * 1024;

/// Every route of the API, documented in `openapi` (a test holds the two together).
pub const PATHS: [&str; 7] = [
    "/api/v1/links",
    "/api/v1/links/{id}",
    "/api/v1/links/{id}/revoke",
    "/api/v1/openapi.json",
    "/api/v1/links/batch",
    "/api/v1/flows",
    CAMPAIGN_URL,
];

/// The seed system's Get Interaction Link API, in its own shape (`campaign_url`).
pub const CAMPAIGN_URL: &str =
    "/interact/version/2/account/{account}/resources/campaign/url/{campaign}";

/// The most links one page of the listing holds, and how many when `limit` is not given.
const MAX_PAGE: u32 = 500;
const DEFAULT_PAGE: u32 = 100;

/// Times are kept in milliseconds and told in seconds.
const MILLIS_PER_SECOND: i64 = 1_000;

/// A listing cursor's bytes (see `read::cursor`): a multiple of 3, so no base64url character is
/// partly unused.
const CURSOR_BYTES: usize = 8 + 4 + 6;
const CURSOR_CHARS: usize = CURSOR_BYTES / 3 * 4;

/// The most parameter sets one batch call makes links for.
pub const MAX_BATCH_ROWS: usize = 10_000;

/// The largest body of a batch call.
const MAX_BATCH_BODY: usize = 10 * 1024 * 1024;

/// Bodies are read by the handlers themselves, after the key is checked, within their own limits
/// (`MAX_BODY`, `MAX_BATCH_BODY`).
pub fn routes(state: ApiState) -> Router {
    let [links, link, revoke, document, batch, flows, campaign_url] = PATHS;
    Router::new()
        .route(batch, post(batch::create_batch))
        .route(links, post(create::create_link).get(read::list_links))
        .route(link, get(read::read_link))
        .route(revoke, post(read::revoke_link))
        .route(document, get(openapi::document))
        .route(flows, get(flows::list_flows))
        .route(campaign_url, post(campaign_url::campaign_url))
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

/// A call's body, whole, refused unread past `limit` bytes (413) and when the client stops
/// sending it (400).
async fn read_body(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, limit).await.map_err(|err| {
        let over = std::error::Error::source(&err)
            .is_some_and(|cause| cause.is::<http_body_util::LengthLimitError>());
        if over {
            ApiError::BodyTooLarge(limit / 1024)
        } else {
            ApiError::BadBody("the body could not be read whole".to_owned())
        }
    })
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
    let body = read_body(body, limit).await?;
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
