//! The login page. A plain form that also works before (or without) wasm.

use crate::api::auth::Login;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let query = use_query_map();
    let next = move || {
        query
            .read()
            .get("next")
            .unwrap_or_else(|| "/flows".to_owned())
    };
    let error = move || {
        login
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    view! {
        <Title text="Sign in"/>
        <main class="login">
            <h1>"Flowshare"</h1>
            <p class="tagline">"Share interaction flows through signed, short, embeddable links."</p>
            <ActionForm action=login attr:class="card">
                <h2>"Sign in"</h2>
                <input type="hidden" name="next" value=next/>
                <label for="login-name">"User name"</label>
                <input id="login-name" name="name" autocomplete="username" required autofocus/>
                <label for="login-password">"Password"</label>
                <input id="login-password" name="password" type="password" autocomplete="current-password" required/>
                <p class="form-error" role="alert">{error}</p>
                <button type="submit" class="primary" disabled=move || login.pending().get()>
                    {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
        </main>
    }
}
