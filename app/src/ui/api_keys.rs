//! The API keys page (admins): every key by its prefix with its scopes, applications, expiry and
//! last use; Revoke (a plain form); and New API key (an island), whose secret is shown once, with
//! a Copy button, and never again.

use super::copy::CopyField;
use super::format::utc_minute;
use super::raw_text::PageTitle;
use super::ErrorPanel;
use crate::api::api_keys::{api_keys, create_api_key, RevokeApiKey};
use crate::api::applications::list_applications;
use crate::domain::api_key::{ApiKeySummary, ApiScope, MAX_KEY_DAYS, MAX_KEY_NAME};
use crate::error::AppError;
use leptos::either::Either;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use strum::IntoEnumIterator;

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let keys = Resource::new(|| (), |_| api_keys());
    let applications = Resource::new(|| (), |_| list_applications());
    view! {
        <PageTitle text="API keys"/>
        <div class="page-head">
            <div>
                <h1>"API keys"</h1>
                <p class="hint">"Keys let systems (an SMS gateway, a CRM) make and read links through the "
                    <a href="/api">"API"</a>". A key is not a console login: it cannot sign in or change settings."</p>
            </div>
        </div>
        <Suspense fallback=|| view! { <p class="loading">"Loading keys…"</p> }>
            {move || Suspend::new(async move {
                match (keys.await, applications.await) {
                    (Ok(keys), Ok(applications)) => Either::Left(view! {
                        <NewApiKey applications=applications.into_iter().map(|a| (a.slug, a.name)).collect()/>
                        <KeysTable keys/>
                    }),
                    (Err(error), _) | (_, Err(error)) => Either::Right(view! { <ErrorPanel error/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn KeysTable(keys: Vec<ApiKeySummary>) -> impl IntoView {
    if keys.is_empty() {
        return Either::Left(view! { <p class="empty">"No API key yet."</p> });
    }
    let rows = keys
        .into_iter()
        .map(|key| {
            let scopes = key
                .scopes
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let applications = if key.applications.is_empty() {
                "all".to_owned()
            } else {
                key.applications.join(", ")
            };
            let state = match (key.revoked_at, key.expires_at) {
                (Some(at), _) => format!("Revoked {}", utc_minute(at)),
                (None, Some(at)) => format!("Expires {}", utc_minute(at)),
                (None, None) => "Never expires".to_owned(),
            };
            let revoke = key.revoked_at.is_none().then(|| {
                view! {
                    <form method="post" action=RevokeApiKey::PATH class="inline-form">
                        <input type="hidden" name="prefix" value=key.prefix.clone()/>
                        <button type="submit" class="link-button danger" aria-label=format!("Revoke API key {}", key.name)>"Revoke"</button>
                    </form>
                }
            });
            view! {
                <tr class=key.revoked_at.map(|_| "revoked")>
                    <th scope="row">{key.name.clone()}</th>
                    <td><code>{format!("fsk_{}_…", key.prefix)}</code></td>
                    <td>{scopes}</td>
                    <td>{applications}</td>
                    <td>{utc_minute(key.created_at)}" by "{key.created_by.clone()}</td>
                    <td>{key.last_used_at.map_or("never".to_owned(), utc_minute)}</td>
                    <td>{state}</td>
                    <td>{revoke}</td>
                </tr>
            }
        })
        .collect_view();
    Either::Right(view! {
        <table class="api-keys">
            <caption class="visually-hidden">"API keys"</caption>
            <thead>
                <tr>
                    <th scope="col">"Name"</th><th scope="col">"Prefix"</th><th scope="col">"Scopes"</th>
                    <th scope="col">"Applications"</th><th scope="col">"Created"</th><th scope="col">"Last used"</th>
                    <th scope="col">"State"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    })
}

/// What each scope lets a key do, for the form.
fn scope_hint(scope: ApiScope) -> &'static str {
    match scope {
        ApiScope::LinksCreate => "make links (one, a batch, a campaign's)",
        ApiScope::LinksRead => "read and list links",
        ApiScope::LinksRevoke => "revoke links it made",
        ApiScope::FlowsRead => "list shareable flows",
    }
}

/// The New API key form. Its secret comes back to this island alone and is shown once.
#[island]
fn NewApiKey(applications: Vec<(String, String)>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let scopes = RwSignal::new(vec![ApiScope::LinksCreate.as_str().to_owned()]);
    let limited = RwSignal::new(Vec::<String>::new());
    let days = RwSignal::new(String::new());
    let pending = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Result<String, AppError>>);
    let toggle = |list: RwSignal<Vec<String>>, value: String, on: bool| {
        list.update(|l| {
            l.retain(|v| *v != value);
            if on {
                l.push(value);
            }
        })
    };
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let expires_days = match days.get_untracked().trim() {
            "" => None,
            text => match text.parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    outcome.set(Some(Err(AppError::invalid(format!(
                        "A key lasts 1 to {MAX_KEY_DAYS} days, or leave it empty for never."
                    )))));
                    return;
                }
            },
        };
        pending.set(true);
        outcome.set(None);
        let (name, scopes, limited) = (
            name.get_untracked(),
            scopes.get_untracked(),
            limited.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            outcome.set(Some(
                create_api_key(name, scopes, limited, expires_days).await,
            ));
            pending.set(false);
        });
    };
    let scope_boxes = ApiScope::iter()
        .map(|scope| {
            let value = scope.as_str().to_owned();
            let checked = value.clone();
            view! {
                <label><input type="checkbox" name="scopes" value=value.clone()
                    prop:checked=move || scopes.with(|s| s.contains(&checked))
                    on:change=move |ev| toggle(scopes, value.clone(), event_target_checked(&ev))/>
                    " "<code>{scope.as_str()}</code>" — "{scope_hint(scope)}</label>
            }
        })
        .collect_view();
    let application_boxes = applications
        .into_iter()
        .map(|(slug, label)| {
            let value = slug.clone();
            view! {
                <label><input type="checkbox" name="applications" value=slug.clone()
                    on:change=move |ev| toggle(limited, value.clone(), event_target_checked(&ev))/>
                    " "{label}</label>
            }
        })
        .collect_view();
    view! {
        <section class="new-key" aria-labelledby="new-key-title">
            <h2 id="new-key-title">"New API key"</h2>
            <form on:submit=create>
                <div class="field">
                    <label for="key-name">"Name"</label>
                    <input id="key-name" required maxlength=MAX_KEY_NAME.to_string() placeholder="SMS gateway"
                        autocomplete="off" on:input=move |ev| name.set(event_target_value(&ev))/>
                </div>
                <fieldset>
                    <legend>"Scopes"</legend>
                    {scope_boxes}
                </fieldset>
                <fieldset>
                    <legend>"Applications"</legend>
                    <p class="hint">"None ticked: the key may use every application."</p>
                    {application_boxes}
                </fieldset>
                <div class="field">
                    <label for="key-days">"Expires after (days)"</label>
                    <input id="key-days" type="number" min="1" max=MAX_KEY_DAYS.to_string() placeholder="never"
                        on:input=move |ev| days.set(event_target_value(&ev))/>
                </div>
                <button type="submit" class="primary" disabled=move || pending.get()>
                    {move || if pending.get() { "Creating…" } else { "Create key" }}
                </button>
            </form>
            {move || outcome.get().map(|result| match result {
                Ok(secret) => Either::Left(view! {
                    <div class="secret" role="status">
                        <p><strong>"Copy this key now: it is shown this once."</strong>" Only a hash of it is kept; reload the page and it is gone."</p>
                        <CopyField id="new-key-secret" label="API key" value=Signal::derive(move || secret.clone())/>
                        <p><a href="/api-keys">"Done: show it in the list"</a></p>
                    </div>
                }),
                Err(err) => Either::Right(view! { <p class="form-error" role="alert">{err.to_string()}</p> }),
            })}
        </section>
    }
}
