//! Building and running the web application: the axum router with the Leptos pages and server
//! functions, the backend ports in context, and the headers every response carries.

use crate::db::Store;
use crate::public;
use app::ports::{CookiePolicy, Ports};
use app::{shell, App};
use axum::routing::get;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use tower_http::trace::TraceLayer;

pub fn router(store: Arc<Store>, options: LeptosOptions, cookies: CookiePolicy) -> Router {
    let ports = Ports {
        accounts: store.clone(),
        flows: store.clone(),
        sharing: store.clone(),
        links: store.clone(),
        cookies,
    };
    let routes = generate_route_list(App);
    let context = move || provide_context(ports.clone());
    let short_links = Router::new()
        .route("/s/{code}", get(public::routes::short_link))
        .with_state(store);
    let router = Router::new()
        .leptos_routes_with_context(&options, routes, context, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options)
        .merge(short_links)
        .layer(axum::middleware::from_fn(public::routes::security_headers));
    // Spans carry the path only: query strings may hold search text or, on link routes, tokens.
    router.layer(TraceLayer::new_for_http().make_span_with(|req: &http::Request<_>| {
        tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
    }))
}
