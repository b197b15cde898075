//! Building and running the web application: the axum router with the Leptos pages and server
//! functions, the backend ports in context, and the headers every response carries.

use crate::db::Store;
use crate::http;
use crate::security::limits::Limits;
use app::domain::link::FULL_PREFIX;
use app::ports::{CookiePolicy, Ports};
use app::{shell, App};
use axum::routing::get;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use std::sync::Arc;
use tower_http::trace::TraceLayer;

/// The application's routes, generated once per process.
///
/// Generating them runs the whole app with a process-wide "don't load resources" switch on
/// (leptos_server's `SuppressResourceLoad`); a page rendering on another thread at that moment
/// awaits its resource forever (leptos#4773). A server builds its router once before serving, but
/// tests build one per test while others render: every caller after the first waits here for the
/// one generation and reuses it, so no rendering can overlap it.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// How the application meets its clients, besides the store.
#[derive(Debug, Clone)]
pub struct Edge {
    pub cookies: CookiePolicy,
    /// The console's origin, as browsers see it: the one state-changing requests with a session
    /// must come from.
    pub origin: http::csrf::ConsoleOrigin,
    /// Whose `X-Forwarded-For` names the client.
    pub proxies: http::client_ip::TrustedProxies,
    pub limits: Arc<Limits>,
}

pub fn router(store: Arc<Store>, options: LeptosOptions, edge: Edge) -> Router {
    let Edge {
        cookies,
        origin,
        proxies,
        limits,
    } = edge;
    let ports = Ports {
        accounts: Arc::new(store.accounts.clone()),
        flows: Arc::new(store.flows.clone()),
        sharing: Arc::new(store.links.clone()),
        links: Arc::new(store.links.clone()),
        reviews: Arc::new(store.reviews.clone()),
        audit: Arc::new(store.audit.clone()),
        applications: Arc::new(store.applications.clone()),
        limits: limits.clone(),
        cookies,
    };
    // Recipients' pages get a handler of their own (one check per request, cached renderings);
    // everything else is routed by Leptos.
    let (player_routes, console_routes): (Vec<_>, Vec<_>) = route_list()
        .into_iter()
        .partition(|route| route.path().starts_with(FULL_PREFIX));
    debug_assert_eq!(player_routes.len(), 1, "one player route");
    let player = Arc::new(http::player::PlayerState {
        links: store.links.clone(),
        ports: ports.clone(),
        options: options.clone(),
    });
    let context = move || provide_context(ports.clone());
    let public_routes = Router::new()
        .route("/s/{code}", get(http::short::short_link))
        .with_state(Arc::new(http::short::ShortState {
            links: store.links.clone(),
            limits,
        }))
        .merge(
            Router::new()
                .route(
                    "/f/{application}/{flow}/{link}",
                    get(http::player::open_page),
                )
                .with_state(player),
        );
    let router = Router::new()
        .leptos_routes_with_context(&options, console_routes, context, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options)
        .merge(public_routes)
        .layer(axum::middleware::from_fn_with_state(
            origin,
            http::csrf::same_origin_only,
        ))
        .layer(axum::middleware::from_fn(http::headers::security_headers))
        .layer(axum::middleware::from_fn_with_state(
            proxies,
            http::client_ip::resolve,
        ));
    // Spans carry the path only: query strings may hold search text or, on link routes, tokens.
    router.layer(TraceLayer::new_for_http().make_span_with(|req: &::http::Request<_>| {
        tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
    }))
}
