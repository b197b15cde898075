//! The API page: every call with its scope and a curl example on this server's own address, the
//! rules every call follows, and the OpenAPI document for the rest.

use super::raw_text::PageTitle;
use super::ErrorPanel;
use crate::api::api_keys::api_base_url;
use crate::ui::api_calls::{KeyHeader, ENDPOINTS};
use leptos::either::Either;
use leptos::prelude::*;

#[component]
pub fn ApiReferencePage() -> impl IntoView {
    let base = Resource::new(|| (), |_| api_base_url());
    view! {
        <PageTitle text="API"/>
        <h1>"API"</h1>
        <p>"Systems make, read and revoke links with an API key (admins create them under "
            <a href="/api-keys">"API keys"</a>"). Every call answers JSON; a refusal is "
            <code>"application/problem+json"</code>" whose "<code>"type"</code>" names it and whose "
            <code>"detail"</code>" says what to change. Creates take an "<code>"Idempotency-Key"</code>
            " header so a retry never makes a second link; too many calls get 429 with "<code>"Retry-After"</code>"."</p>
        <p>"The full reference is the OpenAPI document: "<a href="/api/v1/openapi.json">"/api/v1/openapi.json"</a>"."</p>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match base.await {
                    Ok(base) => Either::Left(view! {
                        <p>"In the examples, put your key in "<code>"FLOWSHARE_KEY"</code>" first: "
                            <code>"export FLOWSHARE_KEY=fsk_…"</code></p>
                        {ENDPOINTS.iter().map(|endpoint| {
                            let scope = match (endpoint.scope, endpoint.key) {
                                (_, KeyHeader::None) => "no key".to_owned(),
                                (Some(scope), _) => format!("scope {}", scope.as_str()),
                                (None, _) => "any key".to_owned(),
                            };
                            view! {
                                <section class="endpoint">
                                    <h2><code>{endpoint.method}" "{endpoint.path}</code></h2>
                                    <p>{endpoint.summary}" "<span class="badge">{scope}</span></p>
                                    <pre><code>{endpoint.curl(&base)}</code></pre>
                                </section>
                            }
                        }).collect_view()}
                    }),
                    Err(error) => Either::Right(view! { <ErrorPanel error/> }),
                }
            })}
        </Suspense>
    }
}
