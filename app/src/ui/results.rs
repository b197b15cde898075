//! The Results section of a flow's Details tab (admins and publishers): the runs recipients made,
//! newest first, a page at a time, filtered by link and by state, with the answers they gave, and
//! Export CSV for all of them. Filters and pages are the page's own query (`results_link`,
//! `results_state`, `results_before`), so they work without JavaScript and can be bookmarked.

use super::format::utc_minute;
use super::ErrorPanel;
use crate::api::runs::flow_results;
use crate::domain::link::LinkRef;
use crate::domain::query::encode_component;
use crate::domain::results::{ResultsPage, RunOutcome, RunResult};
use crate::domain::run::GivenAnswer;
use crate::error::AppError;
use crate::views::SharedLink;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn FlowResults(slug: String, links: Vec<SharedLink>) -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        let q = query.read();
        (
            q.get("results_link").filter(|l| !l.is_empty()),
            q.get("results_state").filter(|s| !s.is_empty()),
            q.get("results_before").and_then(|b| b.parse::<i64>().ok()),
        )
    };
    let results = Resource::new(
        {
            let slug = slug.clone();
            move || (slug.clone(), filter())
        },
        |(slug, (link, state, before))| flow_results(slug, link, state, before),
    );
    let export = format!("/flows/{}/results.csv", encode_component(&slug));
    let link_options = links
        .into_iter()
        .filter_map(|link| {
            let handle = link.handle?;
            let label = format!(
                "{} · {} · {}",
                utc_minute(link.created_at),
                link.application,
                LinkRef::of_raw(&handle.id)
            );
            Some((handle.id, label))
        })
        .collect::<Vec<_>>();
    let chosen = move |key: &str| query.read().get(key).unwrap_or_default();
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading results…"</p> }>
            {move || {
                let link_options = link_options.clone();
                let export = export.clone();
                Suspend::new(async move {
                    match results.await {
                        // Viewers do not see recipients' answers: no section at all.
                        Err(AppError::Refused(crate::refusal::Refusal::RoleForbids, _)) => Either::Left(()),
                        Err(error) => Either::Right(Either::Left(view! { <ErrorPanel error/> })),
                        Ok(page) => Either::Right(Either::Right(view! {
                            <section class="results" aria-labelledby="results-title">
                                <h2 id="results-title">"Results"</h2>
                                <form method="get" class="results-filter" action="#results-title">
                                    <label>"Link "
                                        <select name="results_link">
                                            <option value="">"All links"</option>
                                            {link_options.into_iter().map(|(id, label)| {
                                                let selected = chosen("results_link") == id;
                                                view! { <option value=id selected=selected>{label}</option> }
                                            }).collect_view()}
                                        </select>
                                    </label>
                                    <label>"State "
                                        <select name="results_state">
                                            <option value="">"All"</option>
                                            {[RunOutcome::Finished, RunOutcome::Abandoned, RunOutcome::InProgress].into_iter().map(|o| {
                                                let selected = chosen("results_state") == o.as_str();
                                                view! { <option value=o.as_str() selected=selected>{o.label()}</option> }
                                            }).collect_view()}
                                        </select>
                                    </label>
                                    <button type="submit">"Filter"</button>
                                    <a class="button" href=export rel="external" download="">"Export CSV"</a>
                                </form>
                                <ResultsTable page/>
                            </section>
                        })),
                    }
                })
            }}
        </Transition>
    }
}

#[component]
fn ResultsTable(page: ResultsPage) -> impl IntoView {
    let query = use_query_map();
    if page.runs.is_empty() {
        return Either::Left(
            view! { <p class="empty">"No recipient has run this flow through these links yet."</p> },
        );
    }
    let older = page.next.map(|next| {
        let q = query.read();
        let mut params = vec![format!("results_before={next}")];
        for key in ["results_link", "results_state"] {
            if let Some(value) = q.get(key).filter(|v| !v.is_empty()) {
                params.push(format!("{key}={}", encode_component(&value)));
            }
        }
        let href = format!("?{}#results-title", params.join("&"));
        view! { <p><a href=href>"Older runs →"</a></p> }
    });
    let rows = page.runs.into_iter().map(result_row).collect_view();
    Either::Right(view! {
        <div class="table-scroll">
            <table class="results-table">
                <caption class="visually-hidden">"Runs, newest first"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Started"</th><th scope="col">"Finished"</th><th scope="col">"State"</th>
                        <th scope="col">"Link"</th><th scope="col">"Application"</th><th scope="col">"Steps"</th>
                        <th scope="col">"Answers"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {older}
    })
}

fn result_row(run: RunResult) -> impl IntoView {
    let answers = run
        .answers
        .into_iter()
        .filter_map(|given| {
            let (name, value) = match given.answer {
                GivenAnswer::Next => return None,
                GivenAnswer::Choice { label } => (given.step, label),
                GivenAnswer::Input { variable, value } => (variable, value),
            };
            // Recipients' text: rendered as text nodes, never as markup.
            Some(view! { <li><span class="answer-name">{name}</span>": "{value}</li> })
        })
        .collect_view();
    let state_class = match run.outcome {
        RunOutcome::Finished => "badge approved",
        RunOutcome::InProgress => "badge pending",
        RunOutcome::Abandoned => "badge rejected",
    };
    view! {
        <tr>
            <td><time>{utc_minute(run.started_at)}</time></td>
            <td>{run.finished_at.map_or("—".to_owned(), utc_minute)}</td>
            <td><span class=state_class>{run.outcome.label()}</span></td>
            <td><code>{run.link.to_string()}</code></td>
            <td>{run.application}</td>
            <td>{run.steps_taken}</td>
            <td><ul class="answers">{answers}</ul></td>
        </tr>
    }
}
