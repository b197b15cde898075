//! The API's OpenAPI 3.1 document, generated from the handlers' own annotations
//! (`utoipa`), served at `/api/v1/openapi.json`.

use super::responses::{Problem, ServerFault};
use axum::response::{IntoResponse, Response};
use http::header::CONTENT_TYPE;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

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
                utoipa::openapi::security::ApiKeyValue::with_description(
                    "Application-Key",
                    "An API key with scope links:create, for the seed system's route",
                ),
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
        super::campaign_url::CampaignUrlBody,
        Problem
    )),
    modifiers(&BearerKey)
)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json"),
        ServerFault,
    )
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

#[cfg(test)]
mod tests {
    use super::super::idempotency::MAX_KEY_CHARS;
    use super::super::responses::PROBLEM_JSON;
    use super::super::{schema, MAX_BATCH_ROWS, PATHS};
    use super::super::{CURSOR_CHARS, DEFAULT_PAGE, MAX_PAGE, MILLIS_PER_SECOND};
    use super::*;
    use app::domain::link::LinkId;
    use app::domain::link::LinkState;
    use app::domain::params::{MAX_PARAMS, MAX_PARAMS_TEXT};
    use app::domain::slug::MAX_SLUG_LEN;
    use serde_json::{json, Value};

    fn document() -> Value {
        serde_json::to_value(ApiDoc::openapi()).expect("the document is JSON")
    }

    fn operation<'d>(doc: &'d Value, method: &str, path: &str) -> &'d Value {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is documented");
        operation
    }

    fn parameter<'d>(operation: &'d Value, name: &str) -> &'d Value {
        operation["parameters"]
            .as_array()
            .and_then(|all| all.iter().find(|p| p["name"] == name))
            .unwrap_or_else(|| panic!("parameter {name} is documented"))
    }

    fn assert_slug(schema: &Value) {
        assert_eq!(schema["pattern"], schema::SLUG_PATTERN, "{schema}");
        assert_eq!(schema["minLength"], 1);
        assert_eq!(schema["maxLength"], MAX_SLUG_LEN);
    }

    fn assert_url_params(schema: &Value) {
        assert_eq!(schema["maxLength"], MAX_PARAMS_TEXT, "{schema}");
        assert_eq!(schema["pattern"], schema::url_params_pattern());
        let pattern = schema["pattern"].as_str().expect("a pattern");
        assert!(pattern.contains(&format!("{{0,{}}}", MAX_PARAMS - 1)));
    }

    #[test]
    fn the_listing_states_each_query_parameters_rule() {
        let doc = document();
        let list = operation(&doc, "get", PATHS[0]);
        for slug in ["flow", "application", "campaign"] {
            assert_slug(&parameter(list, slug)["schema"]);
        }
        let states: Vec<&str> = LinkState::ALL.map(LinkState::as_str).to_vec();
        assert_eq!(parameter(list, "state")["schema"]["enum"], json!(states));
        let limit = &parameter(list, "limit")["schema"];
        assert_eq!(
            (&limit["minimum"], &limit["maximum"], &limit["default"]),
            (&json!(1), &json!(MAX_PAGE), &json!(DEFAULT_PAGE))
        );
        for seconds in ["created_after", "created_before"] {
            let seconds = &parameter(list, seconds)["schema"];
            assert_eq!(seconds["type"], "integer");
            // Any second in range is a time the server can count in milliseconds.
            assert_eq!(seconds["minimum"], i64::MIN / MILLIS_PER_SECOND);
            assert_eq!(seconds["maximum"], i64::MAX / MILLIS_PER_SECOND);
        }
        let cursor = &parameter(list, "cursor")["schema"];
        assert_eq!(cursor["pattern"], schema::cursor_pattern());
        assert_eq!(
            (&cursor["minLength"], &cursor["maxLength"]),
            (&json!(CURSOR_CHARS), &json!(CURSOR_CHARS))
        );
        assert!(list["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .all(|p| p["in"] == "query" && p["required"] == false));
    }

    #[test]
    fn a_link_is_named_by_its_id_as_the_server_reads_it() {
        let doc = document();
        for (method, path) in [("get", PATHS[1]), ("post", PATHS[2])] {
            let id = parameter(operation(&doc, method, path), "id");
            assert_eq!((&id["in"], &id["required"]), (&json!("path"), &json!(true)));
            assert_eq!(id["schema"]["pattern"], schema::link_id_pattern());
            assert_eq!(id["schema"]["maxLength"], LinkId::LENGTH);
        }
    }

    #[test]
    fn a_create_body_is_a_campaigns_or_a_flows_and_nothing_else() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        for (name, own) in [("NewLink", "params"), ("NewBatch", "rows")] {
            let forms = schemas[name]["oneOf"].as_array().expect("two forms");
            let [campaign, direct] = forms.as_slice() else {
                panic!("{name}: two forms")
            };
            for form in forms {
                assert_eq!(form["additionalProperties"], false, "{name}: {form}");
                assert!(form["properties"][own].is_object(), "{name}: {own}");
                assert_eq!(form["properties"]["shorten"]["type"], "boolean");
            }
            assert_slug(&campaign["properties"]["campaign"]);
            assert!(campaign["properties"]["protect"].is_null());
            assert_slug(&direct["properties"]["flow"]);
            assert_slug(&direct["properties"]["application"]);
            assert_eq!(direct["properties"]["protect"]["enum"], json!([true]));
            assert!(direct["required"]
                .as_array()
                .is_some_and(|r| r.contains(&json!("flow")) && r.contains(&json!("application"))));
        }
        assert_url_params(&schemas["NewLink"]["oneOf"][0]["properties"]["params"]);
        let rows = &schemas["NewBatch"]["oneOf"][1]["properties"]["rows"];
        assert_eq!(
            (&rows["minItems"], &rows["maxItems"]),
            (&json!(1), &json!(MAX_BATCH_ROWS))
        );
        assert_url_params(&rows["items"]);
        assert_url_params(&schemas["CampaignUrlBody"]["properties"]["additionalParams"]);
    }

    #[test]
    fn a_create_takes_only_svg_and_a_bounded_idempotency_key() {
        let doc = document();
        let create = operation(&doc, "post", PATHS[0]);
        assert_eq!(
            parameter(create, "qr")["schema"]["enum"],
            json!([schema::QR_FORMAT])
        );
        for create in [create, operation(&doc, "post", PATHS[4])] {
            let key = &parameter(create, "Idempotency-Key")["schema"];
            assert_eq!(key["pattern"], schema::idempotency_key_pattern());
            assert_eq!(
                (&key["minLength"], &key["maxLength"]),
                (&json!(1), &json!(MAX_KEY_CHARS))
            );
        }
    }

    /// Each call's refusals, by status: what the handlers can answer, and nothing else.
    #[test]
    fn every_call_states_each_refusal_it_can_give() {
        let creates = [
            "201", "400", "401", "403", "404", "409", "413", "422", "429", "500",
        ];
        let calls: [(&str, &str, &[&str]); 8] = [
            ("post", PATHS[0], &creates),
            ("post", PATHS[4], &creates),
            ("get", PATHS[0], &["200", "401", "403", "422", "500"]),
            ("get", PATHS[1], &["200", "401", "403", "404", "500"]),
            (
                "post",
                PATHS[2],
                &["200", "401", "403", "404", "409", "500"],
            ),
            ("get", PATHS[5], &["200", "401", "403", "500"]),
            ("get", PATHS[3], &["200", "500"]),
            (
                "post",
                PATHS[6],
                &["200", "400", "401", "404", "409", "429", "500"],
            ),
        ];
        let doc = document();
        for (method, path, statuses) in calls {
            let responses = operation(&doc, method, path)["responses"]
                .as_object()
                .expect("responses");
            let documented: Vec<&str> = responses.keys().map(String::as_str).collect();
            assert_eq!(documented, statuses, "{method} {path}");
            let problems = path != PATHS[6];
            for (status, response) in responses {
                let refusal = !status.starts_with('2');
                if refusal && problems {
                    assert_eq!(
                        response["content"][PROBLEM_JSON]["schema"]["$ref"],
                        "#/components/schemas/Problem",
                        "{method} {path} {status}"
                    );
                }
            }
            if let Some(unauthorized) = responses.get("401") {
                let header = if problems {
                    "WWW-Authenticate"
                } else {
                    "Unauthenticated-Reason"
                };
                assert!(unauthorized["headers"][header].is_object(), "{path}");
            }
            if let Some(limited) = responses.get("429") {
                assert_eq!(
                    limited["headers"]["Retry-After"]["schema"]["type"],
                    "integer"
                );
            }
        }
    }
}
