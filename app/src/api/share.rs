//! Generating a share link: the Share dialog's one call to the server.

use crate::domain::share::GeneratedLink;
use crate::error::AppError;
use leptos::prelude::*;

#[server(endpoint = "generate_link")]
pub async fn generate_link(
    flow: String,
    application: String,
    params: String,
    protect: bool,
    shorten: bool,
) -> Result<GeneratedLink, AppError> {
    use super::request::*;
    respond(
        async move {
            let ports = ports()?;
            service::generate(
                &ports,
                session_token(),
                &flow,
                &application,
                &params,
                protect,
                shorten,
            )
            .await
        }
        .await,
    )
}

#[server(endpoint = "shared_links")]
pub async fn shared_links(slug: String) -> Result<Vec<crate::views::SharedLink>, AppError> {
    use super::request::*;
    respond(
        async move {
            let (ports, user) = caller(crate::domain::Permission::ViewFlows).await?;
            Ok(ports
                .sharing
                .shared_links(&flow_slug(&slug)?, &user)
                .await?)
        }
        .await,
    )
}

/// Revokes one link. Posted by a plain form in the Shared links list, which it sends back to.
#[server(endpoint = "revoke_link")]
pub async fn revoke_link(slug: String, link: String) -> Result<(), AppError> {
    use super::request::*;
    let result = async {
        let (ports, user) = caller(crate::domain::Permission::ShareFlows).await?;
        ports
            .sharing
            .revoke(&link, &user)
            .await
            .map_err(|e| match e.problem() {
                Some(problem) => DetailsRefusal::Problem(problem),
                None => DetailsRefusal::Error(e.into()),
            })
    }
    .await;
    respond(back_to_flow(&slug, result))
}

/// What a pasted full or short link of this server is, and exactly why it would be refused now:
/// every signed-in user may ask; the details and the changed part are given by role (see
/// `ports::Sharing::inspect`).
#[server(endpoint = "inspect_link")]
pub async fn inspect_link(link: String) -> Result<crate::views::LinkInspection, AppError> {
    use super::request::*;
    respond(
        async move {
            let (ports, user) = caller(crate::domain::Permission::ViewFlows).await?;
            // The page is a GET form, rendered on the server: a page of another site could send
            // an admin's browser here to inspect (and audit) a link in their name. Only the
            // console's own pages, or an address typed in, may ask.
            let sent_from = use_context::<http::request::Parts>().and_then(|parts| {
                parts
                    .headers
                    .get("sec-fetch-site")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            });
            if matches!(sent_from.as_deref(), Some("cross-site" | "same-site")) {
                return Err(AppError::Refused(
                    crate::refusal::Refusal::CrossSite,
                    "This link was sent here by another site, so it was not inspected: paste it into the form above.".into(),
                ));
            }
            Ok(ports.sharing.inspect(&link, &user).await?)
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
pub mod service {
    use super::super::request::authorize;
    use crate::domain::share::{GeneratedLink, ShareRequest};
    use crate::domain::Permission;
    use crate::error::AppError;
    use crate::ports::{Ports, SessionToken};

    pub async fn generate(
        ports: &Ports,
        token: Option<SessionToken>,
        flow: &str,
        application: &str,
        params: &str,
        protect: bool,
        shorten: bool,
    ) -> Result<GeneratedLink, AppError> {
        let user = authorize(ports, token, Permission::ShareFlows).await?;
        let request = ShareRequest::parse(flow, application, params, protect, shorten)
            .map_err(|e| AppError::refused(&e))?;
        ports.limits.link_generation(&user)?;
        ports
            .sharing
            .generate(&user, &request)
            .await
            .map_err(AppError::from)
    }
}
