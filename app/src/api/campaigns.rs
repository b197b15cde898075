//! Campaigns in the console: saving the Share dialog's choices as one, listing and deleting a
//! flow's, and making links for a CSV of recipients (checked whole first, then made while the
//! page shows progress; the CSV of links is downloaded from `/campaigns/uploads/…`).

use crate::domain::campaign::{Campaign, CampaignSummary, RowProblem, UploadJob, UploadProgress};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What an upload's check found: every row good (and their links being made), or the rows that
/// cannot make a link, none made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum UploadCheck {
    Started(UploadJob),
    BadRows(Vec<RowProblem>),
}

#[server(endpoint = "save_campaign")]
pub async fn save_campaign(
    flow: String,
    name: String,
    application: String,
    params: String,
    protect: bool,
    shorten: bool,
) -> Result<Campaign, AppError> {
    use super::request::*;
    use crate::domain::campaign::NewCampaign;
    use crate::domain::share::ShareRequest;
    respond(
        async move {
            let (ports, user) = caller(crate::domain::Permission::ShareFlows).await?;
            let preset = ShareRequest::parse(&flow, &application, &params, protect, shorten)
                .map_err(|e| AppError::refused(&e))?;
            let new = NewCampaign::parse(&name, preset)
                .map_err(|e| AppError::invalid(sentence(&e.to_string())))?;
            Ok(ports.campaigns.save(&user, &new).await?)
        }
        .await,
    )
}

#[server(endpoint = "flow_campaigns")]
pub async fn flow_campaigns(slug: String) -> Result<Vec<CampaignSummary>, AppError> {
    use super::request::*;
    respond(
        async move {
            let (ports, _) = caller(crate::domain::Permission::ViewFlows).await?;
            Ok(ports.campaigns.of_flow(&flow_slug(&slug)?).await?)
        }
        .await,
    )
}

/// Deletes a campaign (its links stay). Posted by a plain form in the Campaigns list, which it
/// sends back to.
#[server(endpoint = "delete_campaign")]
pub async fn delete_campaign(slug: String, campaign: String) -> Result<(), AppError> {
    use super::request::*;
    use crate::domain::audit::DetailsProblem;
    use crate::ports::CampaignError;
    let result = async {
        let (ports, user) = caller(crate::domain::Permission::ShareFlows).await?;
        let campaign = crate::domain::FlowSlug::parse(&campaign)
            .map_err(|_| DetailsRefusal::Problem(DetailsProblem::NoSuchCampaign))?;
        ports
            .campaigns
            .delete(&user, &campaign)
            .await
            .map_err(|e| match e {
                CampaignError::NotFound(_) => {
                    DetailsRefusal::Problem(DetailsProblem::NoSuchCampaign)
                }
                CampaignError::NotYours => DetailsRefusal::Problem(DetailsProblem::NotYourCampaign),
                other => DetailsRefusal::Error(other.into()),
            })
    }
    .await;
    respond(back_to_flow(&slug, result))
}

/// Checks a CSV of recipients for a campaign and, when every row is good, starts making their
/// links. JSON in: a CSV's commas and line breaks cost a character or two, not three.
#[server(endpoint = "upload_campaign_csv", input = leptos::server_fn::codec::Json)]
pub async fn upload_campaign_csv(campaign: String, csv: String) -> Result<UploadCheck, AppError> {
    use super::request::*;
    use crate::ports::CampaignError;
    respond(
        async move {
            let (ports, user) = caller(crate::domain::Permission::ShareFlows).await?;
            let campaign = crate::domain::FlowSlug::parse(&campaign).map_err(|_| {
                AppError::refused(&crate::domain::audit::DetailsProblem::NoSuchCampaign)
            })?;
            let budget = |links: usize| ports.limits.bulk_link_generation(&user, links);
            match ports
                .campaigns
                .upload(&user, &campaign, csv.as_bytes(), &budget)
                .await
            {
                Ok(job) => Ok(UploadCheck::Started(job)),
                Err(CampaignError::BadRows(rows)) => Ok(UploadCheck::BadRows(rows)),
                Err(other) => Err(other.into()),
            }
        }
        .await,
    )
}

#[server(endpoint = "campaign_upload_progress")]
pub async fn campaign_upload_progress(job: String) -> Result<UploadProgress, AppError> {
    use super::request::*;
    respond(
        async move {
            let (ports, user) = caller(crate::domain::Permission::ShareFlows).await?;
            Ok(ports.campaigns.upload_progress(&user, &job).await?)
        }
        .await,
    )
}
