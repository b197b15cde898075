//! The Shared links list on a flow's Details tab: every link made for it, its state and uses, a
//! small chart of starts per day, and Revoke (a plain form, so it works without JavaScript).

use super::format::utc_minute;
use crate::api::share::RevokeLink;
use crate::domain::link::LinkRef;
use crate::domain::link::LinkState;
use crate::views::{LinkHandle, SharedLink, CHART_DAYS};
use leptos::either::Either;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// Starts per day as a row of bars; the numbers are in the accessible name.
#[component]
fn UsesChart(daily: Vec<u32>) -> impl IntoView {
    let max = daily.iter().copied().max().unwrap_or(0).max(1);
    let label = format!(
        "Starts per day over the last {CHART_DAYS} days: {}",
        daily
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let bars = daily
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let height = (n * 20 / max).max(u32::from(*n > 0));
            view! { <rect x=(i * 4).to_string() y=(20 - height).to_string() width="3" height=height.to_string()></rect> }
        })
        .collect_view();
    view! {
        <svg class="uses-chart" viewBox=format!("0 0 {} 20", CHART_DAYS * 4) width="70" height="20" role="img" aria-label=label>
            {bars}
        </svg>
    }
}

#[component]
pub fn SharedLinks(slug: String, links: Vec<SharedLink>) -> impl IntoView {
    if links.is_empty() {
        return Either::Left(
            view! { <p class="empty">"No link has been generated for this flow yet."</p> },
        );
    }
    let rows = links
        .into_iter()
        .map(|link| {
            let uses = match link.allowed_invocations {
                Some(n) => format!("{} / {n}", link.invocations),
                None => format!("{} / unlimited", link.invocations),
            };
            let expires = link
                .expires_at
                .map_or("never".to_owned(), |s| utc_minute(s * 1_000));
            let last = link.last_used_at.map_or("never".to_owned(), utc_minute);
            // Someone else's link, for anyone but an admin: listed, but nothing that opens it.
            let shown_code = match &link.handle {
                Some(LinkHandle {
                    short_code: Some(code),
                    ..
                }) => code.clone(),
                Some(LinkHandle {
                    short_code: None, ..
                }) => "—".to_owned(),
                None => "hidden".to_owned(),
            };
            let revoke = link
                .handle
                .clone()
                .filter(|_| link.can_revoke)
                .map(|handle| {
                    let name = format!(
                        "Revoke link {}",
                        handle
                            .short_code
                            .unwrap_or_else(|| LinkRef::of_raw(&handle.id).to_string())
                    );
                    view! {
                        <form method="post" action=RevokeLink::PATH>
                            <input type="hidden" name="slug" value=slug.clone()/>
                            <input type="hidden" name="link" value=handle.id/>
                            <button type="submit" aria-label=name>"Revoke"</button>
                        </form>
                    }
                });
            let state_class = if link.state == LinkState::Active {
                "badge approved"
            } else {
                "badge rejected"
            };
            view! {
                <tr>
                    <td><time>{utc_minute(link.created_at)}</time>" · "{link.created_by}</td>
                    <td>{link.application}</td>
                    <td>{if link.protected { "Protected" } else { "Open" }}</td>
                    <td><code>{shown_code}</code></td>
                    <td>{expires}</td>
                    <td>{uses}</td>
                    <td>{last}</td>
                    <td><span class=state_class>{link.state.label()}</span></td>
                    <td><UsesChart daily=link.daily_uses/></td>
                    <td>{revoke}</td>
                </tr>
            }
        })
        .collect_view();
    Either::Right(view! {
        <div class="table-scroll">
            <table class="shared-links">
                <caption class="visually-hidden">"Shared links"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Created"</th><th scope="col">"Application"</th><th scope="col">"Protection"</th>
                        <th scope="col">"Short code"</th><th scope="col">"Expires"</th><th scope="col">"Uses"</th>
                        <th scope="col">"Last use"</th><th scope="col">"State"</th><th scope="col">"Last 14 days"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    })
}
