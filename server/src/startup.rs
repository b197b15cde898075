//! Building and running the web application: the axum router with the Leptos pages and server
//! functions, the backend ports in context, and the headers every response carries.

use crate::db::Store;
use app::ports::{CookiePolicy, Ports};
use app::{shell, App};
use axum::Router;
use http::header::{HeaderName, HeaderValue};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Headers for console pages: never framed (clickjacking), no MIME sniffing, no referrer to other sites.
fn console_headers() -> [(HeaderName, HeaderValue); 4] {
    [
        (
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ),
        (
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static("frame-ancestors 'none'"),
        ),
        (
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        ),
        (
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("same-origin"),
        ),
    ]
}

pub fn router(store: Arc<Store>, options: LeptosOptions, cookies: CookiePolicy) -> Router {
    let ports = Ports {
        accounts: store.clone(),
        flows: store.clone(),
        sharing: store,
        cookies,
    };
    let routes = generate_route_list(App);
    let context = move || provide_context(ports.clone());
    let mut router = Router::new()
        .leptos_routes_with_context(&options, routes, context, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options);
    for (name, value) in console_headers() {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, value));
    }
    // Spans carry the path only: query strings may hold search text or, on link routes, tokens.
    router.layer(TraceLayer::new_for_http().make_span_with(|req: &http::Request<_>| {
        tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
    }))
}
