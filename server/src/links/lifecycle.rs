//! What happens to links after they are generated: the Shared links list, revoking one link, and
//! counting starts. A start is counted with one conditional UPDATE, so when a link allows N
//! invocations and more recipients race for it, exactly N succeed; the chart's per-day counter is
//! bumped in the same transaction.

use super::open::Verdict;
use super::LinkStore;
use crate::db::{audit, conditional_change, now_millis, on_db, StoreError, StoreResult};
use app::domain::audit::AuditAction;
use app::domain::link::{LinkAddress, LinkRefusal};
use app::domain::links_list::{LinkHandle, LinkState, SharedLink, CHART_DAYS};
use app::domain::{FlowSlug, Role, UserView};
use app::ports::{RateLimits, ShareError, StartError};

#[derive(sqlx::FromRow)]
struct ListRow {
    id: String,
    created_at: i64,
    created_by: String,
    application: String,
    protected: bool,
    short_code: Option<String>,
    expires_at: Option<i64>,
    invocations: i64,
    allowed_invocations: Option<i64>,
    last_used_at: Option<i64>,
    revoked: bool,
    key_current: bool,
}

const DAY_MS: i64 = 86_400_000;

/// What an attempt to revoke a link found.
enum Revoked {
    Now,
    NoSuchLink,
    Already,
    NotYours,
}

impl LinkStore {
    /// The newest 200 links of a flow, with their state and their starts per day.
    pub async fn shared_links(
        &self,
        flow: &FlowSlug,
        viewer: &UserView,
    ) -> StoreResult<Vec<SharedLink>> {
        let list = "SELECT l.id, l.created_at, l.created_by, a.name AS application, l.protected, l.short_code, l.expires_at, \
                    l.invocations, l.allowed_invocations, l.last_used_at, (l.revoked_at IS NOT NULL) AS revoked, \
                    (l.key_version = a.key_version) AS key_current \
                    FROM links l JOIN applications a ON a.id = l.application_id JOIN flows f ON f.id = l.flow_id \
                    WHERE f.slug = $1 ORDER BY l.created_at DESC, l.id DESC LIMIT 200";
        // Only the listed links' last days: at most CHART_DAYS rows per link, however busy.
        let uses = "SELECT d.link_id, d.day, d.uses FROM link_daily_uses d \
                    WHERE d.day >= $2 AND d.link_id IN (SELECT l.id FROM links l JOIN flows f ON f.id = l.flow_id \
                    WHERE f.slug = $1 ORDER BY l.created_at DESC, l.id DESC LIMIT 200)";
        let now = now_millis();
        let today = now.div_euclid(DAY_MS);
        let since = today - CHART_DAYS as i64 + 1;
        let (rows, use_rows): (Vec<ListRow>, Vec<(String, i64, i64)>) = on_db!(&self.db, |pool| {
            let rows = sqlx::query_as(list)
                .bind(flow.as_str())
                .fetch_all(pool)
                .await?;
            let use_rows = sqlx::query_as(uses)
                .bind(flow.as_str())
                .bind(since)
                .fetch_all(pool)
                .await?;
            Ok::<_, sqlx::Error>((rows, use_rows))
        })?;
        let count = |n: i64| u32::try_from(n).map_err(|e| StoreError::Corrupt(e.to_string()));
        rows.into_iter()
            .map(|r| {
                let mut daily_uses = vec![0u32; CHART_DAYS];
                for (_, day, uses) in use_rows.iter().filter(|(id, ..)| *id == r.id) {
                    if let Ok(age @ 0..CHART_DAYS) = usize::try_from(today - day) {
                        daily_uses[CHART_DAYS - 1 - age] = count(*uses)?;
                    }
                }
                // Only who made a link, and admins, get what opens it: anyone else could use up a
                // protected link they were never sent.
                let may_open = viewer.role == Role::Admin
                    || (viewer.role == Role::Publisher && viewer.name == r.created_by);
                let invocations = count(r.invocations)?;
                let allowed = r.allowed_invocations.map(count).transpose()?;
                Ok(SharedLink {
                    state: LinkState::of(
                        r.revoked,
                        r.key_current,
                        r.expires_at,
                        invocations,
                        allowed,
                        now / 1_000,
                    ),
                    can_revoke: !r.revoked && may_open,
                    handle: may_open.then_some(LinkHandle {
                        id: r.id,
                        short_code: r.short_code,
                    }),
                    created_at: r.created_at,
                    created_by: r.created_by,
                    application: r.application,
                    protected: r.protected,
                    expires_at: r.expires_at,
                    invocations,
                    allowed_invocations: allowed,
                    last_used_at: r.last_used_at,
                    daily_uses,
                })
            })
            .collect()
    }

    /// Revokes one link (full and short alike). Admins may revoke any link, publishers their own.
    pub async fn revoke_link(&self, link_id: &str, by: &UserView) -> Result<(), ShareError> {
        let backend = |e: StoreError| ShareError::Backend(e.for_port("revoking a link"));
        match self.revoke_row(link_id, by).await.map_err(backend)? {
            Revoked::Now => {
                self.changed().await;
                Ok(())
            }
            Revoked::NoSuchLink => Err(ShareError::NoSuchLink),
            Revoked::Already => Err(ShareError::AlreadyRevoked),
            Revoked::NotYours => Err(ShareError::NotYourLink),
        }
    }

    /// Revokes the link in one conditional change with its audit entry, or says why not.
    async fn revoke_row(&self, link_id: &str, by: &UserView) -> StoreResult<Revoked> {
        let any = by.role == Role::Admin;
        let sql = "UPDATE links SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL AND (created_by = $2 OR $4)";
        let revoked = conditional_change!(&self.db, |tx| {
            let changed = sqlx::query(sql)
                .bind(now_millis())
                .bind(&by.name)
                .bind(link_id)
                .bind(any)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed != 1 {
                return Ok(None);
            }
            let subject: String = sqlx::query_scalar(
                "SELECT f.slug FROM links l JOIN flows f ON f.id = l.flow_id WHERE l.id = $1",
            )
            .bind(link_id)
            .fetch_one(&mut *tx)
            .await?;
            let detail = format!("link {link_id}");
            audit!(tx, &by.name, AuditAction::LinkRevoked, &subject, &detail)?;
            Ok(Some(()))
        })?;
        if revoked.is_some() {
            return Ok(Revoked::Now);
        }
        let found: Option<(bool, String)> = on_db!(&self.db, |pool| sqlx::query_as(
            "SELECT (revoked_at IS NOT NULL), created_by FROM links WHERE id = $1"
        )
        .bind(link_id)
        .fetch_optional(pool)
        .await)?;
        Ok(match found {
            None => Revoked::NoSuchLink,
            Some((true, _)) => Revoked::Already,
            Some((false, _)) => Revoked::NotYours,
        })
    }

    /// Counts a recipient starting the flow: the link's checks, the link's start budget, then one
    /// atomic increment.
    pub async fn start(
        &self,
        address: LinkAddress,
        limits: &dyn RateLimits,
    ) -> Result<(), StartError> {
        let counted = match self.count_start(address, limits).await {
            Ok(counted) => counted,
            Err(err) => return Err(StartError::Backend(err.for_port("counting a start"))),
        };
        match &counted {
            Ok(()) => crate::metrics::run_start(Ok(())),
            Err(StartError::Refused(refusal)) => crate::metrics::run_start(Err(*refusal)),
            Err(StartError::Limited(_)) => {
                crate::metrics::run_start(Err(LinkRefusal::TooManyStarts))
            }
            // Not an outcome of the start: the failure is logged where it is answered.
            Err(StartError::Backend(_)) => {}
        }
        counted
    }

    async fn count_start(
        &self,
        address: LinkAddress,
        limits: &dyn RateLimits,
    ) -> StoreResult<Result<(), StartError>> {
        let link_id = match self.check_address(address).await? {
            Verdict::Open(checked) => checked.address.link,
            Verdict::Refused { refusal, .. } => return Ok(Err(StartError::Refused(refusal))),
        };
        if let Err(limited) = limits.run_start_of(&link_id) {
            return Ok(Err(StartError::Limited(limited)));
        }
        let link_id = link_id.as_str();
        let now = now_millis();
        let sql = "UPDATE links SET invocations = invocations + 1, last_used_at = $1 WHERE id = $2 AND revoked_at IS NULL \
                   AND (allowed_invocations IS NULL OR invocations < allowed_invocations) RETURNING invocations, allowed_invocations";
        let counted = conditional_change!(&self.db, |tx| {
            let counted: Option<(i64, Option<i64>)> = sqlx::query_as(sql)
                .bind(now)
                .bind(link_id)
                .fetch_optional(&mut *tx)
                .await?;
            if counted.is_some() {
                // One row per link and day, bumped: starts add no rows.
                sqlx::query(
                    "INSERT INTO link_daily_uses (link_id, day, uses) VALUES ($1, $2, 1) \
                     ON CONFLICT (link_id, day) DO UPDATE SET uses = link_daily_uses.uses + 1",
                )
                .bind(link_id)
                .bind(now.div_euclid(DAY_MS))
                .execute(&mut *tx)
                .await?;
            }
            Ok(counted)
        })?;
        match counted {
            // The last allowed start: from now on the link opens to the "used up" page.
            Some((used, Some(allowed))) if used >= allowed => {
                self.changed().await;
                Ok(Ok(()))
            }
            Some(_) => Ok(Ok(())),
            None => {
                self.changed().await;
                Ok(Err(StartError::Refused(LinkRefusal::UsedUp)))
            }
        }
    }
}
