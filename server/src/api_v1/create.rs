//! `POST /api/v1/links`: one link, exactly as the Share dialog makes it (the same checks of the
//! flow, the application and the parameters, the access protection, the audit entry), within the
//! key's rate budget; or one more link of a campaign, the caller's parameters after its own.

use super::problem::ApiError;
use super::{answer_create, created, responses, schema, ApiState, MAX_BODY, PATHS};
use crate::api_keys::ApiCaller;
use crate::campaigns::StoredCampaign;
use app::domain::api_key::actor_name;
use app::domain::params::UrlParams;
use app::domain::share::{ShareInputError, ShareRequest};
use app::domain::{FlowSlug, Role, UserView};
use app::ports::{RateLimits, ShareError};
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::response::Response;
use http::HeaderMap;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::RefOr;

/// `POST /api/v1/links`'s body: a campaign's slug, or a flow and an application (the document
/// says so with `oneOf`: see its `ToSchema`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewLink {
    /// A campaign's slug: the link is the campaign's preset with `params` after its own.
    campaign: Option<String>,
    /// Without a campaign: the flow's slug.
    flow: Option<String>,
    /// Without a campaign: the application's slug.
    application: Option<String>,
    /// `name=value&…`, as typed in the dialog's URL Parameters.
    #[serde(default)]
    params: String,
    /// Without a campaign, the dialog's Protect URL. Links made with a key always follow the
    /// flow × application's access protection: only `true` is accepted (a key kept in another
    /// system must not be able to make unsigned links of a protected flow). Refused with a
    /// campaign: its links are protected as it says, and always while the pair is Protected.
    protect: Option<bool>,
    /// Shorten URL; for a campaign, absent means as the campaign says.
    shorten: Option<bool>,
}

impl utoipa::PartialSchema for NewLink {
    fn schema() -> RefOr<Schema> {
        let params = schema::url_params(
            "The link's URL parameters, as typed in the Share dialog (after a campaign's own)",
        );
        preset_schema(
            "One link: of a campaign, or of a flow and an application",
            &[CallField::optional("params", params)],
        )
    }
}

impl utoipa::ToSchema for NewLink {}

/// A field of a create call's body beside those that name the preset.
pub(super) struct CallField {
    name: &'static str,
    schema: Schema,
    required: bool,
}

impl CallField {
    pub(super) fn optional(name: &'static str, schema: Schema) -> Self {
        Self {
            name,
            schema,
            required: false,
        }
    }

    pub(super) fn required(name: &'static str, schema: Schema) -> Self {
        Self {
            name,
            schema,
            required: true,
        }
    }
}

/// A create call's body as the document states it: a campaign's fields or a flow's and an
/// application's, exactly one of the two, with the call's own `fields`; no other field.
pub(super) fn preset_schema(description: &str, fields: &[CallField]) -> RefOr<Schema> {
    let form = |title: &str, preset: Vec<(&str, Schema)>| {
        let mut form = ObjectBuilder::new()
            .title(Some(title))
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        for (name, schema) in preset {
            form = form.property(name, schema).required(name);
        }
        for field in fields {
            form = form.property(field.name, field.schema.clone());
            if field.required {
                form = form.required(field.name);
            }
        }
        form.property(
            "shorten",
            schema::boolean("Shorten URL; absent: as the campaign says, or false"),
        )
    };
    let campaign = form(
        "Of a campaign",
        vec![(
            "campaign",
            schema::slug("The campaign's slug: its preset, its URL parameters first"),
        )],
    );
    let direct = form(
        "Of a flow and an application",
        vec![
            ("flow", schema::slug("The flow's slug")),
            ("application", schema::slug("The application's slug")),
        ],
    )
    .property(
        "protect",
        ObjectBuilder::new()
            .schema_type(Type::Boolean)
            .enum_values(Some([true]))
            .description(Some("Protect URL: links made with a key always follow the flow × application's access protection, so only true is taken")),
    );
    OneOfBuilder::new()
        .description(Some(description))
        .item(campaign)
        .item(direct)
        .into()
}

/// The query and headers of a create call, as the document states them.
pub(super) struct CreateParams;

impl utoipa::IntoParams for CreateParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            schema::parameter(
                "qr",
                ParameterIn::Query,
                false,
                "Add the link's QR code",
                schema::qr(),
            ),
            idempotency_key(),
        ]
    }
}

/// `Idempotency-Key`, as every create call takes it.
pub(super) fn idempotency_key() -> Parameter {
    schema::parameter(
        "Idempotency-Key",
        ParameterIn::Header,
        false,
        "Makes retries safe: a retry with the same key and the same request gets the first answer (`Idempotent-Replayed: true`), never a second link",
        schema::idempotency_key(),
    )
}

/// What a create call asks a link of: a campaign, or a flow and application of its own.
pub(super) enum Preset {
    Campaign(Box<StoredCampaign>),
    Direct(ShareRequest),
}

/// The preset a create call names, checked: a campaign the key may use, or a flow and an
/// application given as the dialog would (`params` are the caller's own, checked by the caller).
pub(super) async fn preset(
    state: &ApiState,
    caller: &ApiCaller,
    campaign: Option<&str>,
    flow: Option<&str>,
    application: Option<&str>,
    protect: Option<bool>,
    shorten: Option<bool>,
) -> Result<Preset, ApiError> {
    let field = |field: &'static str, message: &str| ApiError::InvalidField {
        field,
        message: message.to_owned(),
    };
    let request = match (campaign, flow, application) {
        (Some(slug), None, None) => {
            if protect.is_some() {
                return Err(field(
                    "protect",
                    "a campaign's links are protected as the campaign says; leave protect out",
                ));
            }
            return Ok(Preset::Campaign(Box::new(
                campaign_for(state, caller, slug).await?,
            )));
        }
        (Some(_), _, _) => {
            return Err(field(
                "campaign",
                "give either a campaign, or a flow and an application, not both",
            ))
        }
        (None, None, _) => return Err(field("flow", "give a flow (or a campaign)")),
        (None, Some(_), None) => return Err(field("application", "give an application")),
        (None, Some(flow), Some(application)) => {
            if protect == Some(false) {
                return Err(field("protect", "links made with an API key follow the flow's access protection; leave it out or send true"));
            }
            share_request(flow, application, "", true, shorten.unwrap_or(false))?
        }
    };
    if !caller.may_use(&request.application) {
        return Err(ApiError::ApplicationNotAllowed(
            request.application.as_str().to_owned(),
        ));
    }
    Ok(Preset::Direct(request))
}

/// The campaign `slug` names, if the key may make links of it (its application is one of the
/// key's).
pub(super) async fn campaign_for(
    state: &ApiState,
    caller: &ApiCaller,
    slug: &str,
) -> Result<StoredCampaign, ApiError> {
    let not_found = || ApiError::CampaignNotFound(slug.to_owned());
    let parsed = FlowSlug::parse(slug).map_err(|_| not_found())?;
    let stored = state
        .campaigns
        .find(&parsed)
        .await
        .map_err(|err| {
            tracing::error!(error = %err, "finding a campaign for an API key");
            ApiError::Internal
        })?
        .ok_or_else(not_found)?;
    // A key limited to other applications learns nothing of the campaign, not even that it is.
    if caller.may_use(&stored.campaign.preset.application) {
        Ok(stored)
    } else {
        Err(not_found())
    }
}

/// A caller's parameters, refused by name.
pub(super) fn caller_params(params: &str) -> Result<UrlParams, ApiError> {
    UrlParams::parse(params).map_err(|err| ApiError::InvalidField {
        field: "params",
        message: err.to_string(),
    })
}

impl Preset {
    /// The request for one link with the caller's `params` (after a campaign's own).
    pub(super) fn request(
        &self,
        params: UrlParams,
        shorten: Option<bool>,
    ) -> Result<ShareRequest, app::domain::params::ParamError> {
        match self {
            Self::Campaign(stored) => stored.campaign.request(&params, shorten),
            Self::Direct(request) => Ok(ShareRequest {
                params,
                ..request.clone()
            }),
        }
    }

    /// The campaign links of this preset are counted to.
    pub(super) fn campaign_id(&self) -> Option<i64> {
        match self {
            Self::Campaign(stored) => Some(stored.id),
            Self::Direct(_) => None,
        }
    }
}

/// The key as the maker of links: its prefix is what the Shared links list and the audit log
/// name, and its budget is its own.
pub(super) fn key_as_maker(caller: &ApiCaller) -> UserView {
    UserView {
        name: actor_name(&caller.prefix),
        role: Role::Publisher,
    }
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
    params(CreateParams),
    responses(
        (status = 201, description = "The link", body = ApiLink, headers(("Idempotent-Replayed" = String, description = "`true` when this is the stored answer to an earlier call with the same Idempotency-Key"))),
        (status = 400, description = "Not this call's JSON: not JSON, a field of the wrong type, or one this call does not take (`invalid-body`, the field named)", body = responses::Problem, content_type = "application/problem+json"),
        responses::Unauthorized,
        (status = 403, description = "Scope `links:create` missing (`missing-scope`), or an application the key is not limited to (`application-not-allowed`)", body = responses::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such flow (`flow-not-found`) or campaign (`campaign-not-found`)", body = responses::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The flow cannot be shared now (`flow-not-shareable`), or this Idempotency-Key's first call is still being answered (`idempotency-key-in-use`)", body = responses::Problem, content_type = "application/problem+json"),
        responses::PayloadTooLarge,
        (status = 422, description = "A field against its rule, named (`invalid-field`): both a campaign and a flow, `protect: false`, URL parameters the dialog would refuse (also with a campaign's own), another `qr` than svg, another query parameter; an application the flow is not available to (`application-not-available`); an Idempotency-Key used for another request (`idempotency-key-reused`)", body = responses::Problem, content_type = "application/problem+json"),
        responses::TooManyRequests,
        responses::ServerFault,
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
        ShareInputError::BadFlow(flow) => ApiError::Share(ShareError::FlowNotFound(flow)),
        ShareInputError::Params(_) => ApiError::InvalidField {
            field: "params",
            message: err.to_string(),
        },
    })
}

/// Whether the query asks for the QR code: `qr=svg`, the only format, or nothing.
fn wants_qr(query: Option<&str>) -> Result<bool, ApiError> {
    let mut qr = false;
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match (name.as_ref(), value.as_ref()) {
            ("qr", schema::QR_FORMAT) => qr = true,
            ("qr", other) => {
                return Err(ApiError::InvalidField {
                    field: "qr",
                    message: format!(
                        "the only QR format is {} (got {other:?})",
                        schema::QR_FORMAT
                    ),
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
    let request = preset
        .request(caller_params(&new.params)?, new.shorten)
        .map_err(|err| ApiError::InvalidField {
            field: "params",
            message: err.to_string(),
        })?;
    let by = key_as_maker(caller);
    state
        .limits
        .link_generation(&by)
        .map_err(|limited| ApiError::RateLimited(limited.retry_after_seconds))?;
    let link = state
        .links
        .generate_with(&by, &request, qr, preset.campaign_id())
        .await
        .map_err(ApiError::from)?;
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
