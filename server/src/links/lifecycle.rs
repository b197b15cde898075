//! What happens to links after they are generated: the Shared links list and revoking one link.
//! (A start is counted where its run is created, in `crate::runs`.)

use super::LinkStore;
use crate::db::{audit, conditional_change, now_millis, on_db, StoreError, StoreResult};
use app::domain::audit::AuditAction;
use app::domain::link::LinkRef;
use app::domain::link::LinkState;
use app::domain::{FlowSlug, Role, UserView};
use app::ports::RevokeError;
use app::views::{LinkHandle, SharedLink, CHART_DAYS};

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

/// One link as the API reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkStatus {
    pub id: String,
    pub flow: String,
    pub application: String,
    pub created_at: i64,
    pub created_by: String,
    pub protected: bool,
    pub short_code: Option<String>,
    pub expires_at: Option<i64>,
    pub invocations: i64,
    pub allowed_invocations: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked: bool,
    pub key_current: bool,
    pub url: String,
    pub base_url: String,
    /// The slug of the campaign it was made for, if any (and if the campaign is still there).
    pub campaign: Option<String>,
}

/// Which links a listing wants, all optional, and where it resumes.
#[derive(Debug, Clone, Default)]
pub struct LinkFilter {
    pub flow: Option<String>,
    pub application: Option<String>,
    pub campaign: Option<String>,
    pub state: Option<LinkState>,
    /// Unix milliseconds, inclusive.
    pub created_from: Option<i64>,
    /// Unix milliseconds, exclusive.
    pub created_until: Option<i64>,
    /// Only links in these applications (an API key's limit); empty: any.
    pub within: Vec<String>,
    /// Resume where the page before ended.
    pub after: Option<ListPosition>,
    pub limit: u32,
}

/// Where a listing of links resumes, said without any link's id: a caller who may not open the
/// links it lists holds this between pages, and an id there (or a comparison against one the
/// caller chose, which would give it away a bit per page) would hand them what opens a link.
///
/// Links are listed by creation time, then reference, then id, newest first. A position is the
/// last link given's time and reference, and how many links sharing both were given so far (many
/// share a time: a batch's links all do; two of them sharing a reference too is rare).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPosition {
    /// Unix milliseconds.
    pub created_at: i64,
    pub reference: LinkRef,
    /// At least 1: the last link given shares them.
    pub given: u32,
}

impl ListPosition {
    /// Where a listing resumes after `page`, which began at `from`; `None` for an empty page.
    pub fn after(page: &[LinkStatus], from: Option<&ListPosition>) -> Option<Self> {
        let last = page.last()?;
        let key = |link: &LinkStatus| (link.created_at, LinkRef::of_raw(&link.id));
        let last_key = key(last);
        let sharing = page.iter().rev().take_while(|l| key(l) == last_key).count();
        let before = match from {
            // The whole page shares the position it began at: count the pages before it too.
            Some(from)
                if sharing == page.len()
                    && (from.created_at, &from.reference) == (last_key.0, &last_key.1) =>
            {
                from.given
            }
            _ => 0,
        };
        Some(Self {
            created_at: last_key.0,
            reference: last_key.1,
            given: before.saturating_add(u32::try_from(sharing).unwrap_or(u32::MAX)),
        })
    }
}

/// A link's state, as SQL: what `LinkState::of` decides, in the same order.
const STATE_SQL: &str = "CASE WHEN l.revoked_at IS NOT NULL THEN 'revoked' \
    WHEN l.key_version <> a.key_version THEN 'key_regenerated' \
    WHEN l.expires_at IS NOT NULL AND l.expires_at <= $1 THEN 'expired' \
    WHEN l.allowed_invocations IS NOT NULL AND l.invocations >= l.allowed_invocations THEN 'used_up' \
    ELSE 'active' END";

impl LinkStatus {
    pub fn state(&self) -> LinkState {
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        LinkState::of(
            self.revoked,
            self.key_current,
            self.expires_at,
            count(self.invocations),
            self.allowed_invocations.map(count),
            now_millis() / 1_000,
        )
    }
}

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

    /// One link's state and uses, by its id.
    pub async fn link_status(&self, link_id: &str) -> StoreResult<Option<LinkStatus>> {
        let sql = "SELECT l.id, f.slug AS flow, a.slug AS application, l.created_at, l.created_by, l.protected, \
                   l.short_code, l.expires_at, l.invocations, l.allowed_invocations, l.last_used_at, \
                   (l.revoked_at IS NOT NULL) AS revoked, (l.key_version = a.key_version) AS key_current, \
                   l.url, a.base_url, c.slug AS campaign FROM links l JOIN flows f ON f.id = l.flow_id \
                   JOIN applications a ON a.id = l.application_id \
                   LEFT JOIN campaigns c ON c.id = l.campaign_id WHERE l.id = $1";
        Ok(on_db!(&self.db, |pool| sqlx::query_as(sql)
            .bind(link_id)
            .fetch_optional(pool)
            .await)?)
    }

    /// Links newest first, as `filter` asks: at most `filter.limit`, after `filter.after`.
    pub async fn list_links(&self, filter: &LinkFilter) -> StoreResult<Vec<LinkStatus>> {
        // Every filter is always bound, as NULL when unused: one statement for every query.
        let sql = format!(
            "SELECT l.id, f.slug AS flow, a.slug AS application, l.created_at, l.created_by, l.protected, \
             l.short_code, l.expires_at, l.invocations, l.allowed_invocations, l.last_used_at, \
             (l.revoked_at IS NOT NULL) AS revoked, (l.key_version = a.key_version) AS key_current, \
             l.url, a.base_url, c.slug AS campaign FROM links l JOIN flows f ON f.id = l.flow_id \
             JOIN applications a ON a.id = l.application_id LEFT JOIN campaigns c ON c.id = l.campaign_id \
             WHERE (CAST($2 AS TEXT) IS NULL OR f.slug = $2) \
             AND (CAST($3 AS TEXT) IS NULL OR a.slug = $3) \
             AND (CAST($4 AS TEXT) IS NULL OR c.slug = $4) \
             AND (CAST($5 AS TEXT) IS NULL OR {STATE_SQL} = $5) \
             AND l.created_at >= $6 AND l.created_at < $7 \
             AND ($8 = '' OR $8 LIKE ('% ' || a.slug || ' %')) \
             AND (l.created_at < $9 OR (l.created_at = $9 AND substr(l.id, 1, {ref_len}) <= $10)) \
             ORDER BY l.created_at DESC, substr(l.id, 1, {ref_len}) DESC, l.id DESC LIMIT $11 OFFSET $12",
            ref_len = LinkRef::LENGTH
        );
        let within = if filter.within.is_empty() {
            String::new()
        } else {
            format!(" {} ", filter.within.join(" "))
        };
        // Resuming: the links sharing the position's time and reference come first, in a fixed
        // order, and the ones given already are skipped.
        let (after_at, after_ref, skip) = match &filter.after {
            Some(at) => (at.created_at, at.reference.as_str(), i64::from(at.given)),
            None => (i64::MAX, "", 0),
        };
        let state = filter.state.map(LinkState::as_str);
        Ok(on_db!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(now_millis() / 1_000)
            .bind(filter.flow.as_deref())
            .bind(filter.application.as_deref())
            .bind(filter.campaign.as_deref())
            .bind(state)
            .bind(filter.created_from.unwrap_or(i64::MIN))
            .bind(filter.created_until.unwrap_or(i64::MAX))
            .bind(&within)
            .bind(after_at)
            .bind(after_ref)
            .bind(i64::from(filter.limit))
            .bind(skip)
            .fetch_all(pool)
            .await)?)
    }

    /// Revokes one link (full and short alike). Admins may revoke any link, publishers their own.
    pub async fn revoke_link(&self, link_id: &str, by: &UserView) -> Result<(), RevokeError> {
        let backend = |e: StoreError| RevokeError::Backend(e.for_port("revoking a link"));
        match self.revoke_row(link_id, by).await.map_err(backend)? {
            Revoked::Now => {
                self.changed().await;
                Ok(())
            }
            Revoked::NoSuchLink => Err(RevokeError::NoSuchLink),
            Revoked::Already => Err(RevokeError::AlreadyRevoked),
            Revoked::NotYours => Err(RevokeError::NotYourLink),
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
            // Named by its reference: the audit log is read by every admin, and the id opens it.
            let detail = format!("link {}", LinkRef::of_raw(link_id));
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(created_at: i64, id: &str) -> LinkStatus {
        LinkStatus {
            id: id.to_owned(),
            flow: "f".into(),
            application: "a".into(),
            created_at,
            created_by: "ada".into(),
            protected: false,
            short_code: None,
            expires_at: None,
            invocations: 0,
            allowed_invocations: None,
            last_used_at: None,
            revoked: false,
            key_current: true,
            url: String::new(),
            base_url: String::new(),
            campaign: None,
        }
    }

    fn position(created_at: i64, reference: &str, given: u32) -> ListPosition {
        ListPosition {
            created_at,
            reference: LinkRef::of_raw(reference),
            given,
        }
    }

    #[test]
    fn a_position_names_the_last_link_by_time_and_reference_and_counts_its_kind() {
        let page = [
            link(9, "zzzzzAAAAAAAAAAAAAAAAA"),
            link(7, "bbbbbBBBBBBBBBBBBBBBBA"),
            link(7, "aaaaaCCCCCCCCCCCCCCCCA"),
            link(7, "aaaaaBBBBBBBBBBBBBBBBA"),
        ];
        assert_eq!(
            ListPosition::after(&page, None),
            Some(position(7, "aaaaa", 2))
        );
        assert_eq!(ListPosition::after(&[], None), None);
    }

    #[test]
    fn a_page_wholly_at_its_starting_position_adds_to_its_count() {
        let page = [
            link(7, "aaaaaCCCCCCCCCCCCCCCCA"),
            link(7, "aaaaaBBBBBBBBBBBBBBBBA"),
        ];
        let from = position(7, "aaaaa", 3);
        assert_eq!(
            ListPosition::after(&page, Some(&from)),
            Some(position(7, "aaaaa", 5))
        );
        let elsewhere = position(8, "aaaaa", 3);
        assert_eq!(
            ListPosition::after(&page, Some(&elsewhere)),
            Some(position(7, "aaaaa", 2))
        );
    }
}
