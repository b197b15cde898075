//! Applications (the doors links go through) and which flows are available to them, with each
//! pair's access protection. Keys are minted here and never leave the server.

mod form;
mod link_pages;

pub use link_pages::{check_image, CheckedImage};

use crate::db::{audit, conditional_change, now_millis, on_db, Db, StoreError, StoreResult};
use crate::links::LinkStore;
use crate::security::random_bytes;
use app::domain::application_form::{parse_base_url, parse_origin, ApplicationForm};
use app::domain::audit::AuditAction;
use app::domain::link_pages::LinkPagesForm;
use app::domain::UserView;
use app::domain::{AccessProtection, ApplicationKind, FlowSlug};
use app::ports::{ApplicationError, BackendError, ProtectionChange};
use app::views::{ApplicationSummary, FlowChoice, LinkPagesView};

/// Applications, their keys and which flows they offer with what protection. Every change tells
/// the links' store, since it changes what links do.
#[derive(Debug, Clone)]
pub struct ApplicationStore {
    pub(crate) db: Db,
    pub(crate) flows: crate::flows::FlowStore,
    pub(crate) links: LinkStore,
}

/// An application as it is created: base URL and embed origins already checked.
#[derive(Debug, Clone)]
pub struct NewApplication {
    pub slug: FlowSlug,
    pub name: String,
    pub kind: ApplicationKind,
    pub base_url: String,
    pub embed_origins: Vec<String>,
}

/// [`parse_base_url`] for the store's own callers (the command line, the demo).
pub fn checked_base_url(raw: &str) -> StoreResult<String> {
    parse_base_url(raw).map_err(|e| StoreError::Invalid(e.to_string()))
}

/// [`parse_origin`] for the store's own callers (the command line, the demo).
fn checked_origin(raw: &str) -> StoreResult<String> {
    parse_origin(raw).map_err(|e| StoreError::Invalid(e.to_string()))
}

/// An access protection as `flow_applications` stores it: protected, allowed invocations,
/// expiry amount and unit, validate parameters.
type ProtectionColumns = (bool, Option<i64>, Option<i64>, Option<&'static str>, bool);

fn protection_columns(protection: AccessProtection) -> ProtectionColumns {
    match protection {
        AccessProtection::Open => (false, None, None, None, true),
        AccessProtection::Protected {
            allowed_invocations,
            expiry,
            validate_params,
        } => (
            true,
            allowed_invocations.map(i64::from),
            expiry.map(|e| i64::from(e.amount)),
            expiry.map(|e| e.unit.as_str()),
            validate_params,
        ),
    }
}

impl ApplicationStore {
    pub async fn create_application(&self, app: &NewApplication) -> StoreResult<i64> {
        let base_url = checked_base_url(&app.base_url)?;
        let origins = app
            .embed_origins
            .iter()
            .map(|o| checked_origin(o))
            .collect::<StoreResult<Vec<_>>>()?;
        if !app.kind.embeddable() && !origins.is_empty() {
            return Err(StoreError::Invalid(
                "a web-page application cannot have embed origins".into(),
            ));
        }
        let key = random_bytes::<32>()?;
        let now = now_millis();
        let sql = "INSERT INTO applications (slug, name, kind, base_url, embed_origins, secret_key, key_version, created_at, rotated_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7) RETURNING id";
        on_db!(&self.db, |pool| sqlx::query_scalar(sql)
            .bind(app.slug.as_str())
            .bind(app.name.trim())
            .bind(app.kind.as_str())
            .bind(&base_url)
            .bind(origins.join("\n"))
            .bind(key.to_vec())
            .bind(now)
            .fetch_one(pool)
            .await)
        .map_err(|e| {
            StoreError::on_unique(e, || {
                format!("an application with slug {} already exists", app.slug)
            })
        })
    }

    /// Makes a flow available to an application with the given protection (or changes the protection).
    pub async fn set_availability(
        &self,
        flow: &FlowSlug,
        application: &FlowSlug,
        protection: AccessProtection,
    ) -> StoreResult<()> {
        let flow_id = self
            .flows
            .flow_id(flow)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "flow",
                name: flow.as_str().to_owned(),
            })?;
        let app_id: i64 = on_db!(&self.db, |pool| sqlx::query_scalar(
            "SELECT id FROM applications WHERE slug = $1"
        )
        .bind(application.as_str())
        .fetch_optional(pool)
        .await)?
        .ok_or_else(|| StoreError::NotFound {
            what: "application",
            name: application.as_str().to_owned(),
        })?;
        let (protected, invocations, amount, unit, validate) = protection_columns(protection);
        let sql = "INSERT INTO flow_applications (flow_id, application_id, protected, allowed_invocations, expiry_amount, \
                   expiry_unit, validate_params) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                   ON CONFLICT (flow_id, application_id) DO UPDATE SET protected = excluded.protected, \
                   allowed_invocations = excluded.allowed_invocations, expiry_amount = excluded.expiry_amount, \
                   expiry_unit = excluded.expiry_unit, validate_params = excluded.validate_params";
        on_db!(&self.db, |pool| sqlx::query(sql)
            .bind(flow_id)
            .bind(app_id)
            .bind(protected)
            .bind(invocations)
            .bind(amount)
            .bind(unit)
            .bind(validate)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }
}

impl ApplicationStore {
    /// A new 256-bit key and key version for an application. Every link made before, full or short,
    /// protected or not, is disabled from the next request on.
    pub async fn regenerate_key(
        &self,
        application: &FlowSlug,
        by: &str,
    ) -> Result<u32, ApplicationError> {
        let backend = |e: StoreError| ApplicationError::Backend(e.for_port("regenerating a key"));
        let version = self
            .rotate_key(application, by)
            .await
            .map_err(backend)?
            .ok_or_else(|| ApplicationError::NoSuchApplication(application.to_string()))?;
        self.links.changed().await;
        u32::try_from(version).map_err(|e| backend(StoreError::Corrupt(e.to_string())))
    }

    /// The new key version, with its audit entry; `None` when no application has this slug.
    async fn rotate_key(&self, application: &FlowSlug, by: &str) -> StoreResult<Option<i64>> {
        let key = random_bytes::<32>()?;
        let sql = "UPDATE applications SET secret_key = $1, key_version = key_version + 1, rotated_at = $2 \
                   WHERE slug = $3 RETURNING key_version";
        let version = conditional_change!(&self.db, |tx| {
            let version: Option<i64> = sqlx::query_scalar(sql)
                .bind(key.to_vec())
                .bind(now_millis())
                .bind(application.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(version) = version {
                let detail = format!("now key version {version}; every earlier link is disabled");
                audit!(
                    tx,
                    by,
                    AuditAction::KeyRegenerated,
                    application.as_str(),
                    &detail
                )?;
            }
            Ok(version)
        })?;
        Ok(version)
    }
}

impl ApplicationStore {
    /// Saves a flow's access protection for each listed application, all or nothing, with an
    /// audit entry per application. `Err(slug)` names an application not available to the flow.
    pub async fn save_protections(
        &self,
        flow: &FlowSlug,
        changes: &[ProtectionChange],
        by: &str,
    ) -> StoreResult<Result<(), String>> {
        let sql = "UPDATE flow_applications SET protected = $1, allowed_invocations = $2, expiry_amount = $3, expiry_unit = $4, \
                   validate_params = $5 WHERE flow_id = (SELECT id FROM flows WHERE slug = $6) \
                   AND application_id = (SELECT id FROM applications WHERE slug = $7)";
        on_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            for ProtectionChange {
                application,
                protection,
            } in changes
            {
                let (protected, invocations, amount, unit, validate) =
                    protection_columns(*protection);
                let changed = sqlx::query(sql)
                    .bind(protected)
                    .bind(invocations)
                    .bind(amount)
                    .bind(unit)
                    .bind(validate)
                    .bind(flow.as_str())
                    .bind(application)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if changed == 0 {
                    // Returning drops the transaction: nothing of this save is kept.
                    return Ok(Err(application.clone()));
                }
                let detail = format!("{application}: {}", protection.summary());
                audit!(
                    tx,
                    by,
                    AuditAction::ProtectionChanged,
                    flow.as_str(),
                    &detail
                )?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })?;
        self.links.changed().await;
        Ok(Ok(()))
    }
}

#[derive(sqlx::FromRow)]
struct ApplicationRow {
    slug: String,
    name: String,
    kind: String,
    base_url: String,
    embed_origins: String,
    secret_key: Vec<u8>,
    key_version: i64,
    rotated_at: i64,
    run_retention_days: Option<i64>,
    flow_count: i64,
}

impl ApplicationStore {
    /// Whether an application with this slug exists.
    pub async fn exists(&self, slug: &FlowSlug) -> StoreResult<bool> {
        let sql = "SELECT COUNT(*) FROM applications WHERE slug = $1";
        let count: i64 = on_db!(&self.db, |pool| sqlx::query_scalar(sql)
            .bind(slug.as_str())
            .fetch_one(pool)
            .await)?;
        Ok(count > 0)
    }

    pub async fn applications(&self) -> StoreResult<Vec<ApplicationSummary>> {
        let sql = "SELECT a.slug, a.name, a.kind, a.base_url, a.embed_origins, a.secret_key, a.key_version, a.rotated_at, a.run_retention_days, \
                   (SELECT COUNT(*) FROM flow_applications fa WHERE fa.application_id = a.id) AS flow_count \
                   FROM applications a ORDER BY a.name, a.id";
        let rows: Vec<ApplicationRow> =
            on_db!(&self.db, |pool| sqlx::query_as(sql).fetch_all(pool).await)?;
        rows.into_iter()
            .map(|r| {
                let corrupt =
                    |what: &str| StoreError::Corrupt(format!("application {}: {what}", r.slug));
                let digest = <sha2::Sha256 as sha2::Digest>::digest(&r.secret_key);
                Ok(ApplicationSummary {
                    kind: ApplicationKind::parse(&r.kind).ok_or_else(|| corrupt("kind"))?,
                    key_version: u32::try_from(r.key_version)
                        .map_err(|_| corrupt("key version"))?,
                    flow_count: u32::try_from(r.flow_count).map_err(|_| corrupt("flow count"))?,
                    results_days: r
                        .run_retention_days
                        .map(u32::try_from)
                        .transpose()
                        .map_err(|_| corrupt("results retention"))?,
                    key_fingerprint: digest.iter().take(4).map(|b| format!("{b:02x}")).collect(),
                    embed_origins: r
                        .embed_origins
                        .lines()
                        .filter(|o| !o.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    slug: r.slug,
                    name: r.name,
                    base_url: r.base_url,
                    rotated_at: r.rotated_at,
                })
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl app::ports::Applications for ApplicationStore {
    async fn save_protections(
        &self,
        flow: &FlowSlug,
        changes: &[ProtectionChange],
        by: &UserView,
    ) -> Result<(), ApplicationError> {
        match ApplicationStore::save_protections(self, flow, changes, &by.name).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(application)) => Err(ApplicationError::NotAvailable(application)),
            Err(err) => Err(err.for_port("saving access protection").into()),
        }
    }

    async fn save(
        &self,
        form: &ApplicationForm,
        creating: bool,
        by: &UserView,
    ) -> Result<FlowSlug, ApplicationError> {
        match self.save_application(form, creating, &by.name).await {
            Ok(Ok(slug)) => Ok(slug),
            Ok(Err(fields)) => Err(ApplicationError::Invalid(fields)),
            Err(err) => Err(err.for_port("saving an application").into()),
        }
    }

    async fn link_pages(&self, application: &FlowSlug) -> Result<LinkPagesView, ApplicationError> {
        ApplicationStore::link_pages(self, application)
            .await
            .map_err(|e| e.for_port("reading link pages"))?
            .ok_or_else(|| ApplicationError::NoSuchApplication(application.to_string()))
    }

    async fn save_link_pages(
        &self,
        application: &FlowSlug,
        form: &LinkPagesForm,
        by: &UserView,
    ) -> Result<(), ApplicationError> {
        match ApplicationStore::save_link_pages(self, application, form, &by.name).await {
            Ok(Ok(true)) => Ok(()),
            Ok(Ok(false)) => Err(ApplicationError::NoSuchApplication(application.to_string())),
            Ok(Err(fields)) => Err(ApplicationError::InvalidLinkPages(fields)),
            Err(err) => Err(err.for_port("saving link pages").into()),
        }
    }

    async fn set_preview_image(
        &self,
        application: &FlowSlug,
        image: Option<&[u8]>,
        by: &UserView,
    ) -> Result<(), ApplicationError> {
        let checked = image.map(check_image).transpose()?;
        let image = checked.as_ref().zip(image);
        match ApplicationStore::set_preview_image(self, application, image, &by.name).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(ApplicationError::NoSuchApplication(application.to_string())),
            Err(err) => Err(err.for_port("saving a preview image").into()),
        }
    }

    async fn flow_choices(
        &self,
        application: Option<&FlowSlug>,
    ) -> Result<Vec<FlowChoice>, BackendError> {
        let sql = "SELECT f.slug, f.name, EXISTS (SELECT 1 FROM flow_applications fa JOIN applications a ON a.id = fa.application_id \
                   WHERE fa.flow_id = f.id AND a.slug = $1) AS chosen FROM flows f WHERE f.flow_type = 'interaction' \
                   ORDER BY f.name_folded, f.id LIMIT 500";
        let slug = application.map(FlowSlug::as_str).unwrap_or_default();
        let rows: Vec<(String, String, bool)> = on_db!(&self.db, |pool| sqlx::query_as(sql)
            .bind(slug)
            .fetch_all(pool)
            .await)
        .map_err(|e| StoreError::from(e).for_port("listing flows for an application"))?;
        Ok(rows
            .into_iter()
            .map(|(slug, name, available)| FlowChoice {
                slug,
                name,
                available,
            })
            .collect())
    }

    async fn list(&self) -> Result<Vec<ApplicationSummary>, BackendError> {
        self.applications()
            .await
            .map_err(|e| e.for_port("listing applications"))
    }

    async fn regenerate_key(
        &self,
        application: &FlowSlug,
        by: &UserView,
    ) -> Result<u32, ApplicationError> {
        ApplicationStore::regenerate_key(self, application, &by.name).await
    }
}
