//! `GET /api/v1/flows` (scope `flows:read`): the flows a key can make links of now, with the
//! applications it may use for each and their access protection: what a campaign script needs to
//! know before it asks for links.

use super::problem::ApiError;
use super::{caller, responses, ApiState};
use app::domain::api_key::ApiScope;
use app::domain::{AccessProtection, FlowSlug};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::HeaderMap;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The shareable flows, by name.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiFlows {
    pub flows: Vec<ApiFlow>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiFlow {
    pub slug: String,
    pub name: String,
    pub applications: Vec<ApiFlowApplication>,
}

/// An application a flow's links can be made for, as links made now would be protected.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiFlowApplication {
    pub slug: String,
    pub name: String,
    pub protected: bool,
    /// Absent: unlimited (or not protected).
    pub allowed_uses: Option<u32>,
    /// Seconds a link lasts; absent: it never expires.
    pub expires_after: Option<i64>,
    /// Whether changing a link's parameters makes it unusable.
    pub validates_params: bool,
}

/// Lists the flows the key can make links of now, and the applications it may use for each.
#[utoipa::path(
    get,
    path = "/api/v1/flows",
    responses(
        (status = 200, description = "The shareable flows and their applications", body = ApiFlows),
        responses::Unauthorized,
        (status = 403, description = "Scope `flows:read` missing (`missing-scope`)", body = responses::Problem, content_type = "application/problem+json"),
        responses::ServerFault,
    ),
    security(("api_key" = [])),
)]
pub(super) async fn list_flows(State(state): State<Arc<ApiState>>, headers: HeaderMap) -> Response {
    let answer = async {
        let caller = caller(&state, &headers, ApiScope::FlowsRead).await?;
        let shareable = state.flows.shareable().await.map_err(|err| {
            tracing::error!(error = %err, "listing flows for an API key");
            ApiError::Internal
        })?;
        let flows = shareable
            .into_iter()
            .filter_map(|(slug, name, availability)| {
                let applications: Vec<ApiFlowApplication> = availability
                    .into_iter()
                    .filter(|a| {
                        FlowSlug::parse(&a.application_slug).is_ok_and(|s| caller.may_use(&s))
                    })
                    .map(|a| {
                        let (protected, allowed_uses, expires_after, validates_params) =
                            match a.protection {
                                AccessProtection::Open => (false, None, None, false),
                                AccessProtection::Protected {
                                    allowed_invocations,
                                    expiry,
                                    validate_params,
                                } => (
                                    true,
                                    allowed_invocations,
                                    expiry.map(|e| e.as_millis() / 1_000),
                                    validate_params,
                                ),
                            };
                        ApiFlowApplication {
                            slug: a.application_slug,
                            name: a.application_name,
                            protected,
                            allowed_uses,
                            expires_after,
                            validates_params,
                        }
                    })
                    .collect();
                (!applications.is_empty()).then_some(ApiFlow {
                    slug,
                    name,
                    applications,
                })
            })
            .collect();
        Ok::<_, ApiError>(ApiFlows { flows })
    };
    match answer.await {
        Ok(flows) => axum::Json(flows).into_response(),
        Err(err) => err.into_response(),
    }
}
