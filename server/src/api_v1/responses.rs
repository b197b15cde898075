//! The refusals every `/api/v1` call may answer, as its OpenAPI operation describes them: the
//! `application/problem+json` body and the responses shared by every call (401, 413, 429, 500).
//! The handlers name these in their annotations; `openapi` assembles the document from them.

use std::collections::BTreeMap;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::IntoResponses;

/// The media type of every refusal but the seed-shape route's.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A refusal, as every `/api/v1` call answers one (`application/problem+json`, RFC 9457).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct Problem {
    /// `/api/v1/problems/{name}`: stable, one per kind of refusal.
    r#type: String,
    title: String,
    status: u16,
    /// What to change.
    detail: String,
    /// `invalid-rows` only: each refused row of a batch, by index.
    rows: Option<Vec<super::problem::RowRefusal>>,
}

/// A refusal's response, described.
fn problem(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        PROBLEM_JSON,
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build(),
    )
}

fn one(
    status: u16,
    response: ResponseBuilder,
) -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
    BTreeMap::from([(status.to_string(), response.build().into())])
}

/// 401, as every call that takes a key answers it.
pub struct Unauthorized;

impl IntoResponses for Unauthorized {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        let challenge = ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(["Bearer"]));
        one(
            401,
            problem("No key (`missing-api-key`), or one that does not work (`unknown-api-key`, `revoked-api-key`, `expired-api-key`)")
                .header(
                    "WWW-Authenticate",
                    HeaderBuilder::new()
                        .schema(challenge)
                        .description(Some("Always `Bearer`"))
                        .build(),
                ),
        )
    }
}

/// 429, with the seconds to wait: the key's link budget is spent for now.
pub struct TooManyRequests;

impl IntoResponses for TooManyRequests {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        one(
            429,
            problem("Too many links from this key just now (`rate-limited`); the budget is the server's `--limit-link-generations-per-user`")
                .header("Retry-After", retry_after()),
        )
    }
}

/// The `Retry-After` header of a 429: whole seconds.
pub fn retry_after() -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0u32)),
        )
        .description(Some("Seconds to wait before trying again; always sent"))
        .build()
}

/// 413: a body over the call's limit, refused unread.
pub struct PayloadTooLarge;

impl IntoResponses for PayloadTooLarge {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        one(
            413,
            problem(&format!(
                "The body is over the call's limit (`body-too-large`): {} KiB, or {} MiB for a batch",
                super::MAX_BODY / 1024,
                super::MAX_BATCH_BODY / (1024 * 1024)
            )),
        )
    }
}

/// 500: a fault of the server (logged), never an answer to bad input.
pub struct ServerFault;

impl IntoResponses for ServerFault {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        one(500, problem("A fault of the server, logged (`internal`)"))
    }
}
