//! Publishing, reviewing, and reading the audit log. Publish and review are posted by plain forms
//! on the Details tab (they work without JavaScript) and send the browser back to the flow.

use crate::domain::audit::AuditPage;
use crate::error::AppError;
use leptos::prelude::*;

#[server(endpoint = "publish_flow")]
pub async fn publish_flow(slug: String) -> Result<(), AppError> {
    use super::request::*;
    respond(back_to_flow(
        &slug,
        service::publish(&ports()?, session_token(), &slug).await,
    ))
}

#[server(endpoint = "review_flow")]
pub async fn review_flow(
    slug: String,
    decision: String,
    comment: Option<String>,
) -> Result<(), AppError> {
    use super::request::*;
    let comment = comment.unwrap_or_default();
    respond(back_to_flow(
        &slug,
        service::review(&ports()?, session_token(), &slug, &decision, &comment).await,
    ))
}

#[server(endpoint = "audit_log")]
pub async fn audit_log(q: Option<String>, page: Option<String>) -> Result<AuditPage, AppError> {
    use super::request::*;
    respond(
        async move {
            let (ports, _user) = caller(crate::domain::Permission::Administer).await?;
            let page = page.and_then(|p| p.parse::<u32>().ok()).unwrap_or(1).max(1);
            Ok(ports
                .audit
                .page(q.as_deref().unwrap_or_default(), page)
                .await?)
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
pub mod service {
    use super::super::request::{authorize, DetailsRefusal as Refusal};
    use crate::domain::audit::{Decision, DetailsProblem};
    use crate::domain::{FlowSlug, Permission};
    use crate::error::AppError;
    use crate::ports::{Ports, ReviewError, SessionToken};

    impl From<ReviewError> for Refusal {
        fn from(err: ReviewError) -> Self {
            match err {
                ReviewError::Refused(problem) => Self::Problem(problem),
                ReviewError::Backend(err) => Self::Error(err.into()),
            }
        }
    }

    fn flow(slug: &str) -> Result<FlowSlug, Refusal> {
        FlowSlug::parse(slug).map_err(|_| Refusal::Problem(DetailsProblem::NoSuchFlow))
    }

    pub async fn publish(
        ports: &Ports,
        token: Option<SessionToken>,
        slug: &str,
    ) -> Result<(), Refusal> {
        let user = authorize(ports, token, Permission::PublishFlows).await?;
        Ok(ports.reviews.publish(&flow(slug)?, &user).await?)
    }

    pub async fn review(
        ports: &Ports,
        token: Option<SessionToken>,
        slug: &str,
        decision: &str,
        comment: &str,
    ) -> Result<(), Refusal> {
        let user = authorize(ports, token, Permission::Administer).await?;
        let decision = Decision::parse(decision).ok_or_else(|| {
            AppError::invalid(format!(
                "Unknown decision {decision:?}: use approve or reject."
            ))
        })?;
        Ok(ports
            .reviews
            .review(&flow(slug)?, decision, comment, &user)
            .await?)
    }
}
