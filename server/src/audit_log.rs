//! The audit log as admins read it: newest first, narrowed by any of its fields. (What writes an
//! entry is `crate::db::audit!`, inside each change's own transaction.)

use crate::db::{on_db, Db, StoreError, StoreResult};
use app::domain::audit::{AuditAction, AuditEntry, AuditPage, AUDIT_PAGE_SIZE};
use app::domain::query::fold;
use app::ports::BackendError;

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
    pub(crate) db: Db,
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
