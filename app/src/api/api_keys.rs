//! API keys in the console (admins): listing them (never a secret), making one (its secret
//! answered once, to the page that asked), revoking one. A key is not a console login.

use crate::domain::api_key::ApiKeySummary;
use crate::error::AppError;
use leptos::prelude::*;

#[server(endpoint = "api_keys")]
pub async fn api_keys() -> Result<Vec<ApiKeySummary>, AppError> {
    use super::request::*;
    respond(
        async move {
            let (ports, _) = caller(crate::domain::Permission::Administer).await?;
            Ok(ports.api_keys.list().await?)
        }
        .await,
    )
}

/// Makes a key and answers its secret: the only time anyone sees it.
#[server(endpoint = "create_api_key")]
pub async fn create_api_key(
    name: String,
    #[server(default)] scopes: Vec<String>,
    #[server(default)] applications: Vec<String>,
    #[server(default)] expires_days: Option<u32>,
) -> Result<String, AppError> {
    use super::request::*;
    use crate::domain::api_key::NewApiKey;
    respond(
        async move {
            let (ports, user) = caller(crate::domain::Permission::Administer).await?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64);
            let key = NewApiKey::parse(&name, &scopes, &applications, expires_days, now)
                .map_err(AppError::invalid)?;
            Ok(ports.api_keys.create(&user, &key).await?)
        }
        .await,
    )
}

/// Revokes a key. Posted by a plain form on the API keys page, which it sends back to.
#[server(endpoint = "revoke_api_key")]
pub async fn revoke_api_key(prefix: String) -> Result<(), AppError> {
    use super::request::*;
    let result = async {
        let (ports, user) = caller(crate::domain::Permission::Administer).await?;
        ports
            .api_keys
            .revoke(&user, &prefix)
            .await
            .map(|()| ((), "/api-keys".to_owned()))
            .map_err(|e| FormError::Failed(e.into()))
    }
    .await;
    respond(end_form(result))
}

/// The address systems call this console at: its configured public origin (`--public-url`),
/// for the API page's examples.
#[server(endpoint = "api_base_url")]
pub async fn api_base_url() -> Result<String, AppError> {
    use super::request::*;
    respond(
        async move {
            let (ports, _) = caller(crate::domain::Permission::ViewFlows).await?;
            Ok(ports.public_origin.to_string())
        }
        .await,
    )
}
