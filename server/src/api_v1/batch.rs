//! `POST /api/v1/links/batch`: a link per row, up to 10,000, in one transaction with one audit
//! entry; all or nothing (every refused row named), or `partial`. Of a campaign, or of a flow and
//! an application.

use super::create::{idempotency_key, key_as_maker, preset, preset_schema, CallField};
use super::problem::{self, ApiError};
use super::{
    answer_create, created, responses, schema, ApiState, MAX_BATCH_BODY, MAX_BATCH_ROWS, PATHS,
};
use crate::api_keys::ApiCaller;
use crate::links::generate::BatchOrigin;
use app::ports::RateLimits;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::response::Response;
use http::HeaderMap;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;

/// `POST /api/v1/links/batch`'s body: one link per row, each row its own parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBatch {
    /// A campaign's slug: each row's parameters come after the campaign's own.
    campaign: Option<String>,
    /// Without a campaign: the flow's slug.
    flow: Option<String>,
    /// Without a campaign: the application's slug.
    application: Option<String>,
    /// Each row's URL parameters (`name=value&…`), 1 to [`MAX_BATCH_ROWS`] rows.
    #[serde(deserialize_with = "at_most_batch_rows")]
    rows: Vec<String>,
    /// As for one link: only `true` is accepted, and nothing with a campaign.
    protect: Option<bool>,
    /// Shorten URL; for a campaign, absent means as the campaign says.
    shorten: Option<bool>,
    /// Make the good rows' links and list the refused ones, rather than all or nothing.
    #[serde(default)]
    partial: bool,
}

impl utoipa::PartialSchema for NewBatch {
    fn schema() -> RefOr<Schema> {
        preset_schema(
            "A link per row: of a campaign, or of a flow and an application",
            &[
                CallField::required("rows", schema::batch_rows()),
                CallField::optional(
                    "partial",
                    schema::boolean("Make the good rows' links and list the refused ones, rather than all or nothing"),
                ),
            ],
        )
    }
}

impl utoipa::ToSchema for NewBatch {}

/// A batch call's headers, as the document states them.
pub(super) struct BatchParams;

impl utoipa::IntoParams for BatchParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![idempotency_key()]
    }
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
    params(BatchParams),
    responses(
        (status = 201, description = "The links, by row", body = ApiBatch, headers(("Idempotent-Replayed" = String, description = "`true` when this is the stored answer to an earlier call with the same Idempotency-Key"))),
        (status = 400, description = "Not this call's JSON: not JSON, a field of the wrong type or one this call does not take, or more rows than `maxItems` (`invalid-body`)", body = responses::Problem, content_type = "application/problem+json"),
        responses::Unauthorized,
        (status = 403, description = "Scope `links:create` missing (`missing-scope`), or an application the key is not limited to (`application-not-allowed`)", body = responses::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such flow (`flow-not-found`) or campaign (`campaign-not-found`)", body = responses::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The flow cannot be shared now (`flow-not-shareable`), or this Idempotency-Key's first call is still being answered or did not finish cleanly (`idempotency-key-in-use`)", body = responses::Problem, content_type = "application/problem+json"),
        responses::PayloadTooLarge,
        (status = 422, description = "Rows refused (`invalid-rows`, each named in `rows`), nothing made; a field against its rule (`invalid-field`): no rows, both a campaign and a flow, `protect: false`, any query; an application the flow is not available to (`application-not-available`); an Idempotency-Key used for another request (`idempotency-key-reused`)", body = responses::Problem, content_type = "application/problem+json"),
        responses::TooManyRequests,
        responses::ServerFault,
    ),
    security(("api_key" = [])),
)]
pub(super) async fn create_batch(
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

async fn make_batch(
    state: &ApiState,
    caller: &ApiCaller,
    body: &[u8],
) -> Result<ApiBatch, ApiError> {
    let new: NewBatch =
        serde_json::from_slice(body).map_err(|e| ApiError::BadBody(e.to_string()))?;
    if new.rows.is_empty() {
        return Err(ApiError::InvalidField {
            field: "rows",
            message: format!("1 to {MAX_BATCH_ROWS} rows (got none)"),
        });
    }
    let preset = preset(
        state,
        caller,
        new.campaign.as_deref(),
        new.flow.as_deref(),
        new.application.as_deref(),
        new.protect,
        new.shorten,
    )
    .await?;
    let template = preset
        .request(Default::default(), new.shorten)
        .map_err(|_| ApiError::Internal)?;
    // Every row checked before anything is made, each refusal named by its index.
    let mut good = Vec::with_capacity(new.rows.len());
    let mut refused = Vec::new();
    for (row, params) in new.rows.iter().enumerate() {
        let request = app::domain::params::UrlParams::parse(params)
            .and_then(|params| preset.request(params, new.shorten));
        match request {
            Ok(request) => good.push((row, request.params)),
            Err(err) => refused.push(problem::RowRefusal {
                row,
                detail: format!("URL parameters: {err}"),
            }),
        }
    }
    if !refused.is_empty() && !new.partial {
        return Err(ApiError::InvalidRows(refused));
    }
    let by = key_as_maker(caller);
    // Every hundred rows count as one link made against the key's budget.
    state
        .limits
        .bulk_link_generation(&by, good.len())
        .map_err(|limited| ApiError::RateLimited(limited.retry_after_seconds))?;
    let params: Vec<_> = good.iter().map(|(_, params)| params.clone()).collect();
    let (flow_name, made) = state
        .links
        .generate_batch(
            &by,
            &template,
            &params,
            BatchOrigin {
                campaign: preset.campaign_id(),
                progress: None,
            },
        )
        .await
        .map_err(ApiError::from)?;
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
