//! The Applications page's calls (admins): listing applications and regenerating a key.

use crate::domain::applications_page::ApplicationSummary;
use crate::error::AppError;
use leptos::prelude::*;

#[server(endpoint = "list_applications")]
pub async fn list_applications() -> Result<Vec<ApplicationSummary>, AppError> {
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
            Ok(ports.applications.list().await?)
        }
        .await,
    )
}

/// A new key for an application: every link made for it before is disabled at once. Posted by a
/// plain form behind a confirmation; a browser is sent back to the Applications page.
#[server(endpoint = "regenerate_key")]
pub async fn regenerate_key(application: String) -> Result<u32, AppError> {
    use super::request::*;
    use crate::domain::query::encode_component;
    respond(
        async move {
            let ports = ports()?;
            let user = authorize(
                &ports,
                session_token(),
                crate::domain::Permission::Administer,
            )
            .await?;
            let unknown =
                || AppError::NotFound(format!("There is no application called {application:?}."));
            let slug = crate::domain::FlowSlug::parse(&application).map_err(|_| unknown())?;
            let version = ports
                .applications
                .regenerate_key(&slug, &user)
                .await?
                .ok_or_else(unknown)?;
            if accepts_html() {
                leptos_axum::redirect(&format!(
                    "/applications?regenerated={}",
                    encode_component(slug.as_str())
                ));
            }
            Ok(version)
        }
        .await,
    )
}
