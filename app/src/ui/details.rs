//! A flow's Details tab: its metadata, the applications available to it with their access
//! protection, and the Share button, disabled with the reason when the flow cannot be shared.

use super::format::utc_minute;
use super::share::ShareDialog;
use super::ErrorPanel;
use crate::api::flows::get_flow_details;
use crate::domain::FlowDetails;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn FlowDetailsPage() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let details = Resource::new(move || slug.get(), get_flow_details);
    view! {
        <p class="breadcrumb"><A href="/flows">"← Flows"</A></p>
        <Transition fallback=|| view! { <p class="loading">"Loading flow…"</p> }>
            {move || Suspend::new(async move {
                match details.await {
                    Ok(details) => Either::Left(view! { <DetailsView details/> }),
                    Err(error) => Either::Right(view! { <Title text="Flow"/><ErrorPanel error/> }),
                }
            })}
        </Transition>
    }
}

#[component]
fn DetailsView(details: FlowDetails) -> impl IntoView {
    let flow = details.summary.clone();
    let blocker = details.share_blocker;
    let share_reason =
        blocker.map(|b| view! { <p id="share-blocked" class="share-reason">{b.message()}</p> });
    let applications = if details.availability.is_empty() {
        Either::Left(view! { <p class="empty">"No application is available to this flow yet."</p> })
    } else {
        Either::Right(view! {
            <table class="applications">
                <caption class="visually-hidden">"Applications available to this flow"</caption>
                <thead>
                    <tr><th scope="col">"Application"</th><th scope="col">"Kind"</th><th scope="col">"Base URL"</th><th scope="col">"Access protection"</th></tr>
                </thead>
                <tbody>
                    {details.availability.iter().map(|a| view! {
                        <tr>
                            <td>{a.application_name.clone()}</td>
                            <td>{a.kind.label()}</td>
                            <td><code>{a.base_url.clone()}</code></td>
                            <td>{a.protection.summary()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        })
    };
    view! {
        <Title text=flow.name.clone()/>
        <div class="page-head">
            <div>
                <h1>{flow.name.clone()}</h1>
                <p class="badges">
                    <span class="badge type">{flow.flow_type.label()}</span>
                    <span class=format!("badge {}", flow.publication.as_str())>{flow.publication.label()}</span>
                    <span class=format!("badge {}", flow.approval.as_str())>{flow.approval.label()}</span>
                </p>
            </div>
            <div class="share-box">
                {match blocker {
                    Some(_) => Either::Left(view! {
                        <button type="button" class="primary" disabled aria-describedby="share-blocked">"Share"</button>
                        {share_reason}
                    }),
                    None => Either::Right(view! {
                        <ShareDialog flow=flow.slug.to_string() flow_name=flow.name.clone() applications=details.availability.clone()/>
                    }),
                }}
            </div>
        </div>
        <div role="tablist" aria-label="Flow" class="tabs">
            <button role="tab" id="tab-details" aria-selected="true" aria-controls="panel-details">"Details"</button>
        </div>
        <section id="panel-details" role="tabpanel" aria-labelledby="tab-details">
            <dl class="meta">
                <dt>"Description"</dt><dd>{details.description.clone()}</dd>
                <dt>"Slug"</dt><dd><code>{flow.slug.to_string()}</code></dd>
                <dt>"Version"</dt><dd>{flow.version}</dd>
                <dt>"Steps"</dt><dd>{details.step_count}</dd>
                <dt>"Created"</dt><dd>{utc_minute(details.created_at)}" by "{details.created_by.clone()}</dd>
                <dt>"Updated"</dt><dd>{utc_minute(flow.updated_at)}" by "{flow.updated_by.clone()}</dd>
            </dl>
            <h2>"Applications"</h2>
            {applications}
        </section>
    }
}
