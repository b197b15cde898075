//! The Share dialog, an island: choose an application, add URL parameters, decide on protection
//! and shortening, generate the link, copy it and its Embed code. It only proposes: the server
//! checks everything again when the link is generated.
//!
//! Built on the native `<dialog>` element opened with `showModal()`: the browser makes the rest of
//! the page inert (focus stays inside), closes it on Esc, and returns focus to the Share button.

use super::copy::CopyField;
use crate::api::campaigns::save_campaign;
use crate::api::share::generate_link;
use crate::domain::campaign::Campaign;
use crate::domain::link::LinkAddress;
use crate::domain::params::UrlParams;
use crate::domain::share::{
    embed_code, GeneratedLink, DEFAULT_EMBED_HEIGHT, DEFAULT_EMBED_WIDTH, MAX_EMBED_SIZE,
};
use crate::domain::Availability;
use crate::error::AppError;
use leptos::prelude::*;

/// What the live preview shows in place of the parts the server fills in.
fn preview(app: &Availability, flow: &str, params: &UrlParams, protect: bool) -> String {
    LinkAddress::preview(&app.base_url, &app.application_slug, flow, params, protect)
}

#[island]
pub fn ShareDialog(
    flow: String,
    flow_name: String,
    applications: Vec<Availability>,
) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let first_protected = applications
        .first()
        .is_some_and(|a| a.protection.is_protected());
    let applications = StoredValue::new(applications);
    let flow = StoredValue::new(flow);
    let chosen = RwSignal::new(0usize);
    let selected =
        Memo::new(move |_| applications.with_value(|apps| apps.get(chosen.get()).cloned()));
    let params_text = RwSignal::new(String::new());
    let params = Memo::new(move |_| UrlParams::parse(&params_text.get()));
    let protect = RwSignal::new(first_protected);
    // Off until asked for, as in the console this one follows ("optionally, toggle Shorten URL to On").
    let shorten = RwSignal::new(false);
    let width = RwSignal::new(DEFAULT_EMBED_WIDTH);
    let height = RwSignal::new(DEFAULT_EMBED_HEIGHT);
    let pending = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Result<GeneratedLink, AppError>>);
    let campaign_name = RwSignal::new(String::new());
    let saving = RwSignal::new(false);
    let saved = RwSignal::new(None::<Result<Campaign, AppError>>);

    let choose = move |index: usize| {
        chosen.set(index);
        // Protect URL starts as the flow's protection for this application says.
        protect.set(
            applications
                .with_value(|apps| apps.get(index).is_some_and(|a| a.protection.is_protected())),
        );
        outcome.set(None);
    };
    let open = move |_| {
        outcome.set(None);
        if let Some(dialog) = dialog.get() {
            let _ = dialog.show_modal();
        }
    };
    let close = move |_| {
        if let Some(dialog) = dialog.get() {
            dialog.close();
        }
    };
    let generate = move |_| {
        let (Some(app), Ok(_)) = (selected.get_untracked(), params.get_untracked()) else {
            return;
        };
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        outcome.set(None);
        let (text, protect, shorten) = (
            params_text.get_untracked(),
            protect.get_untracked(),
            shorten.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            let result = generate_link(
                flow.get_value(),
                app.application_slug,
                text,
                protect,
                shorten,
            )
            .await;
            outcome.set(Some(result));
            pending.set(false);
        });
    };

    let save = move |_| {
        let (Some(app), Ok(_)) = (selected.get_untracked(), params.get_untracked()) else {
            return;
        };
        if saving.get_untracked() {
            return;
        }
        saving.set(true);
        saved.set(None);
        let (name, text, protect, shorten) = (
            campaign_name.get_untracked(),
            params_text.get_untracked(),
            protect.get_untracked(),
            shorten.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            let result = save_campaign(
                flow.get_value(),
                name,
                app.application_slug,
                text,
                protect,
                shorten,
            )
            .await;
            saved.set(Some(result));
            saving.set(false);
        });
    };
    let saved_view = move || {
        saved.get().map(|result| match result {
            Ok(campaign) => leptos::either::Either::Left(view! {
                <p class="notice" role="status">"Saved campaign “"{campaign.name.clone()}"”. Systems ask for a new link of it as "
                    <code>{campaign.slug.to_string()}</code>"; it is listed under "
                    <a href=format!("/flows/{}#campaigns", flow.get_value())>"Campaigns"</a>"."</p>
            }),
            Err(err) => leptos::either::Either::Right(view! { <p class="form-error" role="alert">{err.to_string()}</p> }),
        })
    };

    let options = applications.with_value(|apps| {
        apps.iter()
            .enumerate()
            .map(|(i, a)| view! { <option value=i.to_string()>{a.application_name.clone()}</option> })
            .collect_view()
    });
    let params_error = move || params.get().err().map(|e| format!("URL parameters: {e}."));
    let summary = move || {
        selected
            .get()
            .map(|a| a.protection.summary())
            .unwrap_or_default()
    };
    let base_url = move || selected.get().map(|a| a.base_url).unwrap_or_default();
    let embeddable = move || selected.get().is_some_and(|a| a.kind.embeddable());
    let preview_text = move || match (selected.get(), params.get()) {
        (Some(app), Ok(params)) => preview(&app, &flow.get_value(), &params, protect.get()),
        _ => String::new(),
    };
    let link = move || outcome.get().and_then(Result::ok);
    let embed = move || {
        link()
            .filter(|l| l.embeddable)
            .map(|l| embed_code(l.link(), &l.flow_name, width.get(), height.get()))
    };
    let size_input = move |label: &'static str, id: &'static str, value: RwSignal<u32>| {
        view! {
            <label for=id>{label}</label>
            <input id=id type="number" min="1" max=MAX_EMBED_SIZE.to_string() prop:value=move || value.get().to_string()
                on:input=move |ev| {
                    if let Ok(n) = event_target_value(&ev).parse::<u32>() {
                        value.set(n.clamp(1, MAX_EMBED_SIZE));
                    }
                }/>
        }
    };

    view! {
        <button type="button" class="primary" aria-haspopup="dialog" on:click=open>"Share"</button>
        <dialog node_ref=dialog class="share-dialog" aria-modal="true" aria-labelledby="share-title">
            <div class="dialog-head">
                <h2 id="share-title">"Share “"{flow_name.clone()}"”"</h2>
                <button type="button" class="link-button" on:click=close>"Close"</button>
            </div>
            <div class="field">
                <label for="share-application">"Application"</label>
                <select id="share-application" autofocus on:change=move |ev| choose(event_target_value(&ev).parse().unwrap_or(0))>
                    {options}
                </select>
                <p class="hint">"Links go through "<code>{base_url}</code>". "{summary}" "
                    {move || if embeddable() { "Embed code applies." } else { "A web page: no Embed code." }}</p>
            </div>
            <div class="field">
                <label for="share-params">"URL Parameters"</label>
                <input id="share-params" placeholder="&param_1=value1&param_2=value2" autocomplete="off" spellcheck="false"
                    aria-describedby="share-params-error" aria-invalid=move || params.get().is_err().to_string()
                    on:input=move |ev| { params_text.set(event_target_value(&ev)); outcome.set(None); }/>
                <p id="share-params-error" class="form-error" role="alert">{params_error}</p>
                <p class="hint">"Preview: "<code data-testid="share-preview">{preview_text}</code></p>
            </div>
            {move || selected.get().map(|app| view! { <PreviewCard app/> })}
            <div class="switches">
                <label><input type="checkbox" role="switch" prop:checked=move || protect.get()
                    on:change=move |ev| { protect.set(event_target_checked(&ev)); outcome.set(None); }/>" Protect URL"</label>
                <label><input type="checkbox" role="switch" prop:checked=move || shorten.get()
                    on:change=move |ev| { shorten.set(event_target_checked(&ev)); outcome.set(None); }/>" Shorten URL"</label>
            </div>
            {move || (!protect.get()).then(|| view! {
                <p class="caution" role="note">"Caution: the application's security options will be ignored: \
                    anyone with this link can open it, as often as they like, until it is revoked. \
                    Revoke one link under Shared links, or regenerate the application key to disable all of them."</p>
            })}
            {move || embeddable().then(|| view! {
                <div class="embed-size">{size_input("Width", "share-width", width)}{size_input("Height", "share-height", height)}</div>
            })}
            <button type="button" class="primary" on:click=generate
                disabled=move || pending.get() || params.get().is_err() || selected.get().is_none()>
                {move || if pending.get() { "Generating…" } else { "Generate Link" }}
            </button>
            <details class="save-campaign">
                <summary>"Save as campaign"</summary>
                <p class="hint">"Keeps this application, these parameters, Protect URL and Shorten URL under a name. \
                    Systems then ask for a new link of it, each with its own recipient's parameters."</p>
                <div class="field">
                    <label for="campaign-name">"Campaign name"</label>
                    <input id="campaign-name" maxlength="80" autocomplete="off" placeholder="Spring reminders (SMS)"
                        on:input=move |ev| { campaign_name.set(event_target_value(&ev)); saved.set(None); }/>
                </div>
                <button type="button" on:click=save
                    disabled=move || saving.get() || params.get().is_err() || selected.get().is_none() || campaign_name.get().trim().is_empty()>
                    {move || if saving.get() { "Saving…" } else { "Save as campaign" }}
                </button>
                {saved_view}
            </details>
            {move || outcome.get().and_then(Result::err).map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
            {move || link().map(|l| view! { <CopyField id="share-link" label="Link" value=Signal::derive(move || l.link().to_owned())/> })}
            {move || embed().map(|code| view! { <CopyField id="share-embed" label="Embed" value=Signal::derive(move || code.clone())/> })}
            {move || link().map(|l| {
                let download = format!("data:image/svg+xml;charset=utf-8,{}", crate::domain::query::encode_component(&l.qr_svg));
                view! {
                    <figure class="qr">
                        <img src=download.clone() width="160" height="160" alt=format!("QR code of {}", l.link())/>
                        <figcaption><a href=download download="flowshare-link-qr.svg">"Download QR code (SVG)"</a></figcaption>
                    </figure>
                }
            })}
        </dialog>
    }
}

/// What a chat app shows under the link: the application's preview of this flow (set under
/// Applications → Previews and endings), with the host the link goes to. The image is shown from
/// this server, where it is stored.
#[component]
fn PreviewCard(app: Availability) -> impl IntoView {
    let image = app.preview.image.as_ref().map(|image| {
        let local = image
            .strip_prefix(&app.base_url)
            .unwrap_or(image)
            .to_owned();
        view! { <img src=local alt="" width="360" height="189"/> }
    });
    let description = (!app.preview.description.is_empty()).then(
        || view! { <span class="preview-description">{app.preview.description.clone()}</span> },
    );
    view! {
        <figure class="preview-card" aria-label="How chat apps show the link" data-testid="share-preview-card">
            {image}
            <figcaption>
                <span class="preview-host">{app.preview.host.clone()}</span>
                <strong class="preview-title">{app.preview.title.clone()}</strong>
                {description}
            </figcaption>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccessProtection, ApplicationKind};

    #[test]
    fn the_preview_shows_parameters_and_where_the_token_goes() {
        let app = Availability {
            application_slug: "help-centre".into(),
            application_name: "Help".into(),
            kind: ApplicationKind::WebPage,
            base_url: "https://help.example".into(),
            protection: AccessProtection::Open,
            preview: crate::domain::link_pages::LinkPreview {
                title: "Orders".into(),
                description: String::new(),
                image: None,
                host: "help.example".into(),
            },
        };
        let params = UrlParams::parse("&name=Ada Lovelace").expect("valid");
        assert_eq!(
            preview(&app, "orders", &params, true),
            "https://help.example/f/help-centre/orders/‹link id›?name=Ada%20Lovelace&fs_kv=…&fs_exp=…&fs_sig=…"
        );
        assert_eq!(
            preview(&app, "orders", &UrlParams::default(), false),
            "https://help.example/f/help-centre/orders/‹link id›?fs_kv=…"
        );
    }
}
