//! An application's link pages (admins): the preview chat apps show under its links (the Share
//! dialog shows it as a card), and what each ending of a link does. A plain form, like the
//! application's own; only the preview image needs the page's script (a file is read in the
//! browser and sent).

use super::raw_text::{PageTitle, TextArea};
use super::ErrorPanel;
use crate::api::applications::{link_pages, SaveLinkPages};
use crate::domain::link_pages::ending::MAX_ONWARD_URL;
use crate::domain::link_pages::preview::{MAX_PREVIEW_DESCRIPTION, MAX_PREVIEW_TITLE};
use crate::domain::link_pages::{EndingForm, EndingKind, LinkPagesField, LinkPagesForm};
use crate::views::LinkPagesView;
use leptos::either::Either;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn LinkPagesPage() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let loaded = Resource::new(move || slug.get(), link_pages);
    view! {
        <p class="breadcrumb"><A href="/applications">"← Applications"</A></p>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match loaded.await {
                    Ok(view) => Either::Left(view! { <LinkPagesFormView view/> }),
                    Err(error) => Either::Right(view! { <ErrorPanel error/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn LinkPagesFormView(view: LinkPagesView) -> impl IntoView {
    // After a refused save the URL carries what was typed (read decoded once: a typed `%20`
    // stays as typed); otherwise the stored values are shown.
    let (form, invalid) = if super::query::query_value("refill").is_some() {
        LinkPagesForm::from_refill(super::query::query_value)
    } else {
        (view.form.clone(), Vec::new())
    };
    let fault = |field: LinkPagesField| fault_note(&invalid, field);
    let title = format!("Link pages of {}", view.name);
    let scheme_hint = if view.http {
        "An https:// address (http:// too, as this application's base URL is http)."
    } else {
        "An https:// address."
    };
    let endings = <EndingKind as strum::IntoEnumIterator>::iter()
        .enumerate()
        .map(|(i, kind)| {
            let typed = form.endings.get(i).cloned().unwrap_or_default();
            view! { <EndingFields i kind typed invalid=invalid.clone() scheme_hint/> }
        })
        .collect_view();
    view! {
        <PageTitle text=title.clone()/>
        <div class="page-head"><h1>{title}</h1></div>
        {(!invalid.is_empty()).then(|| view! { <p class="error-panel" role="alert">"Nothing was saved: see the fields marked below."</p> })}
        <section class="card link-preview-settings" aria-labelledby="preview-heading">
            <h2 id="preview-heading">"Preview in chat apps"</h2>
            <p class="hint">"What WhatsApp, iMessage, Slack, Teams, mail clients and social sites show under a link of this application. \
                Empty fields use each flow's own name and description. A preview never shows a link's parameters."</p>
            <PreviewImage application=view.slug.clone() image=view.image.clone()/>
        </section>
        <form method="post" action=SaveLinkPages::PATH class="card app-form link-pages-form">
            <input type="hidden" name="application" value=view.slug.clone()/>
            <label for="preview-title">"Preview title"</label>
            <input id="preview-title" name="preview_title" value=form.preview_title.clone()
                maxlength=MAX_PREVIEW_TITLE.to_string() placeholder="the flow's name"/>
            {fault(LinkPagesField::Title)}
            <label for="preview-description">"Preview description"</label>
            <TextArea id="preview-description" name="preview_description" value=form.preview_description.clone()
                rows="2" maxlength="300" placeholder="the flow's description"/>
            {fault(LinkPagesField::Description)}
            <p class="hint">{format!("At most {MAX_PREVIEW_TITLE} and {MAX_PREVIEW_DESCRIPTION} characters.")}</p>
            <h2>"When a link has ended"</h2>
            <p class="hint">"For each way a link can end, show Flowshare's page (with your own message and a link onward, if you like) \
                or send the recipient straight to your own page. A redirect carries none of the link's parameters. \
                A link that was altered or made up always gets Flowshare's own “not valid” page."</p>
            {endings}
            <div class="form-actions"><button type="submit" class="primary">"Save"</button></div>
        </form>
    }
}

/// The refusal beside a field, if it was refused.
fn fault_note(invalid: &[LinkPagesField], field: LinkPagesField) -> Option<impl IntoView> {
    invalid
        .contains(&field)
        .then(|| view! { <p class="form-error">{field.message()}</p> })
}

/// One ending's choice: Flowshare's page (message, onward link) or a redirect (URL, reason).
#[component]
fn EndingFields(
    i: usize,
    kind: EndingKind,
    typed: EndingForm,
    invalid: Vec<LinkPagesField>,
    scheme_hint: &'static str,
) -> impl IntoView {
    let fault = |field: LinkPagesField| fault_note(&invalid, field);
    let code = kind.code();
    let name = |field: &str| format!("endings[{i}][{field}]");
    let id = |field: &str| format!("ending-{code}-{field}");
    let redirect = typed.then == "redirect";
    view! {
        <fieldset class="ending">
            <legend>{kind.label()}</legend>
            <label class="check"><input type="radio" name=name("then") value="page" checked=!redirect/>" Flowshare's page"</label>
            <label class="check"><input type="radio" name=name("then") value="redirect" checked=redirect/>" Redirect to a URL"</label>
            {fault(LinkPagesField::Then(kind))}
            <label for=id("message")>"Message (on Flowshare's page; empty: Flowshare's own words)"</label>
            <TextArea id=id("message") name=name("message") value=typed.message.clone() rows="2" maxlength="500"/>
            {fault(LinkPagesField::Message(kind))}
            <label for=id("url")>"URL (the page's link onward, or where the redirect goes)"</label>
            <input id=id("url") name=name("url") value=typed.url.clone() maxlength=MAX_ONWARD_URL.to_string()
                inputmode="url" placeholder="https://shop.example/book-a-call" aria-describedby=id("url-hint")/>
            <p id=id("url-hint") class="hint">{scheme_hint}</p>
            {fault(LinkPagesField::Url(kind))}
            <label class="check"><input type="checkbox" name=name("reason") value="on" checked=typed.reason.is_some()/>
                {format!(" Add ?reason={code} to the redirect")}</label>
        </fieldset>
    }
}

/// The preview image: shown as it is, replaced by picking a file (checked here for size and
/// type, and again on the server, which also reads its dimensions), or removed.
#[island]
fn PreviewImage(application: String, image: Option<String>) -> impl IntoView {
    let current = RwSignal::new(image);
    let status = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    let application = StoredValue::new(application);
    let pick = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        hydrate::pick(ev, application.get_value(), current, status, busy);
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, application, current, status, busy);
    };
    let remove = move |_| {
        #[cfg(feature = "hydrate")]
        hydrate::remove(application.get_value(), current, status, busy);
    };
    view! {
        <div class="preview-image">
            {move || match current.get() {
                Some(src) => Either::Left(view! {
                    <img src=src alt="The preview image" width="300" height="157"/>
                    <button type="button" on:click=remove disabled=move || busy.get()>"Remove image"</button>
                }),
                None => Either::Right(view! { <p class="hint">"No image: chat apps show the title and description alone."</p> }),
            }}
            <label for="preview-image-file" class="button">"Choose image…"</label>
            <input id="preview-image-file" type="file" accept="image/png,image/jpeg,image/gif,image/webp" class="visually-hidden"
                aria-describedby="preview-image-hint" on:change=pick disabled=move || busy.get()/>
            <p id="preview-image-hint" class="hint">"PNG, JPEG, GIF or WebP, at most 512 KB, each side 200 to 4096 pixels; 1200 × 630 suits every app."</p>
            <div role="status" aria-live="polite">{move || status.get().map(|s| match s {
                Ok(done) => Either::Left(view! { <p class="notice">{done}</p> }),
                Err(refused) => Either::Right(view! { <p class="form-error">{refused}</p> }),
            })}</div>
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod hydrate {
    use crate::api::applications::set_preview_image;
    use crate::domain::link_pages::preview::{ImageRefusal, MAX_PREVIEW_IMAGE_BYTES};
    use base64::Engine;
    use leptos::prelude::*;

    type Status = RwSignal<Option<Result<String, String>>>;

    pub fn pick(
        ev: leptos::ev::Event,
        application: String,
        current: RwSignal<Option<String>>,
        status: Status,
        busy: RwSignal<bool>,
    ) {
        let Some(file) = super::super::picked_file::picked(&ev) else {
            return;
        };
        if file.size() > MAX_PREVIEW_IMAGE_BYTES as f64 {
            status.set(Some(Err(ImageRefusal::TooLarge.to_string())));
            return;
        }
        busy.set(true);
        status.set(Some(Ok("Uploading…".into())));
        leptos::task::spawn_local(async move {
            let Some(bytes) = super::super::picked_file::bytes(&file).await else {
                status.set(Some(Err("The file could not be read.".into())));
                busy.set(false);
                return;
            };
            let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
            send(application, Some(encoded), current, status, busy).await;
        });
    }

    pub fn remove(
        application: String,
        current: RwSignal<Option<String>>,
        status: Status,
        busy: RwSignal<bool>,
    ) {
        busy.set(true);
        leptos::task::spawn_local(send(application, None, current, status, busy));
    }

    async fn send(
        application: String,
        image: Option<String>,
        current: RwSignal<Option<String>>,
        status: Status,
        busy: RwSignal<bool>,
    ) {
        let setting = image.is_some();
        match set_preview_image(application, image).await {
            Ok(now) => {
                current.set(now);
                status.set(Some(Ok(if setting {
                    "Image saved: new links' previews show it, and so do links already sent, the next time a chat app fetches them.".into()
                } else {
                    "Image removed.".into()
                })));
            }
            Err(err) => status.set(Some(Err(err.to_string()))),
        }
        busy.set(false);
    }
}
