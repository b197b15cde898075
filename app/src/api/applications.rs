//! The Applications page's calls (admins): listing applications and regenerating a key.

use crate::error::AppError;
use crate::views::ApplicationSummary;
use leptos::prelude::*;

#[server(endpoint = "list_applications")]
pub async fn list_applications() -> Result<Vec<ApplicationSummary>, AppError> {
    use super::request::*;
    respond(
        async move {
            let (ports, _user) = caller(crate::domain::Permission::Administer).await?;
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
    let result = async move {
        let (ports, user) = caller(crate::domain::Permission::Administer).await?;
        let slug = application_slug(&application)?;
        let version = ports.applications.regenerate_key(&slug, &user).await?;
        let then = format!(
            "/applications?regenerated={}",
            encode_component(slug.as_str())
        );
        Ok((version, then))
    };
    respond(end_form(result.await))
}

/// The values an application form starts with: the application's, or empty for a new one, plus
/// the flows it can be made available to.
#[server(endpoint = "application_form")]
pub async fn application_form(
    slug: Option<String>,
) -> Result<
    (
        crate::domain::application_form::ApplicationForm,
        Vec<crate::views::FlowChoice>,
    ),
    AppError,
> {
    use super::request::*;
    use crate::domain::application_form::ApplicationForm;
    respond(
        async move {
            let (ports, _user) = caller(crate::domain::Permission::Administer).await?;
            let slug = slug
                .filter(|s| !s.is_empty())
                .map(|s| application_slug(&s))
                .transpose()?;
            let choices = ports.applications.flow_choices(slug.as_ref()).await?;
            let form = match &slug {
                None => ApplicationForm {
                    kind: "web_page".into(),
                    ..ApplicationForm::default()
                },
                Some(slug) => {
                    let app = ports
                        .applications
                        .list()
                        .await?
                        .into_iter()
                        .find(|a| a.slug == slug.as_str())
                        .ok_or_else(|| AppError::no_such_application(slug.as_str()))?;
                    ApplicationForm {
                        name: app.name,
                        slug: app.slug,
                        kind: app.kind.as_str().to_owned(),
                        base_url: app.base_url,
                        embed_origins: app.embed_origins.join("\n"),
                        results_days: app.results_days.map(|d| d.to_string()).unwrap_or_default(),
                        flows: choices
                            .iter()
                            .filter(|c| c.available)
                            .map(|c| c.slug.clone())
                            .collect(),
                    }
                }
            };
            Ok((form, choices))
        }
        .await,
    )
}

/// Creates (`creating=true`) or edits an application. Posted by a plain form; a browser goes
/// back to the list, or to the form with its typed values and the refused fields named.
#[server(endpoint = "save_application")]
#[allow(clippy::too_many_arguments)]
pub async fn save_application(
    creating: bool,
    name: String,
    slug: Option<String>,
    kind: String,
    base_url: String,
    embed_origins: Option<String>,
    results_days: Option<String>,
    flows: Option<Vec<String>>,
) -> Result<String, AppError> {
    use super::request::*;
    use crate::domain::application_form::ApplicationForm;
    use crate::domain::query::encode_component as enc;
    use crate::ports::ApplicationError;
    let result = async move {
        let (ports, user) = caller(crate::domain::Permission::Administer).await?;
        let form = ApplicationForm {
            name,
            slug: slug.unwrap_or_default(),
            kind,
            base_url,
            embed_origins: embed_origins.unwrap_or_default(),
            results_days: results_days.unwrap_or_default(),
            flows: flows.unwrap_or_default(),
        };
        match ports.applications.save(&form, creating, &user).await {
            Ok(saved) => Ok((
                saved.to_string(),
                format!("/applications?saved={}", enc(saved.as_str())),
            )),
            Err(ApplicationError::Invalid(fields)) => {
                let page = if creating {
                    "/applications/new".to_owned()
                } else {
                    format!("/applications/{}", enc(&form.slug))
                };
                let invalid: Vec<&str> = fields.iter().map(|f| f.code()).collect();
                let flows: String = form
                    .flows
                    .iter()
                    .map(|f| format!("&flow={}", enc(f)))
                    .collect();
                let back_to = format!(
                    "{page}?refill=1&name={}&slug={}&kind={}&base_url={}&embed_origins={}&results_days={}{flows}&invalid={}",
                    enc(&form.name),
                    enc(&form.slug),
                    enc(&form.kind),
                    enc(&form.base_url),
                    enc(&form.embed_origins),
                    enc(&form.results_days),
                    enc(&invalid.join(","))
                );
                Err(FormError::Refused {
                    error: ApplicationError::Invalid(fields).into(),
                    back_to,
                })
            }
            Err(other) => Err(FormError::Failed(other.into())),
        }
    };
    respond(end_form(result.await))
}

/// An application's link pages (preview and endings) for their form (admins).
#[server(endpoint = "link_pages")]
pub async fn link_pages(slug: String) -> Result<crate::views::LinkPagesView, AppError> {
    use super::request::*;
    respond(
        async move {
            let (ports, _user) = caller(crate::domain::Permission::Administer).await?;
            let slug = application_slug(&slug)?;
            Ok(ports.applications.link_pages(&slug).await?)
        }
        .await,
    )
}

/// Saves an application's preview texts and what each ending does. Posted by a plain form; a
/// browser goes back to the Applications page, or to the form with what was typed and each
/// refused field named.
#[server(endpoint = "save_link_pages")]
pub async fn save_link_pages(
    application: String,
    preview_title: String,
    preview_description: String,
    endings: Option<Vec<crate::domain::link_pages::EndingForm>>,
) -> Result<(), AppError> {
    use super::request::*;
    use crate::domain::link_pages::LinkPagesForm;
    use crate::domain::query::encode_component as enc;
    use crate::ports::ApplicationError;
    let result = async move {
        let (ports, user) = caller(crate::domain::Permission::Administer).await?;
        let slug = application_slug(&application)?;
        let form = LinkPagesForm {
            preview_title,
            preview_description,
            endings: endings.unwrap_or_default(),
        };
        match ports
            .applications
            .save_link_pages(&slug, &form, &user)
            .await
        {
            Ok(()) => Ok((
                (),
                format!("/applications?link_pages={}", enc(slug.as_str())),
            )),
            Err(ApplicationError::InvalidLinkPages(fields)) => {
                let back_to = format!(
                    "{}?{}",
                    crate::domain::link_pages::form::page_of(slug.as_str()),
                    form.refill_query(&fields)
                );
                Err(FormError::Refused {
                    error: ApplicationError::InvalidLinkPages(fields).into(),
                    back_to,
                })
            }
            Err(other) => Err(FormError::Failed(other.into())),
        }
    };
    respond(end_form(result.await))
}

/// Sets an application's preview image (`image`: the file's bytes in base64) or, without one,
/// removes it. Returns where the image is now served. Sent by the form's script: a file is read
/// in the browser, and checked (size, type by its bytes, dimensions) here.
#[server(endpoint = "set_preview_image", input = leptos::server_fn::codec::Json)]
pub async fn set_preview_image(
    application: String,
    image: Option<String>,
) -> Result<Option<String>, AppError> {
    use super::request::*;
    use crate::domain::link_pages::preview::ImageRefusal;
    use crate::ports::ApplicationError;
    use base64::Engine;
    respond(
        async move {
            let (ports, user) = caller(crate::domain::Permission::Administer).await?;
            let slug = application_slug(&application)?;
            let bytes = image
                .map(|encoded| {
                    base64::engine::general_purpose::STANDARD
                        .decode(encoded.as_bytes())
                        .map_err(|_| ApplicationError::Image(ImageRefusal::NotAnImage))
                })
                .transpose()?;
            ports
                .applications
                .set_preview_image(&slug, bytes.as_deref(), &user)
                .await?;
            Ok(ports.applications.link_pages(&slug).await?.image)
        }
        .await,
    )
}
