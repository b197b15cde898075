//! The frame around every console page: who is signed in, navigation, sign-out. Without a live
//! session it sends the visitor to the login page and back here afterwards.

use crate::api::auth::{current_user, Logout};
use crate::domain::query::encode_component;
use crate::domain::Role;
use leptos::either::Either;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::use_location;

#[component]
pub fn ConsoleLayout() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    let location = use_location();
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(user)) => Either::Left(view! {
                        <header class="topbar">
                            <a class="brand" href="/flows">"Flowshare"</a>
                            <nav aria-label="Console">
                                <A href="/flows">"Flows"</A>
                                <A href="/inspect">"Inspect link"</A>
                                {(user.role == Role::Admin).then(|| view! {
                                    <A href="/applications">"Applications"</A>
                                    <A href="/api-keys">"API keys"</A>
                                    <A href="/audit">"Audit log"</A>
                                })}
                                <A href="/api">"API"</A>
                            </nav>
                            <div class="who">
                                <span>{user.name}" · "{user.role.as_str()}</span>
                                <form method="post" action=Logout::PATH>
                                    <button type="submit" class="link-button">"Sign out"</button>
                                </form>
                            </div>
                        </header>
                        <main class="console">
                            <Outlet/>
                        </main>
                    }),
                    _ => {
                        let search = location.search.get_untracked();
                        let search = if search.is_empty() || search.starts_with('?') { search } else { format!("?{search}") };
                        let here = location.pathname.get_untracked() + &search;
                        Either::Right(view! { <Redirect path=format!("/login?next={}", encode_component(&here))/> })
                    }
                }
            })}
        </Suspense>
    }
}
