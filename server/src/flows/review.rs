//! The approval workflow: the `Reviews` port. Every change here writes its audit entry in the same
//! transaction, so the log can never miss a change or record one that did not happen.

use super::FlowStore;
use crate::db::{audit, conditional_change, now_millis, on_db, Db, StoreError, StoreResult};
use crate::links::LinkStore;
use app::domain::audit::{AuditAction, Decision, DetailsProblem, MAX_REVIEW_COMMENT};
use app::domain::FlowSlug;
use app::ports::ReviewError;

/// Publication and review of flows.
#[derive(Debug, Clone)]
pub struct ReviewStore {
    pub(crate) db: Db,
    pub(crate) flows: FlowStore,
    pub(crate) links: LinkStore,
}

impl ReviewStore {
    /// Draft → Published. Publishing asks for review, so the flow becomes Pending.
    pub async fn publish_flow(&self, slug: &FlowSlug, by: &str) -> Result<(), ReviewError> {
        let sql = "UPDATE flows SET publication = 'published', approval = 'pending', review_comment = '', \
                   updated_at = $1, updated_by = $2 WHERE slug = $3 AND publication = 'draft'";
        let published = conditional_change!(&self.db, |tx| {
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
        })
        .map_err(|e| backend(e.into()))?;
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
        if !app::domain::text::is_multi_line(comment) {
            return Err(ReviewError::Refused(
                DetailsProblem::CommentControlCharacter,
            ));
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
        let reviewed = conditional_change!(&self.db, |tx| {
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
        })
        .map_err(|e| backend(e.into()))?;
        if reviewed.is_none() {
            return Err(self.state_error(slug, DetailsProblem::NotPublished).await);
        }
        self.links.changed().await;
        Ok(())
    }

    /// Why a conditional update changed nothing: the flow is missing, or in the wrong state.
    async fn state_error(&self, slug: &FlowSlug, wrong_state: DetailsProblem) -> ReviewError {
        match self.flows.flow_id(slug).await {
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
}

#[async_trait::async_trait]
impl app::ports::Reviews for ReviewStore {
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
        ReviewStore::review_comment(self, flow)
            .await
            .map_err(|e| e.for_port("reading a review comment"))
    }
}

/// A database fault while publishing or reviewing: an internal failure, never a refusal.
fn backend(err: StoreError) -> ReviewError {
    ReviewError::Backend(err.for_port("reviewing a flow"))
}
