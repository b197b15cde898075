//! Campaigns' store: saving a share preset (checked as making a link would be checked), listing
//! and deleting them, and making links for one — one at a time (the API, the seed-shaped route,
//! the command line) or from an uploaded CSV (`rows`, `uploads`). Every link made for a campaign
//! is a new link of its own, counted to the campaign.

pub mod rows;
pub mod uploads;

use crate::db::{audit, conditional_change, now_millis, on_db, Db, StoreError, StoreResult};
use crate::links::generate::BatchOrigin;
use crate::links::LinkStore;
use app::domain::audit::AuditAction;
use app::domain::campaign::{Campaign, CampaignSummary, NewCampaign, UploadJob, UploadProgress};
use app::domain::params::UrlParams;
use app::domain::share::{GeneratedLink, ShareRequest};
use app::domain::{FlowSlug, Role, UserView};
use app::ports::{BackendError, CampaignError, Campaigns, Limited};
use async_trait::async_trait;

#[derive(Debug, Clone)]
pub struct CampaignStore {
    db: Db,
    links: LinkStore,
    uploads: uploads::Uploads,
}

/// A campaign as stored, with the id its links are counted to.
#[derive(Debug, Clone)]
pub struct StoredCampaign {
    pub id: i64,
    pub campaign: Campaign,
}

#[derive(sqlx::FromRow)]
struct CampaignRow {
    id: i64,
    slug: String,
    name: String,
    flow: String,
    application: String,
    application_name: String,
    params: String,
    protect: bool,
    shorten: bool,
    created_by: String,
    created_at: i64,
}

impl CampaignRow {
    fn into_stored(self) -> StoreResult<StoredCampaign> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("campaign {:?}: {what}", self.slug));
        let preset = ShareRequest::parse(
            &self.flow,
            &self.application,
            &self.params,
            self.protect,
            self.shorten,
        )
        .map_err(|e| corrupt(&e.to_string()))?;
        Ok(StoredCampaign {
            id: self.id,
            campaign: Campaign {
                slug: FlowSlug::parse(&self.slug).map_err(|e| corrupt(&e.to_string()))?,
                name: self.name,
                preset,
                application_name: self.application_name,
                created_by: self.created_by,
                created_at: self.created_at,
            },
        })
    }
}

/// Every campaign column. Links are counted only where they are listed: a lookup on the API's
/// path must not cost more as a campaign grows.
const SELECT_CAMPAIGNS: &str = "SELECT c.id, c.slug, c.name, f.slug AS flow, a.slug AS application, \
     a.name AS application_name, c.params, c.protect, c.shorten, c.created_by, c.created_at \
     FROM campaigns c JOIN flows f ON f.id = c.flow_id JOIN applications a ON a.id = c.application_id";

fn backend(context: &'static str) -> impl Fn(StoreError) -> BackendError {
    move |err| err.for_port(context)
}

impl CampaignStore {
    pub fn new(db: Db, links: LinkStore) -> Self {
        Self {
            db,
            links,
            uploads: uploads::Uploads::default(),
        }
    }

    /// The campaign with `slug`, if there is one.
    pub async fn find(&self, slug: &FlowSlug) -> StoreResult<Option<StoredCampaign>> {
        let sql = format!("{SELECT_CAMPAIGNS} WHERE c.slug = $1");
        let row: Option<CampaignRow> = on_db!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(slug.as_str())
            .fetch_optional(pool)
            .await)?;
        row.map(CampaignRow::into_stored).transpose()
    }

    /// One more link of a campaign: its parameters then `extra`, shortened as it says unless
    /// `shorten` says otherwise, protected as its flow × application says, made by `by`.
    pub async fn generate(
        &self,
        by: &UserView,
        campaign: &StoredCampaign,
        extra: &UrlParams,
        shorten: Option<bool>,
        with_qr: bool,
    ) -> Result<GeneratedLink, CampaignLinkError> {
        let request = campaign
            .campaign
            .request(extra, shorten)
            .map_err(CampaignLinkError::Params)?;
        self.links
            .generate_with(by, &request, with_qr, Some(campaign.id))
            .await
            .map_err(CampaignLinkError::Share)
    }

    /// Links for many recipients of a campaign at once, each row's parameters after the
    /// campaign's, in one transaction; `made` counts them as they are made.
    pub async fn generate_rows(
        &self,
        by: &UserView,
        campaign: &StoredCampaign,
        rows: &[UrlParams],
        made: Option<&std::sync::atomic::AtomicUsize>,
    ) -> Result<Vec<crate::links::generate::BatchLink>, app::ports::ShareError> {
        let origin = BatchOrigin {
            campaign: Some(campaign.id),
            progress: made,
        };
        let (_, links) = self
            .links
            .generate_batch(by, &campaign.campaign.preset, rows, origin)
            .await?;
        Ok(links)
    }

    async fn insert(
        &self,
        by: &UserView,
        new: &NewCampaign,
        flow_id: i64,
        application_id: i64,
    ) -> StoreResult<bool> {
        let insert = "INSERT INTO campaigns (slug, name, flow_id, application_id, params, protect, shorten, created_by, created_at) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (slug) DO NOTHING";
        let preset = &new.preset;
        let detail = format!(
            "campaign {} of flow {} via {}: {}{}{}",
            new.slug,
            preset.flow,
            preset.application,
            if preset.protect { "protected" } else { "open" },
            if preset.shorten { ", shortened" } else { "" },
            if preset.params.is_empty() {
                String::new()
            } else {
                format!(", parameters {}", preset.params.to_query())
            }
        );
        let saved = conditional_change!(&self.db, |tx| {
            let inserted = sqlx::query(insert)
                .bind(new.slug.as_str())
                .bind(&new.name)
                .bind(flow_id)
                .bind(application_id)
                .bind(preset.params.to_query())
                .bind(preset.protect)
                .bind(preset.shorten)
                .bind(&by.name)
                .bind(now_millis())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if inserted != 1 {
                return Ok(None);
            }
            audit!(
                tx,
                &by.name,
                AuditAction::CampaignSaved,
                preset.flow.as_str(),
                &detail
            )?;
            Ok(Some(()))
        })?;
        Ok(saved.is_some())
    }
}

/// Why one link of a campaign was not made.
#[derive(Debug)]
pub enum CampaignLinkError {
    /// The caller's parameters do not fit after the campaign's (named in the error).
    Params(app::domain::params::ParamError),
    Share(app::ports::ShareError),
}

#[async_trait]
impl Campaigns for CampaignStore {
    async fn save(&self, by: &UserView, new: &NewCampaign) -> Result<Campaign, CampaignError> {
        let (flow_id, application_id) = self.links.check_shareable(by, &new.preset).await?;
        let saved = self
            .insert(by, new, flow_id, application_id)
            .await
            .map_err(backend("saving a campaign"))?;
        if !saved {
            return Err(CampaignError::Taken(new.slug.to_string()));
        }
        self.find(&new.slug)
            .await
            .map_err(backend("reading a saved campaign"))?
            .map(|stored| stored.campaign)
            .ok_or_else(|| CampaignError::NotFound(new.slug.to_string()))
    }

    async fn of_flow(&self, flow: &FlowSlug) -> Result<Vec<CampaignSummary>, BackendError> {
        let sql = format!("{SELECT_CAMPAIGNS} WHERE f.slug = $1 ORDER BY c.name, c.slug");
        let counts =
            "SELECT l.campaign_id, COUNT(*) FROM links l JOIN campaigns c ON c.id = l.campaign_id \
                      JOIN flows f ON f.id = c.flow_id WHERE f.slug = $1 GROUP BY l.campaign_id";
        let (rows, counts): (Vec<CampaignRow>, Vec<(i64, i64)>) = on_db!(&self.db, |pool| async {
            let rows = sqlx::query_as(&sql)
                .bind(flow.as_str())
                .fetch_all(pool)
                .await?;
            let counts = sqlx::query_as(counts)
                .bind(flow.as_str())
                .fetch_all(pool)
                .await?;
            Ok::<_, sqlx::Error>((rows, counts))
        }
        .await)
        .map_err(|e| StoreError::from(e).for_port("listing campaigns"))?;
        rows.into_iter()
            .map(|row| {
                let stored = row.into_stored()?;
                let links = counts
                    .iter()
                    .find(|(id, _)| *id == stored.id)
                    .map_or(0, |(_, n)| *n);
                Ok(CampaignSummary {
                    campaign: stored.campaign,
                    links,
                })
            })
            .collect::<StoreResult<_>>()
            .map_err(backend("listing campaigns"))
    }

    async fn delete(&self, by: &UserView, slug: &FlowSlug) -> Result<(), CampaignError> {
        let stored = self
            .find(slug)
            .await
            .map_err(backend("finding a campaign"))?
            .ok_or_else(|| CampaignError::NotFound(slug.to_string()))?;
        if by.role != Role::Admin && by.name != stored.campaign.created_by {
            return Err(CampaignError::NotYours);
        }
        let sql = "DELETE FROM campaigns WHERE id = $1";
        let flow = stored.campaign.preset.flow.clone();
        let deleted = conditional_change!(&self.db, |tx| {
            let deleted = sqlx::query(sql)
                .bind(stored.id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if deleted != 1 {
                return Ok(None);
            }
            audit!(
                tx,
                &by.name,
                AuditAction::CampaignDeleted,
                flow.as_str(),
                &format!("campaign {slug}; the links made for it stay")
            )?;
            Ok(Some(()))
        })
        .map_err(|e| StoreError::from(e).for_port("deleting a campaign"))?;
        deleted.ok_or_else(|| CampaignError::NotFound(slug.to_string()))
    }

    async fn upload(
        &self,
        by: &UserView,
        campaign: &FlowSlug,
        csv: &[u8],
        budget: &(dyn Fn(usize) -> Result<(), Limited> + Send + Sync),
    ) -> Result<UploadJob, CampaignError> {
        let stored = self
            .find(campaign)
            .await
            .map_err(backend("finding a campaign"))?
            .ok_or_else(|| CampaignError::NotFound(campaign.to_string()))?;
        let rows = rows::CampaignRows::parse(csv, &stored.campaign)?;
        // The flow may have stopped being shareable since the campaign was saved: say so now,
        // not after the rows were read.
        self.links
            .check_shareable(by, &stored.campaign.preset)
            .await?;
        // Charged once everything is checked and there is room: a refused upload costs nothing.
        let count = rows.params.len();
        self.uploads
            .start(self.clone(), by.clone(), stored, rows, || {
                budget(count).map_err(CampaignError::Limited)
            })
    }

    async fn upload_progress(
        &self,
        by: &UserView,
        job: &str,
    ) -> Result<UploadProgress, CampaignError> {
        self.uploads
            .get(by, job)
            .map(|upload| upload.progress())
            .ok_or(CampaignError::NoSuchUpload)
    }
}

impl CampaignStore {
    /// An upload of `by`'s, for its download.
    pub fn upload_of(&self, by: &UserView, job: &str) -> Option<std::sync::Arc<uploads::Upload>> {
        self.uploads.get(by, job)
    }
}
