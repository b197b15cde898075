//! Generating links: checks the flow and the application, signs protected links with the
//! application's key (see `signing`), mints short codes, and stores every link with its audit
//! entry. The address itself is `LinkAddress`'s to write.

use super::signing::{AppKey, LinkClaims};
use super::{short_code, LinkStore};
use crate::db::{audit, now_millis, on_db, StoreError, StoreResult};
use crate::security::random_bytes;
use app::domain::audit::AuditAction;
use app::domain::link::{LinkAddress, LinkId, LinkRef, LinkToken, ShortCode};
use app::domain::share::{GeneratedLink, ShareRequest};
use app::domain::{
    AccessProtection, ApplicationKind, ApprovalStatus, Expiry, ExpiryUnit, FlowSlug, FlowSummary,
    FlowType, PublicationStatus, ShareBlocker, UserView,
};
use app::ports::ShareError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::borrow::Cow;

/// How often a short code is drawn again when it collides with an existing one. With 2^54
/// possible codes a single retry is already astronomically unlikely.
const SHORT_CODE_ATTEMPTS: usize = 5;

#[derive(sqlx::FromRow)]
struct FlowRow {
    id: i64,
    name: String,
    flow_type: String,
    publication: String,
    approval: String,
}

struct TargetRow {
    id: i64,
    kind: String,
    base_url: String,
    secret_key: AppKey,
    key_version: i64,
    protected: bool,
    allowed_invocations: Option<i64>,
    expiry_amount: Option<i64>,
    expiry_unit: Option<String>,
    validate_params: bool,
}

/// A flow with, when available to it, an application and the pair's protection (the
/// application's columns are all there, or none are).
#[derive(sqlx::FromRow)]
struct ShareTargetRow {
    #[sqlx(flatten)]
    flow: FlowRow,
    app_id: Option<i64>,
    kind: Option<String>,
    base_url: Option<String>,
    secret_key: Option<Vec<u8>>,
    key_version: Option<i64>,
    protected: Option<bool>,
    allowed_invocations: Option<i64>,
    expiry_amount: Option<i64>,
    expiry_unit: Option<String>,
    validate_params: Option<bool>,
}

impl ShareTargetRow {
    fn split(self) -> (FlowRow, Option<TargetRow>) {
        let target = match (
            self.app_id,
            self.kind,
            self.base_url,
            self.secret_key,
            self.key_version,
            self.protected,
            self.validate_params,
        ) {
            (
                Some(id),
                Some(kind),
                Some(base_url),
                Some(secret_key),
                Some(key_version),
                Some(protected),
                Some(validate_params),
            ) => Some(TargetRow {
                id,
                kind,
                base_url,
                secret_key: AppKey::from(secret_key),
                key_version,
                protected,
                allowed_invocations: self.allowed_invocations,
                expiry_amount: self.expiry_amount,
                expiry_unit: self.expiry_unit,
                validate_params,
            }),
            // The application does not exist, or is not available to the flow.
            _ => None,
        };
        (self.flow, target)
    }
}

impl TargetRow {
    fn protection(&self) -> AccessProtection {
        if !self.protected {
            return AccessProtection::Open;
        }
        let expiry = match (
            self.expiry_amount.and_then(|a| u32::try_from(a).ok()),
            self.expiry_unit.as_deref().and_then(ExpiryUnit::parse),
        ) {
            (Some(amount), Some(unit)) => Some(Expiry { amount, unit }),
            _ => None,
        };
        AccessProtection::Protected {
            allowed_invocations: self.allowed_invocations.and_then(|n| u32::try_from(n).ok()),
            expiry,
            validate_params: self.validate_params,
        }
    }
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// A new link's id: 128 bits from the OS CSPRNG, in the one spelling `LinkId` accepts.
pub(super) fn mint_link_id() -> StoreResult<LinkId> {
    LinkId::parse(&URL_SAFE_NO_PAD.encode(random_bytes::<16>()?))
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A new link's row, in `link_row!`'s order.
const INSERT_LINK: &str =
    "INSERT INTO links (id, flow_id, application_id, created_by, created_at, params, protected, \
    validate_params, short_code, key_version, expires_at, allowed_invocations, url, campaign_id) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";

/// A new link's row bound to the `INSERT INTO links` of `sql`, in its column order (a macro: the
/// query's type depends on the engine it runs on).
macro_rules! link_row {
    ($sql:expr, $plan:expr, $flow_id:expr, $target:expr, $by:expr, $now:expr, $params:expr, $code:expr, $campaign:expr) => {
        sqlx::query($sql)
            .bind($plan.address.link.as_str())
            .bind($flow_id)
            .bind($target.id)
            .bind(&$by.name)
            .bind($now)
            .bind($params)
            .bind($plan.protected)
            .bind($plan.validate_params)
            .bind($code.as_ref().map(ShortCode::as_str))
            .bind($target.key_version)
            .bind($plan.address.expires_at)
            .bind($plan.allowed_invocations)
            .bind(&$plan.url)
            .bind($campaign)
    };
}

/// A new link's row and its audit entry, written in one transaction on the store's own SQLite
/// connection (`crate::db::direct`): what `link_row!` and `audit!` write through the pool.
struct DirectLinkRow<'a> {
    plan: &'a LinkPlan,
    flow_id: i64,
    target: &'a TargetRow,
    by: &'a UserView,
    params: &'a str,
    code: Option<&'a ShortCode>,
    campaign: Option<i64>,
}

impl DirectLinkRow<'_> {
    fn insert(
        &self,
        db: &mut rusqlite::Connection,
        flow: &str,
        detail: &str,
    ) -> rusqlite::Result<()> {
        let now = now_millis();
        let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.prepare_cached(INSERT_LINK)?.execute(rusqlite::params![
            self.plan.address.link.as_str(),
            self.flow_id,
            self.target.id,
            &self.by.name,
            now,
            self.params,
            self.plan.protected,
            self.plan.validate_params,
            self.code.map(ShortCode::as_str),
            self.target.key_version,
            self.plan.address.expires_at,
            self.plan.allowed_invocations,
            &self.plan.url,
            self.campaign,
        ])?;
        let action = AuditAction::LinkGenerated;
        tx.prepare_cached(crate::db::audit::INSERT_AUDIT)?
            .execute(rusqlite::params![
                now,
                &self.by.name,
                action.as_str(),
                flow,
                detail,
                crate::db::audit::search_text(&self.by.name, action, flow, detail),
            ])?;
        tx.commit()
    }
}

/// What a new link will be, decided before it is written.
struct LinkPlan {
    address: LinkAddress,
    url: String,
    protected: bool,
    validate_params: bool,
    allowed_invocations: Option<i64>,
}

fn plan_link(request: &ShareRequest, target: &TargetRow, now_secs: i64) -> StoreResult<LinkPlan> {
    let id = mint_link_id()?;
    // Turning Protect URL on for an Open pair protects with the safest defaults: parameters
    // validated, no expiry, unlimited invocations.
    let protection = match (request.protect, target.protection()) {
        (false, _) => AccessProtection::Open,
        (true, AccessProtection::Open) => AccessProtection::Protected {
            allowed_invocations: None,
            expiry: None,
            validate_params: true,
        },
        (true, protected) => protected,
    };
    let mut address = LinkAddress {
        application: request.application.clone(),
        flow: request.flow.clone(),
        link: id,
        params: request.params.clone(),
        key_version: target.key_version,
        expires_at: None,
        token: None,
    };
    let (validate_params, allowed_invocations) = match protection {
        AccessProtection::Open => (false, None),
        AccessProtection::Protected {
            allowed_invocations,
            expiry,
            validate_params,
        } => {
            address.expires_at = expiry.map(|e| now_secs + e.as_millis() / 1_000);
            let token = LinkClaims::of(&address, validate_params).sign(&target.secret_key);
            address.token =
                Some(LinkToken::parse(&token).map_err(|e| StoreError::Corrupt(e.to_string()))?);
            (validate_params, allowed_invocations.map(i64::from))
        }
    };
    Ok(LinkPlan {
        url: address.to_url(&target.base_url),
        address,
        protected: protection.is_protected(),
        validate_params,
        allowed_invocations,
    })
}

/// The request as its links are made. For a campaign, Protect URL off is a floor, not a promise:
/// while the pair is Protected its links are protected anyway, so a system holding a key cannot
/// make unsigned links of a protected flow through a campaign saved while the pair was Open.
/// (Copied only when that changes it: this is on every link made.)
fn as_made<'a>(
    request: &'a ShareRequest,
    target: &TargetRow,
    campaign: Option<i64>,
) -> Cow<'a, ShareRequest> {
    if campaign.is_some() && target.protected && !request.protect {
        Cow::Owned(ShareRequest {
            protect: true,
            ..request.clone()
        })
    } else {
        Cow::Borrowed(request)
    }
}

/// The link as a QR code, an SVG document a publisher can download and print.
fn qr_svg(link: &str) -> StoreResult<String> {
    let code = qrcode::QrCode::new(link.as_bytes())
        .map_err(|e| StoreError::Invalid(format!("the link is too long for a QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

/// How a generated link is described in the audit log: by its reference (`link`; none for a
/// batch), never by its id or short code, which open it. A publisher turning Protect URL off for a
/// pair whose protection says Protected is an override worth seeing at a glance.
fn audit_detail(request: &ShareRequest, target: &TargetRow, link: Option<&LinkId>) -> String {
    let protection = match (request.protect, target.protected) {
        (true, _) => "protected",
        (false, true) => "open (Protect URL off override)",
        (false, false) => "open",
    };
    let named = link
        .map(|id| format!("link {} ", LinkRef::of(id)))
        .unwrap_or_default();
    let short = if request.shorten { ", shortened" } else { "" };
    let params = if request.params.is_empty() {
        String::new()
    } else {
        format!(", parameters {}", request.params.to_query())
    };
    format!(
        "{named}via {}: {protection}{short}{params}",
        request.application
    )
}

impl LinkStore {
    /// The flow and, when the application is available to it, the application with the pair's
    /// protection: one query, as every link made (the dialog's, each API call's) asks it.
    async fn find_share_target(
        &self,
        flow: &FlowSlug,
        application: &FlowSlug,
    ) -> StoreResult<Option<(FlowRow, Option<TargetRow>)>> {
        let sql = "SELECT f.id, f.name, f.flow_type, f.publication, f.approval, a.id AS app_id, a.kind, \
                   a.base_url, a.secret_key, a.key_version, fa.protected, fa.allowed_invocations, \
                   fa.expiry_amount, fa.expiry_unit, fa.validate_params FROM flows f \
                   LEFT JOIN applications a ON a.slug = $2 \
                   LEFT JOIN flow_applications fa ON fa.flow_id = f.id AND fa.application_id = a.id \
                   WHERE f.slug = $1";
        let row: Option<ShareTargetRow> = on_db!(&self.db, |pool| sqlx::query_as(sql)
            .bind(flow.as_str())
            .bind(application.as_str())
            .fetch_optional(pool)
            .await)?;
        Ok(row.map(ShareTargetRow::split))
    }

    async fn insert_link(
        &self,
        by: &UserView,
        request: &ShareRequest,
        flow_id: i64,
        target: &TargetRow,
        plan: &LinkPlan,
        campaign: Option<i64>,
    ) -> StoreResult<Option<String>> {
        let sql = INSERT_LINK;
        let params = request.params.to_query();
        let detail = audit_detail(request, target, Some(&plan.address.link));
        for _ in 0..SHORT_CODE_ATTEMPTS {
            let code = if request.shorten {
                Some(short_code::generate()?)
            } else {
                None
            };
            // The link and its audit entry are written together, or not at all, in this
            // process's turn for SQLite's one writer (no backing-off sleeps under load).
            let _turn = self.write_turn.take().await;
            if let Some(direct) = &self.direct {
                let row = DirectLinkRow {
                    plan,
                    flow_id,
                    target,
                    by,
                    params: &params,
                    code: code.as_ref(),
                    campaign,
                };
                match direct.with(|db| row.insert(db, request.flow.as_str(), &detail)) {
                    Ok(()) => return Ok(code.map(|c| c.to_url(&target.base_url))),
                    Err(rusqlite::Error::SqliteFailure(failure, _))
                        if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                            && request.shorten =>
                    {
                        continue
                    }
                    Err(err) => return Err(err.into()),
                }
            }
            let inserted = on_db!(&self.db, |pool| {
                let mut tx = pool.begin().await?;
                link_row!(
                    sql,
                    plan,
                    flow_id,
                    target,
                    by,
                    now_millis(),
                    &params,
                    code,
                    campaign
                )
                .execute(&mut *tx)
                .await?;
                audit!(
                    tx,
                    &by.name,
                    AuditAction::LinkGenerated,
                    request.flow.as_str(),
                    &detail
                )?;
                tx.commit().await
            });
            match inserted {
                Ok(_) => return Ok(code.map(|c| c.to_url(&target.base_url))),
                // Only a short-code collision can violate uniqueness here (the id is 128 random bits).
                Err(sqlx::Error::Database(db)) if db.is_unique_violation() && request.shorten => {
                    continue
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict(
            "could not find a free short code; please try again".into(),
        ))
    }

    /// Generates, signs (when protected), shortens (when asked) and stores one link.
    /// The flow and the application a link is asked for, checked as the Share dialog checks
    /// them: the flow exists and may be shared by `by`, and the application is available to it.
    async fn checked_target(
        &self,
        by: &UserView,
        request: &ShareRequest,
    ) -> Result<(FlowRow, TargetRow), ShareError> {
        let backend = |e: StoreError| ShareError::Backend(e.for_port("generating a link"));
        let (flow, target) = self
            .find_share_target(&request.flow, &request.application)
            .await
            .map_err(backend)?
            .ok_or_else(|| ShareError::FlowNotFound(request.flow.to_string()))?;
        let summary = FlowSummary {
            slug: request.flow.clone(),
            name: flow.name.clone(),
            flow_type: flow
                .flow_type
                .parse::<FlowType>()
                .map_err(corrupt)
                .map_err(backend)?,
            publication: flow
                .publication
                .parse::<PublicationStatus>()
                .map_err(corrupt)
                .map_err(backend)?,
            approval: flow
                .approval
                .parse::<ApprovalStatus>()
                .map_err(corrupt)
                .map_err(backend)?,
            version: 0,
            updated_at: 0,
            updated_by: String::new(),
        };
        // The application count only matters for the "no application" reason; availability of
        // the requested one is checked right after.
        if let Some(blocker) = ShareBlocker::check(&summary, 1, by.role) {
            return Err(ShareError::Blocked(blocker));
        }
        let target =
            target.ok_or_else(|| ShareError::NotAvailable(request.application.to_string()))?;
        Ok((flow, target))
    }

    pub async fn generate(
        &self,
        by: &UserView,
        request: &ShareRequest,
    ) -> Result<GeneratedLink, ShareError> {
        self.generate_with(by, request, true, None).await
    }

    /// Whether `by` may make links of `request`'s flow through its application now, checked as
    /// making one would check it (a campaign is saved only if it could make links).
    pub async fn check_shareable(
        &self,
        by: &UserView,
        request: &ShareRequest,
    ) -> Result<(i64, i64), ShareError> {
        let (flow, target) = self.checked_target(by, request).await?;
        Ok((flow.id, target.id))
    }

    /// [`generate`](Self::generate), with the QR code drawn only when `with_qr` (an API call
    /// that did not ask for one does not pay for it; its `qr_svg` is empty), and the link
    /// counted to `campaign` when it is one's.
    pub async fn generate_with(
        &self,
        by: &UserView,
        request: &ShareRequest,
        with_qr: bool,
        campaign: Option<i64>,
    ) -> Result<GeneratedLink, ShareError> {
        let backend = |e: StoreError| ShareError::Backend(e.for_port("generating a link"));
        let (flow, target) = self.checked_target(by, request).await?;
        let made = as_made(request, &target, campaign);
        let request = made.as_ref();
        let plan = plan_link(request, &target, now_millis() / 1_000).map_err(backend)?;
        let short_url = self
            .insert_link(by, request, flow.id, &target, &plan, campaign)
            .await
            .map_err(backend)?;
        let kind = ApplicationKind::parse(&target.kind)
            .ok_or_else(|| backend(corrupt("application kind")))?;
        let qr_svg = if with_qr {
            qr_svg(short_url.as_deref().unwrap_or(&plan.url)).map_err(backend)?
        } else {
            String::new()
        };
        crate::metrics::links_generated(&by.name, 1);
        Ok(GeneratedLink {
            qr_svg,
            full_url: plan.url,
            short_url,
            protected: plan.protected,
            expires_at: plan.address.expires_at,
            embeddable: kind.embeddable(),
            flow_name: flow.name,
        })
    }
}

/// One link of a batch, as made.
#[derive(Debug, Clone)]
pub struct BatchLink {
    pub id: String,
    pub full_url: String,
    pub short_url: Option<String>,
    pub protected: bool,
    pub expires_at: Option<i64>,
}

/// Where a batch's links come from, besides who asks.
#[derive(Debug, Default, Clone, Copy)]
pub struct BatchOrigin<'a> {
    /// The campaign the links are counted to.
    pub campaign: Option<i64>,
    /// Counts the links made so far, for a progress bar; none is stored before all are made.
    pub progress: Option<&'a std::sync::atomic::AtomicUsize>,
}

impl LinkStore {
    /// Makes one link per parameter set in `rows`, each as `template` (its own parameters aside)
    /// would make it, all in one transaction with one audit entry: all of them, or none.
    pub async fn generate_batch(
        &self,
        by: &UserView,
        template: &ShareRequest,
        rows: &[app::domain::params::UrlParams],
        origin: BatchOrigin<'_>,
    ) -> Result<(String, Vec<BatchLink>), ShareError> {
        let backend =
            |e: StoreError| ShareError::Backend(e.for_port("generating a batch of links"));
        let (flow, target) = self.checked_target(by, template).await?;
        let made = as_made(template, &target, origin.campaign);
        let template = made.as_ref();
        let now = now_millis();
        let mut planned = Vec::with_capacity(rows.len());
        for params in rows {
            let request = ShareRequest {
                params: params.clone(),
                ..template.clone()
            };
            let plan = plan_link(&request, &target, now / 1_000).map_err(backend)?;
            planned.push((request.params.to_query(), plan));
        }
        let links = self
            .insert_batch(by, template, flow.id, &target, &planned, origin)
            .await
            .map_err(backend)?;
        crate::metrics::links_generated(&by.name, links.len() as u64);
        Ok((flow.name, links))
    }

    async fn insert_batch(
        &self,
        by: &UserView,
        template: &ShareRequest,
        flow_id: i64,
        target: &TargetRow,
        planned: &[(String, LinkPlan)],
        origin: BatchOrigin<'_>,
    ) -> StoreResult<Vec<BatchLink>> {
        let now = now_millis();
        // A short code that collides is drawn again: `DO NOTHING` rather than an error, which
        // would abort the whole transaction on PostgreSQL.
        let sql = format!("{INSERT_LINK} ON CONFLICT (short_code) DO NOTHING");
        let sql = sql.as_str();
        if planned.is_empty() {
            return Ok(Vec::new());
        }
        let detail = format!(
            "batch of {} links {}",
            planned.len(),
            audit_detail(template, target, None)
        );
        // A batch holds SQLite's write lock for as long as it takes: it waits its turn with the
        // other long and hot writers rather than making them back off in sleeps.
        let _turn = self.write_turn.take().await;
        let links = crate::db::conditional_change!(&self.db, |tx| {
            let mut links = Vec::with_capacity(planned.len());
            for (params, plan) in planned {
                let mut made = None;
                for _ in 0..SHORT_CODE_ATTEMPTS {
                    let code = if template.shorten {
                        Some(
                            short_code::generate()
                                .map_err(|e| sqlx::Error::Protocol(e.to_string()))?,
                        )
                    } else {
                        None
                    };
                    let inserted = link_row!(
                        sql,
                        plan,
                        flow_id,
                        target,
                        by,
                        now,
                        params,
                        code,
                        origin.campaign
                    )
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if inserted == 1 {
                        made = Some(code);
                        break;
                    }
                }
                let Some(code) = made else {
                    return Err(sqlx::Error::Protocol(
                        "could not find a free short code".into(),
                    ));
                };
                if let Some(progress) = origin.progress {
                    progress.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                links.push(BatchLink {
                    id: plan.address.link.as_str().to_owned(),
                    full_url: plan.url.clone(),
                    short_url: code.map(|c| c.to_url(&target.base_url)),
                    protected: plan.protected,
                    expires_at: plan.address.expires_at,
                });
            }
            audit!(
                tx,
                &by.name,
                AuditAction::LinkGenerated,
                template.flow.as_str(),
                &detail
            )?;
            Ok(Some(links))
        })?;
        links.ok_or_else(|| StoreError::Conflict("the batch was not written".into()))
    }
}
