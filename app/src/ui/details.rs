//! A flow's Details tab: its metadata, the applications available to it with their access
//! protection, the Share button (disabled with the reason when the flow cannot be shared), its
//! campaigns,
//! shared links and the results of recipients' runs.

use super::access::FlowTabs;
use super::campaigns::CampaignsList;
use super::format::utc_minute;
use super::raw_text::{PageTitle, TextArea};
use super::results::FlowResults;
use super::share::ShareDialog;
use super::shared_links::SharedLinks;
use super::ErrorPanel;
use crate::api::campaigns::flow_campaigns;
use crate::api::flows::get_flow_details;
use crate::api::review::{PublishFlow, ReviewFlow};
use crate::api::share::shared_links;
use crate::domain::audit::DetailsProblem;
use crate::domain::FlowDetails;
use leptos::either::Either;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn FlowDetailsPage() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let details = Resource::new(move || slug.get(), get_flow_details);
    let links = Resource::new(move || slug.get(), shared_links);
    let campaigns = Resource::new(move || slug.get(), flow_campaigns);
    let query = use_query_map();
    let problem = move || {
        query
            .read()
            .get("problem")
            .and_then(|code| DetailsProblem::parse(&code))
    };
    view! {
        <p class="breadcrumb"><A href="/flows">"← Flows"</A></p>
        {move || problem().map(|p| view! { <p class="error-panel" role="alert">{p.message()}</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading flow…"</p> }>
            {move || Suspend::new(async move {
                match details.await {
                    Ok(details) => Either::Left(view! {
                        <DetailsView details=details.clone()/>
                        <h2 id="campaigns">"Campaigns"</h2>
                        {match campaigns.await {
                            Ok(campaigns) => Either::Left(view! {
                                <CampaignsList slug=slug.get_untracked() campaigns can_share=details.share_blocker.is_none()/>
                            }),
                            Err(error) => Either::Right(view! { <ErrorPanel error/> }),
                        }}
                        <h2 id="shared-links">"Shared links"</h2>
                        {match links.await {
                            Ok(links) => Either::Left(view! {
                                <SharedLinks slug=slug.get_untracked() links=links.clone()/>
                                <FlowResults slug=slug.get_untracked() links/>
                            }),
                            Err(error) => Either::Right(view! { <ErrorPanel error/> }),
                        }}
                    }),
                    Err(error) => Either::Right(view! { <PageTitle text="Flow"/><ErrorPanel error/> }),
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
        <PageTitle text=flow.name.clone()/>
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
        <Approval details=details.clone()/>
        <FlowTabs slug=flow.slug.to_string() current="Details"/>
        <section id="panel-details" role="tabpanel" aria-label="Details">
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

/// Publishing (publishers and admins, on a Draft) and reviewing (admins, on a Published flow).
/// Plain forms: they work before and without wasm, and the server sends the browser back here.
#[component]
fn Approval(details: FlowDetails) -> impl IntoView {
    let slug = details.summary.slug.to_string();
    let comment = (!details.review_comment.is_empty()).then(|| {
        view! { <p class="review-comment">"Reviewer's comment: “"{details.review_comment.clone()}"”"</p> }
    });
    let publish = details.can_publish.then(|| {
        view! {
            <form method="post" action=PublishFlow::PATH>
                <input type="hidden" name="slug" value=slug.clone()/>
                <button type="submit" class="primary">"Publish"</button>
                <span class="hint">" Publishing sends the flow for approval."</span>
            </form>
        }
    });
    let review = details.can_review.then(|| {
        view! {
            <form method="post" action=ReviewFlow::PATH class="review-form">
                <input type="hidden" name="slug" value=slug.clone()/>
                <label for="review-comment">"Comment"</label>
                <TextArea id="review-comment" name="comment" value="" maxlength="1000" rows="2"
                    placeholder="Required when rejecting: say what to change"/>
                <div class="review-buttons">
                    <button type="submit" name="decision" value="approve" class="primary">"Approve"</button>
                    <button type="submit" name="decision" value="reject">"Reject"</button>
                </div>
            </form>
        }
    });
    let shown = details.can_publish || details.can_review || !details.review_comment.is_empty();
    shown.then(|| {
        view! {
            <section class="approval" aria-labelledby="approval-title">
                <h2 id="approval-title">"Approval"</h2>
                {comment}
                {publish}
                {review}
            </section>
        }
    })
}
