//! The link inspector (every signed-in user): paste a full or short link of this server and see
//! whether it opens now and, if not, exactly why; admins and the link's maker also see everything
//! about it and may revoke it. A plain GET form, so it works without JavaScript and a support
//! colleague can be sent the page.

use super::format::utc_minute;
use super::raw_text::PageTitle;
use super::ErrorPanel;
use crate::api::share::{inspect_link, RevokeLink};
use crate::domain::link::Finding;
use crate::views::{LinkDetails, LinkInspection};
use leptos::either::Either;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[component]
pub fn InspectPage() -> impl IntoView {
    // Decoded once: a pasted link's own percent-escapes are part of it. (The page is rendered on
    // the server for each inspection: a GET form.)
    let pasted = super::query::query_value("link").unwrap_or_default();
    let found = Resource::new(
        {
            let pasted = pasted.clone();
            move || pasted.clone()
        },
        |link| async move {
            if link.trim().is_empty() {
                Ok(None)
            } else {
                inspect_link(link).await.map(Some)
            }
        },
    );
    view! {
        <PageTitle text="Inspect a link"/>
        <div class="page-head"><h1>"Inspect a link"</h1></div>
        <form method="get" action="/inspect" class="card inspect-form">
            <label for="inspect-link">"Link"</label>
            <input id="inspect-link" name="link" value=pasted required autocomplete="off"
                spellcheck="false" placeholder="https://…/s/… or https://…/f/…" aria-describedby="inspect-hint"/>
            <p id="inspect-hint" class="hint">"A full or short link of this server, as a recipient has it. \
                Inspecting counts nothing; inspecting a link someone else made is in the audit log."</p>
            <div class="form-actions"><button type="submit" class="primary">"Inspect"</button></div>
        </form>
        <Suspense fallback=|| view! { <p class="loading">"Inspecting…"</p> }>
            {move || Suspend::new(async move {
                match found.await {
                    Ok(Some(inspection)) => Either::Left(view! { <Inspection inspection/> }),
                    Ok(None) => Either::Right(Either::Left(())),
                    Err(error) => Either::Right(Either::Right(view! { <ErrorPanel error/> })),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Inspection(inspection: LinkInspection) -> impl IntoView {
    let LinkInspection {
        finding,
        details,
        revoke,
        ending,
    } = inspection;
    let badge = if finding == Finding::Opens {
        "badge approved"
    } else {
        "badge rejected"
    };
    let flow = details.as_ref().map(|d| d.flow.clone());
    let actions = revoke.zip(flow.clone()).map(|(handle, flow)| {
        let name = format!(
            "Revoke link {}",
            handle.short_code.clone().unwrap_or_else(|| {
                crate::domain::link::LinkRef::of_raw(&handle.id).to_string()
            })
        );
        view! {
            <details class="confirm">
                <summary>"Revoke…"</summary>
                <form method="post" action=RevokeLink::PATH>
                    <input type="hidden" name="slug" value=flow/>
                    <input type="hidden" name="link" value=handle.id/>
                    <p>"The link stops working at once, full and short, and recipients are told it was disabled. This cannot be undone."</p>
                    <button type="submit" class="danger" aria-label=name>"Revoke link"</button>
                </form>
            </details>
        }
    });
    view! {
        <section class="card inspection" aria-labelledby="inspection-title">
            <h2 id="inspection-title"><span class=badge>{finding.label()}</span></h2>
            <p data-testid="finding">{finding.sentence(utc_minute)}</p>
            {ending.map(|ending| view! { <p data-testid="ending">{ending}</p> })}
            {details.map(|details| view! { <Details details/> })}
            {flow.map(|flow| view! {
                <p><a href=format!("/flows/{flow}")>"Open its flow's Shared links"</a></p>
            })}
            {actions}
        </section>
    }
}

#[component]
fn Details(details: LinkDetails) -> impl IntoView {
    let uses = match details.allowed_invocations {
        Some(allowed) => format!("{} of {allowed}", details.invocations),
        None => format!("{} (unlimited)", details.invocations),
    };
    let expires = details.expires_at.map_or("never".to_owned(), |at| {
        utc_minute(at.saturating_mul(1_000))
    });
    let last_use = details.last_used_at.map_or("never".to_owned(), utc_minute);
    let params = if details.params.is_empty() {
        Either::Left(view! { <p class="hint">"No parameters."</p> })
    } else {
        Either::Right(view! {
            <table class="inspected-params">
                <caption>"Parameters"</caption>
                <thead><tr><th scope="col">"Name"</th><th scope="col">"Value"</th><th scope="col">"Signed"</th></tr></thead>
                <tbody>
                    {details.params.into_iter().map(|p| view! {
                        <tr><td><code>{p.name}</code></td><td>{p.value}</td><td>{if p.signed { "yes: changing it breaks the link" } else { "no: recipients may change it" }}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        })
    };
    view! {
        <dl class="inspected">
            <dt>"Flow"</dt><dd>{details.flow_name}" ("<code>{details.flow.clone()}</code>")"</dd>
            <dt>"Application"</dt><dd>{details.application_name}" ("<code>{details.application}</code>")"</dd>
            <dt>"Made"</dt><dd>{format!("{} by {}", utc_minute(details.created_at), details.created_by)}</dd>
            <dt>"Campaign"</dt><dd>{details.campaign.unwrap_or_else(|| "none".to_owned())}</dd>
            <dt>"Protection"</dt><dd>{if details.protected { "Protected (signed)" } else { "Open" }}</dd>
            <dt>"Expires"</dt><dd>{expires}</dd>
            <dt>"Uses"</dt><dd>{uses}</dd>
            <dt>"Last use"</dt><dd>{last_use}</dd>
            <dt>"Key version"</dt><dd>{details.key_version}</dd>
            <dt>"Reference"</dt><dd><code>{details.reference}</code>{details.short_code.map(|code| view! { " · short code "<code>{code}</code> })}</dd>
        </dl>
        {details.other_origin.map(|origin| view! {
            <p class="caution" role="note">{format!("Pasted from {origin}, which is not this link's application's address: it was passed on through another host.")}</p>
        })}
        {params}
    }
}
