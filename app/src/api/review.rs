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
            let ports = ports()?;
            authorize(
                &ports,
                session_token(),
                crate::domain::Permission::Administer,
            )
            .await?;
            let page = page.and_then(|p| p.parse::<u32>().ok()).unwrap_or(1).max(1);
            Ok(ports
                .reviews
                .audit_log(q.as_deref().unwrap_or_default(), page)
                .await?)
        }
        .await,
    )
}

/// A browser's form post goes back to the flow's page, with a problem code when refused; a script
/// caller gets the result itself.
#[cfg(feature = "ssr")]
fn back_to_flow(slug: &str, result: Result<(), service::Refusal>) -> Result<(), AppError> {
    use super::request::accepts_html;
    use crate::domain::query::encode_component;
    let page = format!("/flows/{}", encode_component(slug));
    match result {
        Ok(()) => {
            if accepts_html() {
                leptos_axum::redirect(&page);
            }
            Ok(())
        }
        Err(service::Refusal::Problem(problem)) if accepts_html() => {
            leptos_axum::redirect(&format!("{page}?problem={}", problem.code()));
            Ok(())
        }
        Err(service::Refusal::Problem(problem)) => {
            Err(AppError::Invalid(problem.message().to_owned()))
        }
        Err(service::Refusal::Error(err)) => Err(err),
    }
}

#[cfg(feature = "ssr")]
pub mod service {
    use super::super::request::authorize;
    use crate::domain::audit::{Decision, ReviewProblem};
    use crate::domain::{FlowSlug, Permission};
    use crate::error::AppError;
    use crate::ports::{Ports, ReviewError, SessionToken};

    pub enum Refusal {
        /// Something the person can fix (wrong state, missing comment).
        Problem(ReviewProblem),
        Error(AppError),
    }

    impl From<AppError> for Refusal {
        fn from(err: AppError) -> Self {
            Self::Error(err)
        }
    }

    impl From<ReviewError> for Refusal {
        fn from(err: ReviewError) -> Self {
            match err {
                ReviewError::Refused(problem) => Self::Problem(problem),
                ReviewError::Backend(err) => Self::Error(err.into()),
            }
        }
    }

    fn flow(slug: &str) -> Result<FlowSlug, Refusal> {
        FlowSlug::parse(slug).map_err(|_| Refusal::Problem(ReviewProblem::NoSuchFlow))
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
            AppError::Invalid(format!(
                "Unknown decision {decision:?}: use approve or reject."
            ))
        })?;
        Ok(ports
            .reviews
            .review(&flow(slug)?, decision, comment, &user)
            .await?)
    }
}
