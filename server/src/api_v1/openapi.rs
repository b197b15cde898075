//! The API's OpenAPI 3.1 document, generated from the handlers' own annotations
//! (`utoipa`), served at `/api/v1/openapi.json`.

use axum::response::{IntoResponse, Response};
use http::header::CONTENT_TYPE;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

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

struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("fsk_…")
                    .description(Some("An API key, made on the console's API keys page or with `flowshare apikey create`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "application_key",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Header(
                utoipa::openapi::security::ApiKeyValue::new("Application-Key"),
            )),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Flowshare API",
        version = "1",
        description = "Links for campaigns: make, read and revoke shared links of flows with an API key."
    ),
    paths(
        super::create::create_link,
        super::batch::create_batch,
        super::read::read_link,
        super::read::revoke_link,
        super::read::list_links,
        super::campaign_url::campaign_url,
        super::flows::list_flows,
        document
    ),
    components(schemas(
        super::create::NewLink,
        super::create::ApiLink,
        super::batch::NewBatch,
        super::batch::ApiBatch,
        super::batch::ApiBatchLink,
        super::problem::RowRefusal,
        super::read::ApiLinkStatus,
        super::read::ApiLinkPage,
        super::flows::ApiFlows,
        super::flows::ApiFlow,
        super::flows::ApiFlowApplication,
        Problem
    )),
    modifiers(&BearerKey)
)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json"))
)]
pub async fn document() -> Response {
    match ApiDoc::openapi().to_json() {
        Ok(json) => ([(CONTENT_TYPE, "application/json")], json).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "writing the OpenAPI document");
            super::problem::ApiError::Internal.into_response()
        }
    }
}
