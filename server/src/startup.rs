//! Building and running the web application: the axum router with the Leptos pages and server
//! functions and the backend ports in context, behind the edge of `http::front`.

use crate::backend::Store;
use crate::http;
use crate::security::limits::Limits;
use app::domain::run::is_public_path;
use app::ports::{CookiePolicy, Ports};
use app::{shell, App};
use axum::routing::get;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use std::sync::Arc;

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

/// The path of every page the application renders, as axum routes them (`/flows/{slug}`): what a
/// test that must visit every page checks itself against.
pub fn page_paths() -> Vec<String> {
    route_list()
        .iter()
        .map(|route| route.path().to_owned())
        .collect()
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

/// The whole application as one service: `http::front` (health checks, the layers every request
/// passes, recipients' pages) in front of the router of the console's pages, server functions and API.
pub fn router(store: Arc<Store>, options: LeptosOptions, edge: Edge) -> http::front::Front {
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
        runs: Arc::new(store.runs.clone()),
        reviews: Arc::new(store.reviews.clone()),
        audit: Arc::new(store.audit.clone()),
        applications: Arc::new(store.applications.clone()),
        campaigns: Arc::new(store.campaigns.clone()),
        api_keys: Arc::new(store.keys.clone()),
        limits: limits.clone(),
        cookies,
        public_origin: origin.as_str().into(),
    };
    // Recipients' pages get handlers of their own, dispatched in `http::front` (one check per
    // request, cached renderings); the console's pages are routed by Leptos.
    let (player_routes, console_routes): (Vec<_>, Vec<_>) = route_list()
        .into_iter()
        .partition(|route| is_public_path(route.path()));
    debug_assert_eq!(
        player_routes.len(),
        3,
        "the link's, a run's and a refusal's page"
    );
    let hashes = app::site_files::hashes(&options);
    let pages = http::front::Pages {
        short: Arc::new(http::short::ShortState::new(
            store.links.clone(),
            limits.clone(),
            app::site_files::stylesheet_href(&options),
        )),
        player: Arc::new(http::player::PlayerState {
            links: store.links.clone(),
            runs: store.runs.clone(),
            ports: ports.clone(),
            options: options.clone(),
        }),
    };
    let export = Arc::new(http::export::ExportState {
        ports: ports.clone(),
        runs: store.runs.clone(),
        campaigns: store.campaigns.clone(),
    });
    let context = move || {
        provide_context(ports.clone());
        http::headers::console_page_policy();
    };
    let other_routes = Router::new()
        .route("/robots.txt", get(robots_txt))
        .route("/flows/{slug}/results.csv", get(http::export::results_csv))
        .route(
            "/campaigns/uploads/{job}/links.csv",
            get(http::export::upload_links_csv),
        )
        .with_state(export)
        .merge(
            Router::new()
                .route("/previews/{name}", get(http::previews::preview_image))
                .with_state(store.applications.clone()),
        )
        .merge(crate::api_v1::routes(crate::api_v1::ApiState {
            keys: store.keys.clone(),
            flows: store.flows.clone(),
            idempotency: crate::api_v1::idempotency::Idempotency::new(store.db().clone()),
            links: store.links.clone(),
            campaigns: store.campaigns.clone(),
            limits,
        }));
    // The build's static files, compressed and cached as a CDN would (the fallback serves the
    // rest of the site root, the icon say).
    let pkg = std::path::Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    let assets = http::assets::Assets::new(pkg, hashes.iter().map(|(_, hash)| hash.as_str()));
    let router = Router::new()
        .nest_service(&format!("/{}", options.site_pkg_dir), assets.service())
        .leptos_routes_with_context(&options, console_routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(
            context, shell,
        ))
        .with_state(options)
        .merge(other_routes);
    http::front::Front::new(
        http::health::routes(store.db().clone()),
        pages,
        router,
        http::observe::ObserveLayer { proxies },
        http::csrf::SameOriginLayer { origin },
    )
}

/// `GET /robots.txt` (see `http::headers::ROBOTS_TXT`).
async fn robots_txt() -> impl axum::response::IntoResponse {
    (
        [
            (::http::header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (::http::header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        http::headers::ROBOTS_TXT,
    )
}

/// `/metrics`, for a listener of its own (`--metrics-listen`): never on the public one.
pub fn metrics_router(store: &Store) -> Router {
    let handle = crate::metrics::install();
    let db = store.db().clone();
    Router::new().route(
        "/metrics",
        get(move || {
            let db = db.clone();
            async move {
                (
                    [(
                        ::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    crate::metrics::render(handle, &db),
                )
            }
        }),
    )
}

/// Why the server did not start, or did not stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Store(#[from] crate::db::StoreError),
    #[error("could not serve: {0}")]
    Serve(#[source] std::io::Error),
    #[error("stopped with work still in flight {0} seconds after the signal (raise --shutdown-timeout if requests need longer)")]
    CutShort(u64),
    #[error("the Leptos configuration is unusable: {0}")]
    Leptos(String),
}

/// Leptos's settings (site root, output name, default address) from its environment variables.
/// The build's file hashes are used whenever the build left them beside the binary
/// (`hash-files`), unless `LEPTOS_HASH_FILES` says otherwise.
pub fn leptos_options() -> Result<leptos::config::LeptosOptions, StartupError> {
    let mut options = leptos::config::get_configuration(None)
        .map(|c| c.leptos_options)
        .map_err(|e| StartupError::Leptos(e.to_string()))?;
    if std::env::var_os("LEPTOS_HASH_FILES").is_none() {
        let beside_binary = std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.join(&*options.hash_file)));
        options.hash_files = beside_binary.is_some_and(|file| file.is_file());
    }
    Ok(options)
}

/// Runs the server until SIGTERM or Ctrl-C: migrations, then the listeners and the background
/// tasks. On the signal it stops accepting, lets requests in flight finish (at most
/// `shutdown_timeout`), and closes the pool. Every write is committed before its response is sent,
/// so whatever a client was told was done survives the stop.
pub async fn serve(
    database_url: &str,
    settings: crate::configuration::Settings,
) -> Result<(), StartupError> {
    use crate::security::session::SessionKey;
    use std::time::Duration;
    let mut options = leptos_options()?;
    options.site_addr = settings.listen;
    let session_key = match settings.session_key.clone() {
        Some(key) => key,
        None => {
            tracing::warn!("no FLOWSHARE_COOKIE_SECRET set: using a random one, so sessions end when the server restarts");
            SessionKey::random().map_err(crate::db::StoreError::from)?
        }
    };
    let mut store = crate::backend::open(database_url, session_key)
        .await?
        .with_run_expiry_grace(settings.run_expiry_grace);
    if let Some(slots) = settings.sign_in_slots {
        store = store.with_sign_in_slots(slots);
    }
    if settings.demo {
        crate::demo::print_seeded(crate::demo::seed(&store, &settings.public_url).await?);
    }
    // Changes made through other instances sharing this database reach this one's cache within 250 ms.
    let _watcher = store
        .links
        .watch_other_instances(Duration::from_millis(250));
    let _retention = settings.retention.every_hour(store.db().clone());
    let limits = Arc::new(Limits::new(settings.limits));
    let _forgetter = {
        let limits = limits.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(60));
            loop {
                every.tick().await;
                limits.forget_idle();
            }
        })
    };
    let edge = Edge {
        cookies: settings.cookies,
        origin: settings.origin.clone(),
        proxies: settings.proxies.clone(),
        limits,
    };
    let app = router(Arc::new(store.clone()), options, edge);
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(StartupError::Serve)?;
    if let Some(address) = settings.metrics_listen {
        let metrics = tokio::net::TcpListener::bind(address)
            .await
            .map_err(StartupError::Serve)?;
        let metrics_app = metrics_router(&store);
        crate::metrics::keep_up(crate::metrics::install(), Duration::from_secs(5));
        tokio::spawn(async move {
            if let Err(err) = axum::serve(metrics, metrics_app).await {
                tracing::error!(error = %err, "the metrics listener stopped");
            }
        });
        tracing::info!(%address, "metrics at /metrics");
    }
    println!("Flowshare console ready at {}/flows", settings.public_url);
    let stopping = Arc::new(tokio::sync::Notify::new());
    // The peer's address reaches the handlers: every rate limit is keyed by it.
    let server = axum::serve(
        listener,
        axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<
            std::net::SocketAddr,
        >(app),
    )
    .with_graceful_shutdown({
        let stopping = stopping.clone();
        async move {
            shutdown_signal().await;
            stopping.notify_one();
        }
    });
    let grace = settings.shutdown_timeout;
    let finished = tokio::select! {
        served = server => {
            served.map_err(StartupError::Serve)?;
            true
        }
        () = async {
            stopping.notified().await;
            tokio::time::sleep(grace).await;
        } => false,
    };
    // A query that never ends must not keep the process from stopping either.
    let closed = tokio::time::timeout(Duration::from_secs(5), store.db().close())
        .await
        .is_ok();
    if !(finished && closed) {
        return Err(StartupError::CutShort(grace.as_secs()));
    }
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down: no new connections; finishing requests in flight");
}
