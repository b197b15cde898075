//! The Applications page (admins): the doors links go through, each with its key version and a
//! fingerprint of its key (never the key), and Regenerate key behind a confirmation that says
//! what it does. Plain forms: they work without JavaScript.

use super::format::utc_minute;
use super::raw_text::PageTitle;
use super::ErrorPanel;
use crate::api::applications::{list_applications, RegenerateKey};
use crate::views::ApplicationSummary;
use leptos::either::Either;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ApplicationsPage() -> impl IntoView {
    let apps = Resource::new(|| (), |_| list_applications());
    let query = use_query_map();
    let regenerated = query.read_untracked().get("regenerated");
    let saved = query.read_untracked().get("saved");
    let link_pages = query.read_untracked().get("link_pages");
    view! {
        <PageTitle text="Applications"/>
        <div class="page-head"><h1>"Applications"</h1><a class="button primary" href="/applications/new">"New application"</a></div>
        {regenerated.map(|slug| view! {
            <p class="notice" role="status">{format!("A new key is in place for {slug}. Every link made for it before now shows “link disabled”; new links work.")}</p>
        })}
        {saved.map(|slug| view! { <p class="notice" role="status">{format!("Saved {slug}.")}</p> })}
        {link_pages.map(|slug| view! { <p class="notice" role="status">{format!("Saved the link pages of {slug}: previews and endings hold from the next open of every link.")}</p> })}
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match apps.await {
                    Ok(apps) => Either::Left(view! { <ApplicationTable apps/> }),
                    Err(error) => Either::Right(view! { <ErrorPanel error/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ApplicationTable(apps: Vec<ApplicationSummary>) -> impl IntoView {
    let rows = apps
        .into_iter()
        .map(|a| {
            let origins = if a.embed_origins.is_empty() { "—".to_owned() } else { a.embed_origins.join(", ") };
            let confirm_name = format!("Regenerate the key of {}", a.name);
            view! {
                <tr>
                    <td><a href=format!("/applications/{}", a.slug) aria-label=format!("Edit {}", a.name)>{a.name.clone()}</a><br/><code>{a.slug.clone()}</code>
                        <br/><a href=crate::domain::link_pages::form::page_of(&a.slug) aria-label=format!("Link pages of {}", a.name)>"Previews and endings"</a></td>
                    <td>{a.kind.label()}</td>
                    <td><code>{a.base_url}</code></td>
                    <td>{origins}</td>
                    <td>{a.flow_count}</td>
                    <td>{format!("v{} · {}…", a.key_version, a.key_fingerprint)}<br/><span class="hint">{format!("since {}", utc_minute(a.rotated_at))}</span></td>
                    <td>
                        <details class="confirm">
                            <summary>"Regenerate key…"</summary>
                            <form method="post" action=RegenerateKey::PATH>
                                <input type="hidden" name="application" value=a.slug.clone()/>
                                <p>"A new key replaces the current one. Every link made for "<strong>{a.name.clone()}</strong>
                                   " until now — full and short, protected and open — stops working at once and shows “link disabled”. \
                                   This cannot be undone."</p>
                                <button type="submit" class="danger" aria-label=confirm_name>"Regenerate key"</button>
                            </form>
                        </details>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-scroll">
            <table class="applications">
                <caption class="visually-hidden">"Applications"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Application"</th><th scope="col">"Kind"</th><th scope="col">"Base URL"</th>
                        <th scope="col">"Embed origins"</th><th scope="col">"Flows"</th><th scope="col">"Key"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
