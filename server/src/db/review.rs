//! The approval workflow and the audit log. Every change here writes its audit entry in the same
//! transaction, so the log can never miss a change or record one that did not happen.

use super::{conditional_change, now_millis, on_db, Store, StoreError, StoreResult};
use app::domain::audit::{
    AuditAction, AuditEntry, AuditPage, Decision, DetailsProblem, AUDIT_PAGE_SIZE,
    MAX_REVIEW_COMMENT,
};
use app::domain::query::fold;
use app::domain::FlowSlug;
use app::ports::ReviewError;

/// Appends an audit entry inside the transaction `$tx` (works on either engine's transaction).
macro_rules! audit {
    ($tx:expr, $actor:expr, $action:expr, $subject:expr, $detail:expr) => {{
        let (actor, action, subject, detail): (&str, app::domain::audit::AuditAction, &str, &str) =
            ($actor, $action, $subject, $detail);
        let folded = app::domain::query::fold(&format!("{actor} {} {} {subject} {detail}", action.as_str(), action.label()));
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, subject, detail, search_folded) VALUES ($1, $2, $3, $4, $5, $6)",
        )
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

#[derive(sqlx::FromRow)]
struct AuditRow {
    at: i64,
    actor: String,
    action: String,
    subject: String,
    detail: String,
}

impl Store {
    /// Draft → Published. Publishing asks for review, so the flow becomes Pending.
    pub async fn publish_flow(&self, slug: &FlowSlug, by: &str) -> Result<(), ReviewError> {
        let sql = "UPDATE flows SET publication = 'published', approval = 'pending', review_comment = '', \
                   updated_at = $1, updated_by = $2 WHERE slug = $3 AND publication = 'draft'";
        let published = async {
            Ok::<_, StoreError>(conditional_change!(&self.db, |tx| {
                let changed = sqlx::query(sql)
                    .bind(now_millis())
                    .bind(by)
                    .bind(slug.as_str())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if changed != 1 {
                    return Ok(None);
                }
                audit!(tx, by, AuditAction::FlowPublished, slug.as_str(), "")?;
                Ok(Some(()))
            })?)
        }
        .await
        .map_err(backend)?;
        if published.is_none() {
            return Err(self
                .state_error(slug, DetailsProblem::AlreadyPublished)
                .await);
        }
        self.links.changed().await;
        Ok(())
    }

    /// Approves or rejects a Published flow. A rejection must say why.
    pub async fn review_flow(
        &self,
        slug: &FlowSlug,
        decision: Decision,
        comment: &str,
        by: &str,
    ) -> Result<(), ReviewError> {
        let comment = comment.trim();
        if comment.chars().count() > MAX_REVIEW_COMMENT {
            return Err(ReviewError::Refused(DetailsProblem::CommentTooLong));
        }
        if decision == Decision::Reject && comment.is_empty() {
            return Err(ReviewError::Refused(DetailsProblem::CommentRequired));
        }
        let (approval, action) = match decision {
            Decision::Approve => ("approved", AuditAction::FlowApproved),
            Decision::Reject => ("rejected", AuditAction::FlowRejected),
        };
        let sql = "UPDATE flows SET approval = $1, review_comment = $2, updated_at = $3, updated_by = $4 \
                   WHERE slug = $5 AND publication = 'published'";
        let reviewed = async {
            Ok::<_, StoreError>(conditional_change!(&self.db, |tx| {
                let changed = sqlx::query(sql)
                    .bind(approval)
                    .bind(comment)
                    .bind(now_millis())
                    .bind(by)
                    .bind(slug.as_str())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if changed != 1 {
                    return Ok(None);
                }
                audit!(tx, by, action, slug.as_str(), comment)?;
                Ok(Some(()))
            })?)
        }
        .await
        .map_err(backend)?;
        if reviewed.is_none() {
            return Err(self.state_error(slug, DetailsProblem::NotPublished).await);
        }
        self.links.changed().await;
        Ok(())
    }

    /// Why a conditional update changed nothing: the flow is missing, or in the wrong state.
    async fn state_error(&self, slug: &FlowSlug, wrong_state: DetailsProblem) -> ReviewError {
        match self.flow_id(slug).await {
            Ok(Some(_)) => ReviewError::Refused(wrong_state),
            Ok(None) => ReviewError::Refused(DetailsProblem::NoSuchFlow),
            Err(err) => backend(err),
        }
    }

    pub async fn review_comment(&self, slug: &FlowSlug) -> StoreResult<String> {
        let sql = "SELECT review_comment FROM flows WHERE slug = $1";
        let comment: Option<String> = on_db!(&self.db, |pool| sqlx::query_scalar(sql)
            .bind(slug.as_str())
            .fetch_optional(pool)
            .await)?;
        Ok(comment.unwrap_or_default())
    }

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
impl app::ports::Reviews for Store {
    async fn publish(
        &self,
        flow: &FlowSlug,
        by: &app::domain::UserView,
    ) -> Result<(), app::ports::ReviewError> {
        self.publish_flow(flow, &by.name).await
    }

    async fn review(
        &self,
        flow: &FlowSlug,
        decision: Decision,
        comment: &str,
        by: &app::domain::UserView,
    ) -> Result<(), app::ports::ReviewError> {
        self.review_flow(flow, decision, comment, &by.name).await
    }

    async fn review_comment(&self, flow: &FlowSlug) -> Result<String, app::ports::BackendError> {
        Store::review_comment(self, flow)
            .await
            .map_err(|e| e.for_port("reading a review comment"))
    }

    async fn audit_log(
        &self,
        text: &str,
        page: u32,
    ) -> Result<AuditPage, app::ports::BackendError> {
        Store::audit_log(self, text, page)
            .await
            .map_err(|e| e.for_port("reading the audit log"))
    }
}

/// A database fault while publishing or reviewing: an internal failure, never a refusal.
fn backend(err: StoreError) -> ReviewError {
    ReviewError::Backend(err.for_port("reviewing a flow"))
}
