//! The Access Protection tab of a flow: for each application available to it, Open or Protected
//! and, when Protected, allowed invocations, URL expiration and whether URL parameters are
//! validated. Admins save; everyone else reads. A plain form: it works without JavaScript.

use super::raw_text::PageTitle;
use super::ErrorPanel;
use crate::api::flows::get_flow_details;
use crate::api::protection::SaveAccessProtection;
use crate::domain::application::{ProtectionField, MAX_EXPIRY_AMOUNT, MAX_INVOCATIONS};
use crate::domain::{AccessProtection, Availability, ExpiryUnit, FlowDetails};
use leptos::either::Either;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use leptos_router::params::ParamsMap;

#[component]
pub fn AccessProtectionPage() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let details = Resource::new(move || slug.get(), get_flow_details);
    view! {
        <p class="breadcrumb"><A href="/flows">"← Flows"</A></p>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match details.await {
                    Ok(details) => Either::Left(view! { <AccessView details/> }),
                    Err(error) => Either::Right(view! { <PageTitle text="Flow"/><ErrorPanel error/> }),
                }
            })}
        </Suspense>
    }
}

/// The tabs of a flow's page, as links so each tab has its own address.
#[component]
pub fn FlowTabs(slug: String, current: &'static str) -> impl IntoView {
    let tab = |label: &'static str, href: String| {
        let selected = label == current;
        view! {
            <a role="tab" href=href aria-selected=selected.to_string() aria-current=selected.then_some("page")>{label}</a>
        }
    };
    view! {
        <div role="tablist" aria-label="Flow" class="tabs">
            {tab("Details", format!("/flows/{slug}"))}
            {tab("Access Protection", format!("/flows/{slug}/access"))}
        </div>
    }
}

fn matches(app: &Availability, text: &str) -> bool {
    let text = text.trim().to_lowercase();
    text.is_empty()
        || [
            app.application_name.as_str(),
            app.application_slug.as_str(),
            app.kind.label(),
            app.base_url.as_str(),
            &app.protection.summary(),
        ]
        .iter()
        .any(|field| field.to_lowercase().contains(&text))
}

#[component]
fn AccessView(details: FlowDetails) -> impl IntoView {
    let query = use_query_map();
    let q = query.read_untracked();
    let text = q.get("q").unwrap_or_default();
    let saved = q.get("saved").is_some();
    let invalid: Vec<String> = q
        .get("invalid")
        .map(|v| v.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let slug = details.summary.slug.to_string();
    let apps: Vec<Availability> = details
        .availability
        .iter()
        .filter(|a| matches(a, &text))
        .cloned()
        .collect();
    let fieldsets = apps
        .into_iter()
        .enumerate()
        .map(|(i, app)| view! { <ProtectionFields index=i app query=q.clone() invalid=invalid.clone()/> })
        .collect_view();
    view! {
        <PageTitle text=format!("Access Protection · {}", details.summary.name)/>
        <div class="page-head"><h1>{details.summary.name.clone()}</h1></div>
        <FlowTabs slug=slug.clone() current="Access Protection"/>
        {saved.then(|| view! { <p class="notice" role="status">"Saved. Links generated from now on follow these settings."</p> })}
        {(!invalid.is_empty()).then(|| view! { <p class="error-panel" role="alert">"Some values were not saved: see the fields marked below."</p> })}
        <form class="search" role="search" method="get" action=format!("/flows/{slug}/access")>
            <label for="access-search">"Search"</label>
            <input id="access-search" type="search" name="q" value=text.clone() placeholder="A few letters of any detail"/>
        </form>
        {(!details.can_administer).then(|| view! { <p class="hint">"Only admins can change access protection."</p> })}
        <form method="post" action=SaveAccessProtection::PATH class="access-form">
            <input type="hidden" name="slug" value=slug/>
            // Enter in a field must not save past the confirmation below: this disabled button is
            // the form's default button, and a disabled default button makes Enter do nothing.
            <button type="submit" disabled hidden aria-hidden="true" tabindex="-1"></button>
            <fieldset class="plain" disabled=!details.can_administer>
                {fieldsets}
            </fieldset>
            {details.can_administer.then(|| view! { <SaveWithConfirmation/> })}
        </form>
    }
}

/// Save, then a confirmation that says what saving changes. Plain HTML, so it works without
/// JavaScript, and everything typed stays in the form while the confirmation is open.
#[component]
fn SaveWithConfirmation() -> impl IntoView {
    view! {
        <div class="form-actions">
            <details class="confirm save-confirm">
                <summary>"Save…"</summary>
                <div class="confirm-panel">
                    <p>"Links generated from now on follow these settings: whether Share starts with Protect URL on, \
                        their expiry and their allowed invocations. Links already shared keep the expiry and limit \
                        they were made with."</p>
                    <button type="submit" class="primary">"Confirm and save"</button>
                </div>
            </details>
        </div>
    }
}

/// One application's settings. Values come back from the URL after a refused save, else from the store.
#[component]
fn ProtectionFields(
    index: usize,
    app: Availability,
    query: ParamsMap,
    invalid: Vec<String>,
) -> impl IntoView {
    let slug = app.application_slug.clone();
    let name = |field: &str| format!("apps[{index}][{field}]");
    let id = |field: &str| format!("{slug}-{field}");
    let typed = |field: &str| query.get(&format!("{slug}.{field}"));
    let (access, invocations, amount, unit, validate) = match app.protection {
        AccessProtection::Open => (
            "open".to_owned(),
            String::new(),
            String::new(),
            "days".to_owned(),
            true,
        ),
        AccessProtection::Protected {
            allowed_invocations,
            expiry,
            validate_params,
        } => (
            "protected".to_owned(),
            allowed_invocations
                .map(|n| n.to_string())
                .unwrap_or_default(),
            expiry.map(|e| e.amount.to_string()).unwrap_or_default(),
            expiry.map_or("days", |e| e.unit.as_str()).to_owned(),
            validate_params,
        ),
    };
    let refilled = typed("access").is_some();
    let access = typed("access").unwrap_or(access);
    let invocations = typed("invocations").unwrap_or(invocations);
    let amount = typed("expiry_amount").unwrap_or(amount);
    let unit = typed("expiry_unit").unwrap_or(unit);
    let validate = if refilled {
        typed("validate_params").is_some_and(|v| !v.is_empty())
    } else {
        validate
    };
    let fault = |field: ProtectionField| {
        invalid.contains(&format!("{slug}.{}", field.code())).then(|| {
            view! { <p class="form-error" id=format!("{slug}-{}-error", field.code())>{field.message()}</p> }
        })
    };
    let units = [
        ExpiryUnit::Minutes,
        ExpiryUnit::Hours,
        ExpiryUnit::Days,
        ExpiryUnit::Weeks,
    ]
    .into_iter()
    .map(|u| view! { <option value=u.as_str() selected=u.as_str() == unit>{u.as_str()}</option> })
    .collect_view();
    view! {
        <fieldset class="protection">
            <legend>{app.application_name.clone()}<span class="hint">{format!(" · {} · {}", app.kind.label(), app.base_url)}</span></legend>
            <input type="hidden" name=name("application") value=slug.clone()/>
            <div class="access-choice" role="radiogroup" aria-label="Access">
                <span class="field-label">"Access"</span>
                <label><input type="radio" name=name("access") value="open" checked=access == "open"/>" Open"</label>
                <label><input type="radio" name=name("access") value="protected" checked=access == "protected"/>" Protected"</label>
                {fault(ProtectionField::Access)}
            </div>
            <div class="protected-fields">
                <label for=id("invocations")>"# Allowed Invocations"</label>
                <input id=id("invocations") name=name("invocations") inputmode="numeric" value=invocations placeholder="unlimited"
                    aria-invalid=invalid.contains(&format!("{slug}.invocations")).to_string() title=format!("1 to {MAX_INVOCATIONS}, or empty for unlimited")/>
                {fault(ProtectionField::Invocations)}
                <label for=id("expiry")>"URL Expiration"</label>
                <span class="expiry">
                    <input id=id("expiry") name=name("expiry_amount") inputmode="numeric" value=amount placeholder="never"
                        aria-invalid=invalid.contains(&format!("{slug}.expiry")).to_string() title=format!("1 to {MAX_EXPIRY_AMOUNT}, or empty for never")/>
                    <select name=name("expiry_unit") aria-label="Unit">{units}</select>
                </span>
                {fault(ProtectionField::Expiry)}
                <label class="check"><input type="checkbox" name=name("validate_params") checked=validate/>" Validate URL Parameters"</label>
                <p class="hint">"On: the link is unusable once any parameter is changed. Off: recipients may change parameters."</p>
            </div>
        </fieldset>
    }
}
