//! Creating and editing an application (admins): name, kind, public base URL, allowed embed
//! origins and the flows available to it. A plain form; after a refusal it comes back with the
//! values typed and each refused field explained.

use super::raw_text::PageTitle;
use super::raw_text::TextArea;
use super::ErrorPanel;
use crate::api::applications::{application_form, SaveApplication};
use crate::domain::application_form::{ApplicationField, ApplicationForm};
use crate::views::FlowChoice;
use leptos::either::Either;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn ApplicationFormPage() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug"));
    let loaded = Resource::new(move || slug.get(), application_form);
    view! {
        <p class="breadcrumb"><A href="/applications">"← Applications"</A></p>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match loaded.await {
                    Ok((form, choices)) => Either::Left(view! { <FormView stored=form choices creating=slug.get_untracked().is_none()/> }),
                    Err(error) => Either::Right(view! { <ErrorPanel error/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn FormView(stored: ApplicationForm, choices: Vec<FlowChoice>, creating: bool) -> impl IntoView {
    let query = use_query_map();
    let q = query.read_untracked();
    // After a refused save the URL carries what was typed; otherwise the stored values are shown.
    let refill = q.get("refill").is_some();
    let value = |key: &str, stored: &str| {
        if refill {
            q.get(key).unwrap_or_default()
        } else {
            stored.to_owned()
        }
    };
    let form = ApplicationForm {
        name: value("name", &stored.name),
        slug: value("slug", &stored.slug),
        kind: value("kind", &stored.kind),
        base_url: value("base_url", &stored.base_url),
        embed_origins: value("embed_origins", &stored.embed_origins),
        results_days: value("results_days", &stored.results_days),
        flows: if refill {
            q.get_all("flow").unwrap_or_default()
        } else {
            stored.flows.clone()
        },
    };
    let invalid: Vec<ApplicationField> = q
        .get("invalid")
        .map(|v| v.split(',').filter_map(ApplicationField::parse).collect())
        .unwrap_or_default();
    let fault = |field: ApplicationField| {
        invalid
            .contains(&field)
            .then(|| view! { <p class="form-error">{field.message()}</p> })
    };
    let title = if creating {
        "New application".to_owned()
    } else {
        format!("Edit {}", stored.name)
    };
    let flows = choices
        .into_iter()
        .enumerate()
        .map(|(i, FlowChoice { slug, name, .. })| {
            let checked = form.flows.contains(&slug);
            view! { <label class="check"><input type="checkbox" name=format!("flows[{i}]") value=slug checked=checked/>" "{name}</label> }
        })
        .collect_view();
    view! {
        <PageTitle text=title.clone()/>
        <div class="page-head"><h1>{title}</h1></div>
        {(!invalid.is_empty()).then(|| view! { <p class="error-panel" role="alert">"Nothing was saved: see the fields marked below."</p> })}
        <form method="post" action=SaveApplication::PATH class="card app-form">
            <input type="hidden" name="creating" value=creating.to_string()/>
            <label for="app-name">"Name"</label>
            <input id="app-name" name="name" value=form.name maxlength="100" required/>
            {fault(ApplicationField::Name)}
            <label for="app-slug">"Slug"</label>
            <input id="app-slug" name="slug" value=form.slug readonly=!creating placeholder="made from the name"/>
            {fault(ApplicationField::Slug)}
            <label for="app-kind">"Kind"</label>
            <select id="app-kind" name="kind">
                <option value="web_page" selected=form.kind == "web_page">"Web page"</option>
                <option value="widget" selected=form.kind == "widget">"Embeddable widget"</option>
            </select>
            {fault(ApplicationField::Kind)}
            <label for="app-base-url">"Public base URL"</label>
            <input id="app-base-url" name="base_url" value=form.base_url placeholder="https://help.example.com" required/>
            {fault(ApplicationField::BaseUrl)}
            <label for="app-origins">"Allowed embed origins"</label>
            <TextArea id="app-origins" name="embed_origins" value=form.embed_origins placeholder="https://shop.example.com (one per line; widgets only)"/>
            {fault(ApplicationField::EmbedOrigins)}
            <label for="app-results-days">"Keep results (days)"</label>
            <input id="app-results-days" name="results_days" value=form.results_days inputmode="numeric"
                placeholder="empty: until deleted" aria-describedby="app-results-days-hint"/>
            <p id="app-results-days-hint" class="hint">"Recipients' runs and answers through this application's links are deleted this many days after they started."</p>
            {fault(ApplicationField::ResultsDays)}
            <fieldset class="flow-choices">
                <legend>"Flows available to this application"</legend>
                {flows}
            </fieldset>
            {fault(ApplicationField::Flows)}
            <div class="form-actions"><button type="submit" class="primary">"Save"</button></div>
        </form>
    }
}
