//! The login page: a plain form posted to the `login` server function, so it works the same with
//! or without JavaScript. A failed attempt comes back here with `?failed=1` (or `?locked=SECONDS`
//! after too many failures, `?limited=SECONDS` after too many tries in a short time, `?busy=1`)
//! and the name typed.

use super::raw_text::PageTitle;
use crate::api::auth::Login;
use crate::domain::limits::RateLimit;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let q = query.read_untracked();
    let next = q.get("next").unwrap_or_else(|| "/flows".to_owned());
    let name = q.get("name").unwrap_or_default();
    // The messages are the server function's own errors, so both ways of signing in say the same.
    let seconds = |key: &str| q.get(key).and_then(|s| s.parse::<u64>().ok());
    let problem = if let Some(wait) = seconds("locked") {
        Some(AppError::SignInLocked(wait))
    } else if let Some(wait) = seconds("limited") {
        Some(AppError::RateLimited(RateLimit::SignIns, wait))
    } else if q.get("busy").is_some() {
        Some(AppError::Busy)
    } else {
        q.get("failed").map(|_| AppError::BadCredentials)
    };
    let retyping = !name.is_empty();
    view! {
        <PageTitle text="Sign in"/>
        <main class="login">
            <h1>"Flowshare"</h1>
            <p class="tagline">"Share interaction flows through signed, short, embeddable links."</p>
            <form method="post" action=Login::PATH class="card">
                <h2>"Sign in"</h2>
                <input type="hidden" name="next" value=next/>
                <label for="login-name">"User name"</label>
                <input id="login-name" name="name" autocomplete="username" required value=name autofocus=!retyping/>
                <label for="login-password">"Password"</label>
                <input id="login-password" name="password" type="password" autocomplete="current-password" required autofocus=retyping/>
                {problem.map(|p| view! { <p class="form-error" role="alert">{p.to_string()}</p> })}
                <button type="submit" class="primary">"Sign in"</button>
            </form>
        </main>
    }
}
