//! The Get Interaction Link API of the system Flowshare reimplements, in its own shape, so a
//! script written for it works by changing the host:
//! `POST /interact/version/2/account/{account}/resources/campaign/url/{campaign}` with the API key
//! in `Application-Key` (`Tenant-Id` is accepted and not needed: one Flowshare is one tenant),
//! body `{"additionalParams": "var1=22&var2=33", "shortenUrl": true}`. It answers as that API
//! documents: 200 and the URL as text; 400 `missing or invalid parameter <parameter>`; 401 with
//! an `Unauthenticated-Reason` header; 404 `Campaign <campaign> was not found`; 500. Beyond
//! those: 409 when the campaign's flow cannot be shared now, 429 with `Retry-After`. Every 400
//! also says why in a `Flowshare-Reason` header, leaving the documented body as it is.

use super::create::{campaign_for, key_as_maker};
use super::problem::ApiError;
use super::{responses, schema, ApiState, MAX_BODY};
use crate::api_keys::KeyRefusal;
use app::domain::api_key::{ApiScope, ApiSecret};
use app::domain::params::UrlParams;
use app::ports::RateLimits;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, HeaderValue, StatusCode};
use std::collections::BTreeMap;
use std::sync::Arc;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{RefOr, ResponseBuilder};

/// An answer in this route's shape: plain text, never cached (a link is a credential).
fn text(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The longest reason a header carries: a proxy must not refuse the answer for its size.
const MAX_REASON: usize = 200;

/// A header value from a sentence: anything outside visible ASCII becomes `?`, and a long one
/// is cut short.
fn header_text(reason: &str) -> HeaderValue {
    let mut ascii: String = reason
        .chars()
        .take(MAX_REASON)
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c
            } else {
                '?'
            }
        })
        .collect();
    if reason.chars().count() > MAX_REASON {
        ascii.push_str("...");
    }
    HeaderValue::from_str(&ascii).unwrap_or_else(|_| HeaderValue::from_static("refused"))
}

fn unauthenticated(reason: &str) -> Response {
    let mut response = text(StatusCode::UNAUTHORIZED, String::new());
    response
        .headers_mut()
        .insert("unauthenticated-reason", header_text(reason));
    response
}

fn invalid(parameter: &str, reason: &str) -> Response {
    let mut response = text(
        StatusCode::BAD_REQUEST,
        format!("missing or invalid parameter {parameter}"),
    );
    response
        .headers_mut()
        .insert("flowshare-reason", header_text(reason));
    response
}

fn not_found(campaign: &str) -> Response {
    text(
        StatusCode::NOT_FOUND,
        format!("Campaign {campaign} was not found"),
    )
}

fn server_fault() -> Response {
    text(StatusCode::INTERNAL_SERVER_ERROR, String::new())
}

/// Any refusal of the shared steps, in this route's shape.
fn refusal(err: ApiError, campaign: &str) -> Response {
    match err {
        ApiError::MissingKey
        | ApiError::UnknownKey
        | ApiError::RevokedKey
        | ApiError::ExpiredKey
        | ApiError::MissingScope(_) => unauthenticated(&err.to_string()),
        ApiError::CampaignNotFound(_) => not_found(campaign),
        ApiError::RateLimited(seconds) => {
            let mut response = text(StatusCode::TOO_MANY_REQUESTS, err.to_string());
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
            response
        }
        // The seed's shape: whatever the campaign's flow or application says, the campaign the
        // caller named cannot make links now.
        ApiError::Share(_) => text(
            StatusCode::CONFLICT,
            format!("Campaign {campaign} cannot make links now: {err}"),
        ),
        ApiError::InvalidField { field, message } => invalid(field, &message),
        _ => server_fault(),
    }
}

/// The body's two parameters; a refusal names the parameter and says why.
fn parameters(body: &[u8]) -> Result<(UrlParams, Option<bool>), (&'static str, String)> {
    let value: serde_json::Value = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(body).map_err(|e| ("body", format!("not JSON: {e}")))?
    };
    // No body, and `null`, give no parameters, as a `null` field gives none.
    let none = serde_json::Map::new();
    let object = match &value {
        serde_json::Value::Null => &none,
        serde_json::Value::Object(object) => object,
        _ => return Err(("body", "the body is a JSON object".to_owned())),
    };
    let params = match object.get("additionalParams") {
        None | Some(serde_json::Value::Null) => UrlParams::default(),
        Some(serde_json::Value::String(text)) => {
            UrlParams::parse(text).map_err(|e| ("additionalParams", e.to_string()))?
        }
        Some(_) => {
            return Err((
                "additionalParams",
                "a string of name=value pairs joined by &".to_owned(),
            ))
        }
    };
    let shorten = match object.get("shortenUrl") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Bool(shorten)) => Some(*shorten),
        Some(_) => return Err(("shortenUrl", "true or false".to_owned())),
    };
    Ok((params, shorten))
}

/// The route's path and headers, as the document states them.
pub(super) struct CampaignUrlParams;

impl utoipa::IntoParams for CampaignUrlParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let any = |description: &str, min_length| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(description))
                .min_length(min_length)
                .into()
        };
        vec![
            schema::parameter(
                "account",
                ParameterIn::Path,
                true,
                "Any account name: one Flowshare is one tenant",
                any("An account name", Some(1)),
            ),
            schema::parameter(
                "campaign",
                ParameterIn::Path,
                true,
                "The campaign (any other text: 404)",
                schema::slug("The campaign's slug"),
            ),
            schema::parameter(
                "Tenant-Id",
                ParameterIn::Header,
                false,
                "Accepted and not needed",
                any("A tenant", None),
            ),
        ]
    }
}

/// The body, as the document states it (`parameters` reads it): both fields optional, others
/// ignored; no body, or `null`, is none.
pub(super) struct CampaignUrlBody;

impl utoipa::PartialSchema for CampaignUrlBody {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .description(Some("`{\"additionalParams\": \"var1=22&var2=33\", \"shortenUrl\": true}`; other fields are ignored"))
            .property(
                "additionalParams",
                schema::or_null(schema::url_params(
                    "URL parameters after the campaign's own",
                )),
            )
            .property(
                "shortenUrl",
                schema::or_null(schema::boolean(
                    "Shorten URL; absent or null: as the campaign says",
                )),
            )
            .into()
    }
}

impl utoipa::ToSchema for CampaignUrlBody {}

/// A header that says why, in words, on a refusal whose body the seed system fixes.
fn reason() -> utoipa::openapi::header::Header {
    utoipa::openapi::header::HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(Type::String))
        .description(Some("Why, in printable ASCII; always sent"))
        .build()
}

/// The refusals with headers of their own.
pub(super) struct CampaignUrlRefusals;

impl utoipa::IntoResponses for CampaignUrlRefusals {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        let text = || {
            utoipa::openapi::ContentBuilder::new()
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build()
        };
        let response = |description: &str| ResponseBuilder::new().description(description);
        [
            (
                400,
                response("`missing or invalid parameter <parameter>`; why, in `Flowshare-Reason`")
                    .content("text/plain", text())
                    .header("Flowshare-Reason", reason()),
            ),
            (
                401,
                response("The key is missing or does not work, or lacks scope links:create; why, in `Unauthenticated-Reason`")
                    .header("Unauthenticated-Reason", reason()),
            ),
            (
                429,
                response("Too many links from this key just now")
                    .content("text/plain", text())
                    .header("Retry-After", responses::retry_after()),
            ),
        ]
        .into_iter()
        .map(|(status, response)| (status.to_string(), response.build().into()))
        .collect()
    }
}

/// Makes one more link of a campaign and answers it as text.
#[utoipa::path(
    post,
    path = "/interact/version/2/account/{account}/resources/campaign/url/{campaign}",
    params(CampaignUrlParams),
    request_body(content = Option<CampaignUrlBody>, content_type = "application/json"),
    responses(
        (status = 200, description = "The link, as text", body = String, content_type = "text/plain"),
        CampaignUrlRefusals,
        (status = 404, description = "`Campaign <campaign> was not found` (also for a key limited to other applications)", body = String, content_type = "text/plain"),
        (status = 409, description = "The campaign's flow cannot be shared now", body = String, content_type = "text/plain"),
        (status = 500, description = "A server fault (logged)"),
    ),
    security(("application_key" = [])),
)]
pub(super) async fn campaign_url(
    State(state): State<Arc<ApiState>>,
    Path((_account, campaign)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(sent) = headers
        .get("application-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
    else {
        return unauthenticated("The Application-Key header is missing.");
    };
    let Some(secret) = ApiSecret::parse(sent) else {
        return refusal(ApiError::UnknownKey, &campaign);
    };
    let caller = match state.keys.authenticate(&secret).await {
        Ok(Ok(caller)) if caller.allows(ApiScope::LinksCreate) => caller,
        Ok(Ok(_)) => return refusal(ApiError::MissingScope(ApiScope::LinksCreate), &campaign),
        Ok(Err(KeyRefusal::Unknown)) => return refusal(ApiError::UnknownKey, &campaign),
        Ok(Err(KeyRefusal::Revoked)) => return refusal(ApiError::RevokedKey, &campaign),
        Ok(Err(KeyRefusal::Expired)) => return refusal(ApiError::ExpiredKey, &campaign),
        Err(err) => {
            tracing::error!(error = %err, "checking an API key");
            return server_fault();
        }
    };
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return invalid(
            "body",
            "the body could not be read whole, or is over 64 KiB",
        );
    };
    let (params, shorten) = match parameters(&body) {
        Ok(parameters) => parameters,
        Err((parameter, reason)) => return invalid(parameter, &reason),
    };
    let stored = match campaign_for(&state, &caller, &campaign).await {
        Ok(stored) => stored,
        Err(err) => return refusal(err, &campaign),
    };
    let by = key_as_maker(&caller);
    if let Err(limited) = state.limits.link_generation(&by) {
        return refusal(
            ApiError::RateLimited(limited.retry_after_seconds),
            &campaign,
        );
    }
    match state
        .campaigns
        .generate(&by, &stored, &params, shorten, false)
        .await
    {
        Ok(link) => {
            if let Err(err) = state.keys.used(&caller).await {
                tracing::warn!(error = %err, "noting an API key's use");
            }
            text(StatusCode::OK, link.link().to_owned())
        }
        Err(crate::campaigns::CampaignLinkError::Params(err)) => {
            invalid("additionalParams", &err.to_string())
        }
        Err(crate::campaigns::CampaignLinkError::Share(err)) => {
            refusal(ApiError::from(err), &campaign)
        }
    }
}
