//! The Audit log page (admins): who generated, regenerated, published, approved or rejected what,
//! newest first, searchable by any of its words.

use super::format::utc_minute;
use super::raw_text::PageTitle;
use super::ErrorPanel;
use crate::api::review::audit_log;
use crate::domain::audit::AuditPage;
use crate::domain::query::encode_component;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let query = use_query_map();
    let text = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    let page = Memo::new(move |_| {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
            .max(1)
    });
    let log = Resource::new(
        move || (text.get(), page.get()),
        |(q, page)| audit_log(Some(q), Some(page.to_string())),
    );
    view! {
        <PageTitle text="Audit log"/>
        <div class="page-head"><h1>"Audit log"</h1></div>
        <form class="search" role="search" method="get" action="/audit">
            <label for="audit-search">"Search"</label>
            <input id="audit-search" type="search" name="q" value=text.get_untracked() placeholder="A user, flow, application or action"/>
        </form>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match log.await {
                    Ok(page) => Either::Left(view! { <AuditTable page text=text.get_untracked()/> }),
                    Err(error) => Either::Right(view! { <ErrorPanel error/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AuditTable(page: AuditPage, text: String) -> impl IntoView {
    if page.entries.is_empty() {
        return Either::Left(
            view! { <p class="empty" role="status">"Nothing in the audit log matches."</p> },
        );
    }
    let link = |n: u32| format!("/audit?q={}&page={n}", encode_component(&text));
    let newer = (page.page > 1).then(|| view! { <A href=link(page.page - 1)>"← Newer"</A> });
    let older = page
        .more
        .then(|| view! { <A href=link(page.page + 1)>"Older →"</A> });
    Either::Right(view! {
        <table class="audit">
            <caption class="visually-hidden">"Audit log"</caption>
            <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"Action"</th><th scope="col">"Subject"</th><th scope="col">"Detail"</th></tr></thead>
            <tbody>
                {page.entries.into_iter().map(|e| view! {
                    <tr>
                        <td><time>{utc_minute(e.at)}</time></td>
                        <td>{e.actor}</td>
                        <td>{e.action.label()}</td>
                        <td><code>{e.subject}</code></td>
                        <td>{e.detail}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <nav class="pager" aria-label="Pages">{newer}<span>{format!("Page {}", page.page)}</span>{older}</nav>
    })
}
