//! `GET /api/v1/links/{id}` and `POST /api/v1/links/{id}/revoke`: a link's state, and revoking it,
//! for the key that made it. `GET /api/v1/links`: the links a key may see (in its applications),
//! filtered, newest first, a page at a time.
//!
//! A link's id opens it (an open link needs nothing else), so it is a bearer secret: only the key
//! that made a link is given its id and URLs, as the console gives them only to a link's maker and
//! admins. Every other key sees the link's state under its reference (`LinkRef`), and a read by
//! id answers only the maker: anyone else already holding the id would learn nothing they need,
//! and an answer would confirm that a string opens a link.

use super::problem::ApiError;
use super::{
    caller, responses, schema, ApiState, CURSOR_BYTES, DEFAULT_PAGE, MAX_PAGE, MILLIS_PER_SECOND,
};
use crate::api_keys::ApiCaller;
use crate::links::lifecycle::{LinkFilter, LinkStatus, ListPosition};
use app::domain::api_key::{actor_name, ApiScope};
use app::domain::link::LinkState;
use app::domain::link::{LinkId, LinkRef};
use app::domain::{Role, UserView};
use app::ports::RevokeError;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http::header::CACHE_CONTROL;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::openapi::path::{Parameter, ParameterIn};

/// A link's state as `GET /api/v1/links/{id}` answers it.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiLinkStatus {
    /// The link's id, which opens it: only for links made with this key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The link's reference, the first 5 characters of its id: tells links apart, cannot open one.
    pub reference: String,
    pub flow: String,
    pub application: String,
    #[schema(schema_with = state_schema)]
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
    /// The slug of the campaign it was made for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
}

/// A page of links, newest first.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiLinkPage {
    pub links: Vec<ApiLinkStatus>,
    /// Pass as `cursor` for the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

fn state_schema() -> utoipa::openapi::schema::Schema {
    schema::link_state("What the link does when opened now")
}

/// The listing's query, as the document states it (`link_filter` reads it).
pub(super) struct LinkQuery;

impl utoipa::IntoParams for LinkQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let query = |name, description, schema| {
            schema::parameter(name, ParameterIn::Query, false, description, schema)
        };
        vec![
            query(
                "flow",
                "Only this flow's links",
                schema::slug("A flow's slug"),
            ),
            query(
                "application",
                "Only links through this application",
                schema::slug("An application's slug"),
            ),
            query(
                "campaign",
                "Only links made for this campaign",
                schema::slug("A campaign's slug"),
            ),
            query("state", "Only links in this state", state_schema()),
            query(
                "created_after",
                "Made at or after",
                schema::unix_seconds("Unix seconds"),
            ),
            query(
                "created_before",
                "Made before",
                schema::unix_seconds("Unix seconds"),
            ),
            query("limit", "Links a page", schema::page_limit()),
            query("cursor", "Where the next page starts", schema::cursor()),
        ]
    }
}

/// The link a call is about, by its id in the path.
pub(super) struct LinkPath;

impl utoipa::IntoParams for LinkPath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![schema::parameter(
            "id",
            ParameterIn::Path,
            true,
            "The link's id",
            schema::link_id(),
        )]
    }
}

/// A listing's query, checked: every parameter known, each value of its kind.
fn link_filter(caller: &ApiCaller, query: Option<&str>) -> Result<LinkFilter, ApiError> {
    let invalid = |field: &'static str, message: String| ApiError::InvalidField { field, message };
    let slug = |field: &'static str, value: &str| {
        app::domain::FlowSlug::parse(value)
            .map(|s| s.to_string())
            .map_err(|e| invalid(field, format!("{value:?}: {e}")))
    };
    let seconds = |field: &'static str, value: &str| {
        value
            .parse::<i64>()
            .ok()
            .and_then(|s| s.checked_mul(MILLIS_PER_SECOND))
            .ok_or_else(|| {
                invalid(
                    field,
                    format!("Unix seconds, a whole number (got {value:?})"),
                )
            })
    };
    let mut filter = LinkFilter {
        limit: DEFAULT_PAGE,
        ..LinkFilter::default()
    };
    let mut seen = Vec::new();
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if seen.contains(&name) {
            return Err(invalid(
                "query",
                format!("{name:?} is given more than once"),
            ));
        }
        match name.as_ref() {
            "flow" => filter.flow = Some(slug("flow", &value)?),
            "application" => filter.application = Some(slug("application", &value)?),
            "campaign" => filter.campaign = Some(slug("campaign", &value)?),
            "state" => {
                filter.state = Some(
                    LinkState::ALL
                        .into_iter()
                        .find(|s| s.as_str() == value)
                        .ok_or_else(|| {
                            let states = LinkState::ALL.map(LinkState::as_str).join(", ");
                            invalid("state", format!("one of {states} (got {value:?})"))
                        })?,
                )
            }
            "created_after" => filter.created_from = Some(seconds("created_after", &value)?),
            "created_before" => filter.created_until = Some(seconds("created_before", &value)?),
            "limit" => {
                filter.limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE).contains(n))
                    .ok_or_else(|| invalid("limit", format!("1 to {MAX_PAGE} (got {value:?})")))?
            }
            "cursor" => {
                filter.after = Some(
                    parse_cursor(&value)
                        .ok_or_else(|| invalid("cursor", "not a cursor this API gave".into()))?,
                )
            }
            other => {
                return Err(invalid(
                    "query",
                    format!("{other:?} is not a parameter of this call (flow, application, campaign, state, created_after, created_before, limit, cursor)"),
                ))
            }
        }
        seen.push(name);
    }
    filter.within = caller.applications().to_vec();
    Ok(filter)
}

/// A page's cursor: where the next page resumes ([`ListPosition`], which holds no link's id),
/// opaque to callers. Its bytes: the time (`i64` milliseconds), the reference's 30 bits (in a
/// `u32`; the top two bits are not read) and how many links at that position were given, less one
/// (48 bits, read up to `u32::MAX`): 18 bytes, 24 base64url characters, every one of which decodes
/// to a position, so the document's pattern is exact.
fn cursor(position: &ListPosition) -> String {
    let mut bytes = [0u8; CURSOR_BYTES];
    bytes[..8].copy_from_slice(&position.created_at.to_be_bytes());
    bytes[8..12].copy_from_slice(&reference_bits(&position.reference).to_be_bytes());
    let given = u64::from(position.given.saturating_sub(1)).to_be_bytes();
    bytes[12..].copy_from_slice(&given[2..]);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn parse_cursor(raw: &str) -> Option<ListPosition> {
    let bytes: [u8; CURSOR_BYTES] = URL_SAFE_NO_PAD.decode(raw).ok()?.try_into().ok()?;
    let (at, rest) = bytes.split_first_chunk::<8>()?;
    let (reference, given) = rest.split_first_chunk::<4>()?;
    let mut wide = [0u8; 8];
    wide[2..].copy_from_slice(given);
    let given = u64::from_be_bytes(wide).min(u64::from(u32::MAX - 1)) as u32 + 1;
    Some(ListPosition {
        created_at: i64::from_be_bytes(*at),
        reference: reference_of_bits(u32::from_be_bytes(*reference)),
        given,
    })
}

/// The base64url alphabet a reference is written in (it is the start of a link id).
const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A reference's five characters as 30 bits, six a character.
fn reference_bits(reference: &LinkRef) -> u32 {
    reference.as_str().bytes().fold(0, |bits, c| {
        let value = BASE64URL.iter().position(|&a| a == c).unwrap_or(0) as u32;
        (bits << 6) | value
    })
}

fn reference_of_bits(bits: u32) -> LinkRef {
    let text: String = (0..LinkRef::LENGTH)
        .rev()
        .map(|i| char::from(BASE64URL[((bits >> (6 * i)) & 0x3f) as usize]))
        .collect();
    LinkRef::of_raw(&text)
}

/// `GET /api/v1/links` (scope `links:read`): the links the key may see, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/links",
    params(LinkQuery),
    responses(
        (status = 200, description = "A page of links", body = ApiLinkPage),
        responses::Unauthorized,
        (status = 403, description = "Scope `links:read` missing (`missing-scope`)", body = responses::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter refused, named: unknown, given twice, or against its rule (`invalid-field`)", body = responses::Problem, content_type = "application/problem+json"),
        responses::ServerFault,
    ),
    security(("api_key" = [])),
)]
pub(super) async fn list_links(
    State(state): State<Arc<ApiState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let answer = async {
        let caller = caller(&state, &headers, ApiScope::LinksRead).await?;
        let mut filter = link_filter(&caller, query.as_deref())?;
        let from = filter.after.clone();
        let limit = filter.limit;
        // One more than a page: whether there is a next page, without a count.
        filter.limit += 1;
        let mut links = state.links.list_links(&filter).await.map_err(|err| {
            tracing::error!(error = %err, "listing links for an API key");
            ApiError::Internal
        })?;
        let more = links.len() > limit as usize;
        links.truncate(limit as usize);
        let next_cursor = more
            .then(|| ListPosition::after(&links, from.as_ref()))
            .flatten()
            .map(|position| cursor(&position));
        Ok::<_, ApiError>(ApiLinkPage {
            links: links
                .into_iter()
                .map(|status| status_answer(&caller, status))
                .collect(),
            next_cursor,
        })
    };
    answered(answer.await)
}

/// A link the caller may see: in one of its applications. Anything else is "not found", so a key
/// learns nothing about links outside its applications.
async fn visible_link(
    state: &ApiState,
    caller: &ApiCaller,
    id: &str,
) -> Result<crate::links::lifecycle::LinkStatus, ApiError> {
    let not_found = || ApiError::LinkNotFound(LinkRef::of_raw(id));
    if LinkId::parse(id).is_err() {
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

/// Whether `caller` made `status`'s link: only then is it given what opens it.
fn made_by(caller: &ApiCaller, status: &LinkStatus) -> bool {
    status.created_by == actor_name(&caller.prefix)
}

fn status_answer(caller: &ApiCaller, status: LinkStatus) -> ApiLinkStatus {
    let own = made_by(caller, &status);
    ApiLinkStatus {
        reference: LinkRef::of_raw(&status.id).as_str().to_owned(),
        id: own.then(|| status.id.clone()),
        state: status.state().as_str().to_owned(),
        full_url: own.then(|| status.url.clone()),
        short_url: status
            .short_code
            .as_deref()
            .filter(|_| own)
            .and_then(app::domain::link::ShortCode::parse)
            .map(|code| code.to_url(&status.base_url)),
        created_at: status.created_at / MILLIS_PER_SECOND,
        last_used_at: status.last_used_at.map(|at| at / MILLIS_PER_SECOND),
        flow: status.flow,
        application: status.application,
        protected: status.protected,
        created_by: status.created_by,
        campaign: status.campaign,
        uses: status.invocations,
        allowed_uses: status.allowed_invocations,
        expires_at: status.expires_at,
    }
}

/// A read's answer: its JSON, never stored by a cache (it may hold a link's URLs), or the
/// refusal.
fn answered(answer: Result<impl Serialize, ApiError>) -> Response {
    match answer {
        Ok(body) => {
            let mut response = (StatusCode::OK, axum::Json(body)).into_response();
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(err) => err.into_response(),
    }
}

/// `GET /api/v1/links/{id}` (scope `links:read`): a link's state, uses and expiry, for the key
/// that made it (the listing shows other keys' and the console's links by reference).
#[utoipa::path(
    get,
    path = "/api/v1/links/{id}",
    params(LinkPath),
    responses(
        (status = 200, description = "The link's state", body = ApiLinkStatus),
        responses::Unauthorized,
        (status = 403, description = "Scope `links:read` missing (`missing-scope`)", body = responses::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such link made with this key (`link-not-found`)", body = responses::Problem, content_type = "application/problem+json"),
        responses::ServerFault,
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
        // Someone else's link is not there for this key, exactly as a made-up id is not.
        if !made_by(&caller, &status) {
            return Err(ApiError::LinkNotFound(LinkRef::of_raw(&id)));
        }
        Ok::<_, ApiError>(status_answer(&caller, status))
    };
    answered(answer.await)
}

/// `POST /api/v1/links/{id}/revoke` (scope `links:revoke`): revokes a link this key made, full
/// and short alike, audited like the console's Revoke.
#[utoipa::path(
    post,
    path = "/api/v1/links/{id}/revoke",
    params(LinkPath),
    responses(
        (status = 200, description = "The link, revoked", body = ApiLinkStatus),
        responses::Unauthorized,
        (status = 403, description = "Scope `links:revoke` missing (`missing-scope`), or a link another key or a console user made (`not-your-link`)", body = responses::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such link in the key's applications (`link-not-found`)", body = responses::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Revoked before (`already-revoked`)", body = responses::Problem, content_type = "application/problem+json"),
        responses::ServerFault,
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
                RevokeError::NoSuchLink => ApiError::LinkNotFound(LinkRef::of_raw(&id)),
                RevokeError::NotYourLink => ApiError::NotYourLink,
                RevokeError::AlreadyRevoked => ApiError::Revoke(err),
                RevokeError::Backend(err) => {
                    tracing::error!(error = %err, "revoking a link for an API key");
                    ApiError::Internal
                }
            })?;
        // Revoked now: nothing else about it changed, so it is not read again.
        status.revoked = true;
        Ok::<_, ApiError>(status_answer(&caller, status))
    };
    answered(answer.await)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_cursor_gives_back_the_position_it_was_made_of(
            at in any::<i64>(),
            reference in "[A-Za-z0-9_-]{5}",
            given in 1..=u32::MAX,
        ) {
            let position = ListPosition { created_at: at, reference: LinkRef::of_raw(&reference), given };
            let made = cursor(&position);
            prop_assert!(regex::Regex::new(&schema::cursor_pattern()).expect("a regex").is_match(&made));
            prop_assert_eq!(parse_cursor(&made), Some(position));
        }

        /// The document's pattern is exact: whatever matches it is a position, nothing else is.
        #[test]
        fn a_cursor_is_what_the_document_says(
            text in prop_oneof!["[A-Za-z0-9_-]{24}", "[A-Za-z0-9_=+/.-]{0,40}"]
        ) {
            let documented = regex::Regex::new(&schema::cursor_pattern()).expect("a regex").is_match(&text);
            let position = parse_cursor(&text);
            prop_assert_eq!(documented, position.is_some(), "{:?}", text);
            if let Some(position) = position {
                prop_assert!(position.given >= 1);
            }
        }
    }

    #[test]
    fn a_cursor_holds_no_link_id() {
        let id = "AbCdEfGhIjKlMnOpQrStUv";
        let position = ListPosition {
            created_at: 1_700_000_000_000,
            reference: LinkRef::of_raw(id),
            given: 3,
        };
        let made = cursor(&position);
        let decoded = URL_SAFE_NO_PAD.decode(&made).expect("base64url");
        assert_eq!(decoded.len(), CURSOR_BYTES);
        assert!(!String::from_utf8_lossy(&decoded).contains("AbCdE"));
        assert_eq!(
            parse_cursor(&made).map(|p| p.reference),
            Some(LinkRef::of_raw(id))
        );
    }
}
