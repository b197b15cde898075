//! Finding flows and reading one flow's details.

use crate::domain::{FlowDetails, FlowPage};
use crate::error::AppError;
use leptos::prelude::*;

#[server(endpoint = "list_flows")]
pub async fn list_flows(
    q: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    page: Option<String>,
) -> Result<FlowPage, AppError> {
    use super::request::*;
    use crate::domain::FlowQuery;
    respond(
        async move {
            let ports = ports()?;
            let query = FlowQuery::from_params(
                q.as_deref(),
                sort.as_deref(),
                dir.as_deref(),
                page.as_deref(),
            );
            service::list(&ports, session_token(), &query).await
        }
        .await,
    )
}

#[server(endpoint = "get_flow_details")]
pub async fn get_flow_details(slug: String) -> Result<FlowDetails, AppError> {
    use super::request::*;
    respond(async move { service::details(&ports()?, session_token(), &slug).await }.await)
}

#[cfg(feature = "ssr")]
pub mod service {
    use super::super::request::{authorize, flow_slug};
    use crate::domain::{
        FlowDetails, FlowPage, FlowQuery, Permission, PublicationStatus, ShareBlocker,
    };
    use crate::error::AppError;
    use crate::ports::{Ports, SessionToken};

    pub async fn list(
        ports: &Ports,
        token: Option<SessionToken>,
        query: &FlowQuery,
    ) -> Result<FlowPage, AppError> {
        authorize(ports, token, Permission::ViewFlows).await?;
        Ok(ports.flows.search(query).await?)
    }

    pub async fn details(
        ports: &Ports,
        token: Option<SessionToken>,
        slug: &str,
    ) -> Result<FlowDetails, AppError> {
        let user = authorize(ports, token, Permission::ViewFlows).await?;
        let slug = flow_slug(slug)?;
        let mut details = ports.flows.details(&slug).await?;
        details.share_blocker =
            ShareBlocker::check(&details.summary, details.availability.len(), user.role);
        details.can_publish = user.role.allows(Permission::PublishFlows)
            && details.summary.publication == PublicationStatus::Draft;
        details.can_review = user.role.allows(Permission::Administer)
            && details.summary.publication == PublicationStatus::Published;
        details.review_comment = ports.reviews.review_comment(&slug).await?;
        details.can_administer = user.role.allows(Permission::Administer);
        Ok(details)
    }
}
