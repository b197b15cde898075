//! The audit log: the `AuditLog` port (reading, searching) and the `audit!` macro every change
//! uses to write its entry inside its own transaction.

use super::{on_db, Db, StoreError, StoreResult};
use app::domain::audit::{AuditAction, AuditEntry, AuditPage, AUDIT_PAGE_SIZE};
use app::domain::query::fold;
use app::ports::BackendError;

/// Appends an audit entry inside the transaction `$tx` (works on either engine's transaction).
macro_rules! audit {
    ($tx:expr, $actor:expr, $action:expr, $subject:expr, $detail:expr) => {{
        let (actor, action, subject, detail): (&str, app::domain::audit::AuditAction, &str, &str) =
            ($actor, $action, $subject, $detail);
        let folded = $crate::db::audit::search_text(actor, action, subject, detail);
        sqlx::query($crate::db::audit::INSERT_AUDIT)
            .bind($crate::db::now_millis())
            .bind(actor)
            .bind(action.as_str())
            .bind(subject)
            .bind(detail)
            .bind(folded)
            .execute(&mut *$tx)
            .await
    }};
}
pub(crate) use audit;

/// An audit entry's row: at, actor, action, subject, detail, and the folded text it is searched by.
pub(crate) const INSERT_AUDIT: &str = "INSERT INTO audit_log (at, actor, action, subject, detail, search_folded) VALUES ($1, $2, $3, $4, $5, $6)";

/// What an audit entry is searched by: every part of it, folded.
pub(crate) fn search_text(
    actor: &str,
    action: app::domain::audit::AuditAction,
    subject: &str,
    detail: &str,
) -> String {
    app::domain::query::fold(&format!(
        "{actor} {} {} {subject} {detail}",
        action.as_str(),
        action.label()
    ))
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    at: i64,
    actor: String,
    action: String,
    subject: String,
    detail: String,
}

/// Reading the audit log.
#[derive(Debug, Clone)]
pub struct AuditStore {
    pub(super) db: Db,
}

impl AuditStore {
    /// The audit log, newest first, narrowed by a case-insensitive substring of any of its fields.
    pub async fn audit_log(&self, text: &str, page: u32) -> StoreResult<AuditPage> {
        let page = page.max(1);
        let pattern = format!(
            "%{}%",
            fold(text.trim())
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let sql = "SELECT at, actor, action, subject, detail FROM audit_log WHERE search_folded LIKE $1 ESCAPE '\\' \
                   ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3";
        let limit = i64::from(AUDIT_PAGE_SIZE) + 1;
        let offset = i64::from(page - 1) * i64::from(AUDIT_PAGE_SIZE);
        let mut rows: Vec<AuditRow> = on_db!(&self.db, |pool| sqlx::query_as(sql)
            .bind(&pattern)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await)?;
        let more = rows.len() > AUDIT_PAGE_SIZE as usize;
        rows.truncate(AUDIT_PAGE_SIZE as usize);
        let entries = rows
            .into_iter()
            .map(|r| {
                let action = AuditAction::parse(&r.action)
                    .ok_or_else(|| StoreError::Corrupt(format!("audit action {:?}", r.action)))?;
                Ok(AuditEntry {
                    at: r.at,
                    actor: r.actor,
                    action,
                    subject: r.subject,
                    detail: r.detail,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(AuditPage {
            entries,
            page,
            more,
        })
    }
}

#[async_trait::async_trait]
impl app::ports::AuditLog for AuditStore {
    async fn page(&self, text: &str, page: u32) -> Result<AuditPage, BackendError> {
        self.audit_log(text, page)
            .await
            .map_err(|e| e.for_port("reading the audit log"))
    }
}
