//! The Flows page: a searchable, sortable, paged table of every flow, rendered on the server. The
//! query lives in the URL, so a search can be bookmarked and survives a reload; with JavaScript,
//! typing narrows the list after a short pause.

use super::format::utc_minute;
use super::raw_text::PageTitle;
use super::ErrorPanel;
use crate::api::flows::list_flows;
use crate::domain::{FlowPage, FlowQuery, SortDirection, SortKey};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use std::time::Duration;

/// How long typing must pause before the list is asked for again.
const SEARCH_DEBOUNCE: Duration = Duration::from_millis(250);

fn flows_url(query: &FlowQuery) -> String {
    format!("/flows{}", query.to_query_string())
}

#[component]
pub fn FlowsPage() -> impl IntoView {
    let url_query = use_query_map();
    let query = Memo::new(move |_| {
        let map = url_query.read();
        FlowQuery::from_params(
            map.get_str("q"),
            map.get_str("sort"),
            map.get_str("dir"),
            map.get_str("page"),
        )
    });
    let flows = Resource::new(
        move || query.get(),
        |q| {
            list_flows(
                Some(q.text.as_str().to_owned()),
                Some(q.sort.as_str().to_owned()),
                Some(q.direction.as_str().to_owned()),
                Some(q.page.to_string()),
            )
        },
    );
    view! {
        <PageTitle text="Flows"/>
        <div class="page-head">
            <h1>"Flows"</h1>
        </div>
        // A real GET form: Enter searches even without JavaScript; with it, typing searches live.
        <form class="search" role="search" method="get" action="/flows">
            <label for="flow-search">"Search"</label>
            <SearchBox initial=query.get_untracked().text.as_str().to_owned()/>
        </form>
        <div id=RESULTS_ID aria-live="polite">
            <Suspense fallback=|| view! { <p class="loading">"Loading flows…"</p> }>
                {move || Suspend::new(async move {
                    match flows.await {
                        Ok(page) => Either::Left(view! { <FlowTable page query=query.get_untracked()/> }),
                        Err(error) => Either::Right(view! { <ErrorPanel error/> }),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// The element whose content a live search replaces.
const RESULTS_ID: &str = "flow-results";

/// The search field. After a pause in typing it fetches this page for the new query and swaps in
/// the server-rendered results, so the list narrows while the field keeps its focus and caret.
#[island]
fn SearchBox(initial: String) -> impl IntoView {
    let pending = StoredValue::new(None::<TimeoutHandle>);
    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        if let Some(handle) = pending.get_value() {
            handle.clear();
        }
        let handle = set_timeout_with_handle(
            move || {
                #[cfg(feature = "hydrate")]
                leptos::task::spawn_local(live::refresh(text));
                #[cfg(not(feature = "hydrate"))]
                let _ = text;
            },
            SEARCH_DEBOUNCE,
        );
        pending.set_value(handle.ok());
    };
    view! {
        <input
            id="flow-search"
            type="search"
            name="q"
            placeholder="Type a few letters of a flow's name"
            autocomplete="off"
            value=initial
            on:input=on_input
        />
    }
}

/// Browser side of the live search.
#[cfg(feature = "hydrate")]
mod live {
    use super::RESULTS_ID;
    use std::sync::atomic::{AtomicU32, Ordering};
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    /// Numbers each search, so that a slow answer to an older one never replaces a newer one.
    static LATEST: AtomicU32 = AtomicU32::new(0);

    pub async fn refresh(text: String) {
        let ticket = LATEST.fetch_add(1, Ordering::SeqCst) + 1;
        // Any failure leaves the current list in place; Enter still submits the form.
        let _ = swap_results(text, ticket).await;
    }

    async fn swap_results(text: String, ticket: u32) -> Option<()> {
        let window = web_sys::window()?;
        let location = window.location();
        let params = web_sys::UrlSearchParams::new_with_str(&location.search().ok()?).ok()?;
        if text.trim().is_empty() {
            params.delete("q");
        } else {
            params.set("q", text.trim());
        }
        params.delete("page");
        let query = String::from(params.to_string());
        let url = if query.is_empty() {
            location.pathname().ok()?
        } else {
            format!("{}?{query}", location.pathname().ok()?)
        };
        let response: web_sys::Response = JsFuture::from(window.fetch_with_str(&url))
            .await
            .ok()?
            .dyn_into()
            .ok()?;
        if !response.ok() {
            return None;
        }
        let html = JsFuture::from(response.text().ok()?)
            .await
            .ok()?
            .as_string()?;
        if LATEST.load(Ordering::SeqCst) != ticket {
            return None;
        }
        let parsed = web_sys::DomParser::new()
            .ok()?
            .parse_from_string(&html, web_sys::SupportedType::TextHtml)
            .ok()?;
        let fresh = parsed.get_element_by_id(RESULTS_ID)?;
        let current = window.document()?.get_element_by_id(RESULTS_ID)?;
        current.set_inner_html(&fresh.inner_html());
        window
            .history()
            .ok()?
            .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
            .ok()?;
        Some(())
    }
}

#[component]
fn FlowTable(page: FlowPage, query: FlowQuery) -> impl IntoView {
    if page.flows.is_empty() {
        let message = if query.text.is_empty() {
            "There are no flows yet. Import some with `flowshare flows import`.".to_owned()
        } else {
            format!("No flows match “{}”.", query.text.as_str())
        };
        return Either::Left(view! { <p class="empty" role="status">{message}</p> });
    }
    let header = |key: SortKey, label: &'static str| {
        let sorted = (query.sort == key).then_some(query.direction);
        let aria = match sorted {
            Some(SortDirection::Asc) => "ascending",
            Some(SortDirection::Desc) => "descending",
            None => "none",
        };
        let arrow = match sorted {
            Some(SortDirection::Asc) => " ▲",
            Some(SortDirection::Desc) => " ▼",
            None => "",
        };
        view! {
            <th scope="col" aria-sort=aria>
                <A href=flows_url(&query.sorted_by(key))>{label}{arrow}</A>
            </th>
        }
    };
    let pages = page.page_count();
    let current = page.page;
    let rows = page
        .flows
        .into_iter()
        .map(|flow| {
            view! {
                <tr>
                    <td><A href=format!("/flows/{}", flow.slug)>{flow.name}</A></td>
                    <td>{flow.flow_type.label()}</td>
                    <td><span class=format!("badge {}", flow.publication.as_str())>{flow.publication.label()}</span></td>
                    <td><span class=format!("badge {}", flow.approval.as_str())>{flow.approval.label()}</span></td>
                    <td><time>{utc_minute(flow.updated_at)}</time>" · "{flow.updated_by}</td>
                </tr>
            }
        })
        .collect_view();
    let previous = (current > 1)
        .then(|| view! { <A href=flows_url(&query.with_page(current - 1))>"← Previous"</A> });
    let next = (current < pages)
        .then(|| view! { <A href=flows_url(&query.with_page(current + 1))>"Next →"</A> });
    let count = if page.total == 1 {
        "1 flow".to_owned()
    } else {
        format!("{} flows", page.total)
    };
    Either::Right(view! {
        <table class="flows">
            <caption class="visually-hidden">"Flows"</caption>
            <thead>
                <tr>
                    {header(SortKey::Name, "Name")}
                    {header(SortKey::Type, "Type")}
                    {header(SortKey::Status, "Status")}
                    {header(SortKey::Approval, "Approval")}
                    {header(SortKey::Updated, "Updated")}
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        <nav class="pager" aria-label="Pages">
            {previous}
            <span role="status">{format!("Page {current} of {pages} · {count}")}</span>
            {next}
        </nav>
    })
}
