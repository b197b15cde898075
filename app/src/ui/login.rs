//! The login page: a plain form posted to the `login` server function, so it works the same with
//! or without JavaScript. A failed attempt comes back here with `?failed=1`.

use crate::api::auth::Login;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = query
        .read_untracked()
        .get("next")
        .unwrap_or_else(|| "/flows".to_owned());
    let failed = query.read_untracked().get("failed").is_some();
    view! {
        <Title text="Sign in"/>
        <main class="login">
            <h1>"Flowshare"</h1>
            <p class="tagline">"Share interaction flows through signed, short, embeddable links."</p>
            <form method="post" action=Login::PATH class="card">
                <h2>"Sign in"</h2>
                <input type="hidden" name="next" value=next/>
                <label for="login-name">"User name"</label>
                <input id="login-name" name="name" autocomplete="username" required autofocus/>
                <label for="login-password">"Password"</label>
                <input id="login-password" name="password" type="password" autocomplete="current-password" required/>
                {failed.then(|| view! { <p class="form-error" role="alert">"Wrong user name or password."</p> })}
                <button type="submit" class="primary">"Sign in"</button>
            </form>
        </main>
    }
}
