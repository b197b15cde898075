//! Fresh databases for tests, on either engine. SQLite gets a temporary file; PostgreSQL gets a
//! new database on the server named by `FLOWSHARE_TEST_POSTGRES_URL` (the test command starts a
//! throwaway cluster and sets it). Without that URL the PostgreSQL tests fail with instructions;
//! they are skipped only when `FLOWSHARE_SKIP_POSTGRES=1` says so, and never under `CI=true`.

use crate::backend::Store;
use crate::db::Db;
use crate::security::random_bytes;
use crate::security::session::SessionKey;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A store on a database of its own; a SQLite file is removed when this is dropped, a PostgreSQL
/// database by [`Cleanup::run`] once its test has passed.
pub struct TestStore {
    pub store: Store,
    pub url: String,
    file: Option<PathBuf>,
    cleanup: Cleanup,
}

/// Drops a passed test's PostgreSQL database, so a server the developer passed in does not fill up
/// with test databases. A failed test's database is kept for a look at what it left behind.
#[derive(Debug, Clone, Default)]
pub struct Cleanup {
    postgres: Option<(String, String)>,
}

impl Cleanup {
    pub async fn run(self) {
        let Some((server, name)) = self.postgres else {
            return;
        };
        let Ok(Db::Postgres(admin)) = Db::connect(&server).await else {
            eprintln!("could not connect to drop the test database {name}");
            return;
        };
        // FORCE: connections the test's pools still hold are closed by the server.
        if let Err(err) = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&admin)
            .await
        {
            eprintln!("could not drop the test database {name}: {err}");
        }
        admin.close().await;
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        if let Some(file) = &self.file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
    }
}

fn unique_name() -> String {
    let bytes = random_bytes::<8>().expect("OS randomness for a test database name");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why there is no PostgreSQL to test against, said so that the reader knows what to do.
pub fn postgres_url() -> Option<String> {
    if let Ok(url) = std::env::var("FLOWSHARE_TEST_POSTGRES_URL") {
        return Some(url);
    }
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    if !in_ci && std::env::var("FLOWSHARE_SKIP_POSTGRES").is_ok_and(|v| v == "1") {
        eprintln!("SKIPPED: PostgreSQL test (FLOWSHARE_SKIP_POSTGRES=1)");
        return None;
    }
    panic!(
        "PostgreSQL tests need a server: run `scripts/test.sh` (it starts a throwaway cluster), or set \
         FLOWSHARE_TEST_POSTGRES_URL=postgres://USER:PASS@HOST:PORT/DB. Outside CI, FLOWSHARE_SKIP_POSTGRES=1 skips them."
    );
}

impl TestStore {
    /// A migrated, empty store on `engine`; `None` only when PostgreSQL tests were explicitly skipped.
    pub async fn new(engine: Engine) -> Option<Self> {
        let mut cleanup = Cleanup::default();
        let (url, file) = match engine {
            Engine::Sqlite => {
                let file =
                    std::env::temp_dir().join(format!("flowshare-test-{}.db", unique_name()));
                (format!("sqlite://{}", file.display()), Some(file))
            }
            Engine::Postgres => {
                let base = postgres_url()?;
                let name = format!("flowshare_test_{}", unique_name());
                let admin = Db::connect(&base)
                    .await
                    .expect("connect to the test PostgreSQL server");
                if let Db::Postgres(pool) = &admin {
                    sqlx::query(&format!("CREATE DATABASE {name}"))
                        .execute(pool)
                        .await
                        .expect("create a test database");
                }
                admin.close().await;
                let mut url = url::Url::parse(&base).expect("FLOWSHARE_TEST_POSTGRES_URL is a URL");
                url.set_path(&name);
                cleanup.postgres = Some((base, name));
                (url.to_string(), None)
            }
        };
        let db = Db::connect(&url).await.expect("open the test database");
        db.migrate().await.expect("migrate the test database");
        let store = Store::new(
            db,
            SessionKey::from_secret("test secret"),
            Duration::from_secs(3_600),
        );
        Some(Self {
            store,
            url,
            file,
            cleanup,
        })
    }

    /// What to run after the test passed.
    pub fn cleanup(&self) -> Cleanup {
        self.cleanup.clone()
    }

    /// One number from `sql` (a count, say), to see what a test left in the database.
    pub async fn scalar(&self, sql: &str) -> i64 {
        match self.store.db() {
            Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
            Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

/// What the server logs while a test runs, as JSON lines (the shape `--log-format json` writes),
/// for this thread only: a test on tokio's default current-thread runtime sees everything its
/// requests and their tasks log. Capturing stops when this is dropped.
pub struct LogCapture {
    written: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

/// Where a [`LogCapture`]'s subscriber writes.
#[derive(Clone)]
struct CaptureWriter(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CaptureWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CaptureWriter {
    type Writer = CaptureWriter;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl LogCapture {
    /// Captures what `filter` (an `EnvFilter` directive such as `debug`) lets through.
    pub fn start(filter: &str) -> Self {
        let written = std::sync::Arc::default();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter)
            .with_writer(CaptureWriter(std::sync::Arc::clone(&written)))
            .finish();
        Self {
            written,
            _guard: tracing::subscriber::set_default(subscriber),
        }
    }

    /// Everything logged so far.
    pub fn text(&self) -> String {
        let bytes = self.written.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Declares one async test per engine: `engine_tests!(name, |store| async move { … })` makes
/// `name::sqlite` and `name::postgres`; `engine_tests!(name, |&test| …)` hands the scenario the
/// whole [`TestStore`] (its URL, for a second instance on the same database).
#[macro_export]
macro_rules! engine_tests {
    ($name:ident, |&$test:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn scenario($test: &$crate::testing::TestStore) {
                $body.await
            }

            #[tokio::test]
            async fn sqlite() {
                let test = $crate::testing::TestStore::new($crate::testing::Engine::Sqlite)
                    .await
                    .expect("sqlite store");
                scenario(&test).await;
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(test) =
                    $crate::testing::TestStore::new($crate::testing::Engine::Postgres).await
                {
                    let cleanup = test.cleanup();
                    scenario(&test).await;
                    drop(test);
                    cleanup.run().await;
                }
            }
        }
    };
    ($name:ident, |$store:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn scenario($store: $crate::backend::Store) {
                $body.await
            }

            #[tokio::test]
            async fn sqlite() {
                let test = $crate::testing::TestStore::new($crate::testing::Engine::Sqlite)
                    .await
                    .expect("sqlite store");
                scenario(test.store.clone()).await;
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(test) =
                    $crate::testing::TestStore::new($crate::testing::Engine::Postgres).await
                {
                    let cleanup = test.cleanup();
                    scenario(test.store.clone()).await;
                    drop(test);
                    cleanup.run().await;
                }
            }
        }
    };
}

/// The whole web application over a test store, driven in-process with `tower::ServiceExt::oneshot`.
pub struct TestApp {
    pub test_store: TestStore,
    router: crate::http::front::Front,
}

/// The console's public URL in tests: its origin is what the test browser's posts come from.
pub const CONSOLE_URL: &str = "http://127.0.0.1:3000";

/// Every test request's TCP peer: a trusted proxy, so a test names its client in
/// `X-Forwarded-For` (without one, all requests come from the proxy's address).
pub const TEST_PROXY: &str = "127.0.0.1";

/// How a [`TestApp`] is set up.
#[derive(Debug, Clone, Copy)]
pub struct TestOptions {
    pub limits: crate::security::limits::LimitSettings,
    /// Served as if over https (the session cookie is `__Host-` prefixed and `Secure`).
    pub https: bool,
}

impl Default for TestOptions {
    fn default() -> Self {
        Self {
            limits: crate::security::limits::LimitSettings::OFF,
            https: false,
        }
    }
}

/// A first move on a link's page: see [`TestApp::first_move`].
#[derive(Debug, Clone)]
pub struct FirstMove {
    pub step: String,
    pub choice: Option<String>,
    pub value: Option<String>,
}

/// What a recipient's move came to, as the player's script reads it: the step shown next, or why not.
pub fn run_outcome(
    response: &TestResponse,
) -> Result<app::domain::run::RunView, app::error::AppError> {
    if response.status == http::StatusCode::OK {
        Ok(serde_json::from_str(&response.body).expect("a run's step"))
    } else {
        Err(serde_json::from_str(&response.body).expect("an error"))
    }
}

/// A form's fields as a browser encodes them in a POST body.
pub fn form_body<K: AsRef<str>, V: AsRef<str>>(fields: &[(K, V)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                app::domain::query::encode_component(k.as_ref()),
                app::domain::query::encode_component(v.as_ref())
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The link id of a full link's URL (the last segment of its path).
pub fn link_id(url: &str) -> String {
    url::Url::parse(url)
        .expect("a URL")
        .path()
        .rsplit('/')
        .next()
        .expect("an id")
        .to_owned()
}

/// The path and query of a full URL, as a request to this server names them.
pub fn local_path(url: &str) -> String {
    let parsed = url::Url::parse(url).expect("a URL");
    match parsed.query() {
        Some(query) => format!("{}?{query}", parsed.path()),
        None => parsed.path().to_owned(),
    }
}

/// A response reduced to what tests look at.
#[derive(Debug)]
pub struct TestResponse {
    pub status: http::StatusCode,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl TestResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `Set-Cookie` value that sets the cookie `name`, whole (with its attributes).
    pub fn set_cookie(&self, name: &str) -> Option<&str> {
        self.headers
            .get_all(http::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|set| set.split_once('=').is_some_and(|(n, _)| n == name))
    }

    /// The cookie `name` as the browser sends it back: `name=value`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let set = self.set_cookie(name)?;
        set.split(';').next().map(str::to_owned)
    }
}

impl TestApp {
    /// The application on `engine` with the demo data seeded, over http and with no rate limits.
    pub async fn with_demo(engine: Engine) -> Option<Self> {
        Self::with_options(engine, TestOptions::default()).await
    }

    pub async fn with_options(engine: Engine, test: TestOptions) -> Option<Self> {
        let test_store = TestStore::new(engine).await?;
        crate::demo::seed(&test_store.store, "http://127.0.0.1:3000")
            .await
            .expect("seed demo data");
        let options = leptos::config::LeptosOptions::builder()
            .output_name("flowshare")
            .build();
        let cookies = app::ports::CookiePolicy {
            secure: test.https,
            max_age_seconds: 3_600,
        };
        let edge = crate::startup::Edge {
            cookies,
            origin: crate::http::csrf::ConsoleOrigin::of(CONSOLE_URL)
                .expect("the test console's origin"),
            proxies: crate::http::client_ip::TrustedProxies::parse(&[TEST_PROXY])
                .expect("the test proxy"),
            limits: std::sync::Arc::new(crate::security::limits::Limits::new(test.limits)),
        };
        let router =
            crate::startup::router(std::sync::Arc::new(test_store.store.clone()), options, edge);
        Some(Self { test_store, router })
    }

    /// Sends `request` as if over TCP from [`TEST_PROXY`], unless the request names another
    /// peer (a `ConnectInfo` extension). Tests name a client with `X-Forwarded-For`.
    pub async fn send(&self, mut request: http::Request<axum::body::Body>) -> TestResponse {
        use axum::extract::ConnectInfo;
        use tower::ServiceExt;
        if request
            .extensions()
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .is_none()
        {
            let peer = std::net::SocketAddr::new(TEST_PROXY.parse().expect("an address"), 40_000);
            request.extensions_mut().insert(ConnectInfo(peer));
        }
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router always answers");
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, 16 * 1024 * 1024)
            .await
            .expect("read the response body");
        // Read as a browser reads it: a gzipped body unzipped (its header kept, to be checked).
        let gzipped = parts
            .headers
            .get(http::header::CONTENT_ENCODING)
            .is_some_and(|v| v == "gzip");
        let body = if gzipped {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text)
                .expect("a gzipped body that unzips");
            text
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        TestResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// GET `path` as a browser navigating, with `headers` of its own (`Accept-Encoding`, say).
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> TestResponse {
        let mut request = http::Request::get(path).header("accept", "text/html");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(
            request
                .body(axum::body::Body::empty())
                .expect("valid request"),
        )
        .await
    }

    /// GET `path`, as a browser navigating (Accept: text/html), with an optional session cookie.
    pub async fn get(&self, path: &str, cookie: Option<&str>) -> TestResponse {
        let mut request = http::Request::get(path).header("accept", "text/html");
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        self.send(
            request
                .body(axum::body::Body::empty())
                .expect("valid request"),
        )
        .await
    }

    /// Calls a server function the way the hydrated page does (form-encoded POST, JSON back).
    pub async fn call(
        &self,
        path: &str,
        form: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> TestResponse {
        self.call_from(None, path, form, cookie).await
    }

    /// [`call`](Self::call) from the client `client` (an IP address, forwarded by the test proxy).
    pub async fn call_from(
        &self,
        client: Option<&str>,
        path: &str,
        form: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> TestResponse {
        let body = form_body(form);
        let mut request = http::Request::post(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", CONSOLE_URL);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        if let Some(client) = client {
            request = request.header("x-forwarded-for", client);
        }
        self.send(
            request
                .body(axum::body::Body::from(body))
                .expect("valid request"),
        )
        .await
    }

    /// A plain HTML form's post, as a browser without JavaScript sends it (`Accept: text/html`),
    /// from `client` (an IP address, forwarded by the test proxy) when given.
    pub async fn browser_post(&self, path: &str, body: &str, client: Option<&str>) -> TestResponse {
        let mut request = http::Request::post(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "text/html");
        if let Some(client) = client {
            request = request.header("x-forwarded-for", client);
        }
        self.send(
            request
                .body(axum::body::Body::from(body.to_owned()))
                .expect("valid request"),
        )
        .await
    }

    /// The first move a recipient can make on a link's page, read from the page as served: its
    /// step, and the first choice when the step is a question (an input step gets a value).
    pub async fn first_move(&self, link_url: &str) -> FirstMove {
        let page = self.get(&local_path(link_url), None).await;
        assert_eq!(page.status, http::StatusCode::OK, "{page:?}");
        let field = |name: &str| {
            let marker = format!("name=\"{name}\" value=\"");
            let at = page.body.find(&marker)? + marker.len();
            Some(page.body[at..].split('"').next()?.to_owned())
        };
        let step = field("step").expect("the page names its step");
        let choice = field("choice");
        let value = page
            .body
            .contains("name=\"value\"")
            .then(|| "A-1".to_owned());
        FirstMove {
            step,
            choice,
            value,
        }
    }

    /// A recipient's first move on `link_url` (the way the player's script posts it, JSON back),
    /// from `client` when given: starts a run.
    pub async fn start_run(
        &self,
        link_url: &str,
        first: &FirstMove,
        client: Option<&str>,
    ) -> TestResponse {
        use leptos::server_fn::ServerFn;
        let url = url::Url::parse(link_url).expect("a link URL");
        let mut form = vec![
            ("path", url.path()),
            ("query", url.query().unwrap_or_default()),
            ("action", "answer"),
            ("at", "0"),
            ("step", first.step.as_str()),
        ];
        if let Some(choice) = &first.choice {
            form.push(("choice", choice));
        }
        if let Some(value) = &first.value {
            form.push(("value", value));
        }
        self.call_from(client, app::api::runs::StartRun::PATH, &form, None)
            .await
    }

    /// A later move in the run `token` (script caller): `fields` beside the token.
    pub async fn run_step(&self, token: &str, fields: &[(&str, &str)]) -> TestResponse {
        use leptos::server_fn::ServerFn;
        let mut form = vec![("token", token)];
        form.extend_from_slice(fields);
        self.call(app::api::runs::RunStep::PATH, &form, None).await
    }

    /// Withdraws `flow` (back to a pending draft: its links stop) or, `shareable`, publishes and
    /// approves it again (its links work again).
    pub async fn set_shareable(&self, flow: &str, shareable: bool) {
        use app::domain::{ApprovalStatus, PublicationStatus};
        let (publication, approval) = if shareable {
            (PublicationStatus::Published, ApprovalStatus::Approved)
        } else {
            (PublicationStatus::Draft, ApprovalStatus::Pending)
        };
        let slug = app::domain::FlowSlug::parse(flow).expect("a flow's slug");
        self.test_store
            .store
            .flows
            .set_flow_state(&slug, publication, approval, "admin")
            .await
            .expect("the flow's state changed");
    }

    /// The Shared links list of `flow` as the session `cookie` sees it (which must be allowed to).
    /// Every link in the store, whoever made it.
    pub async fn link_count(&self) -> i64 {
        self.test_store.scalar("SELECT COUNT(*) FROM links").await
    }

    pub async fn shared_links(&self, cookie: &str, flow: &str) -> Vec<app::views::SharedLink> {
        use leptos::server_fn::ServerFn;
        let response = self
            .call(
                app::api::share::SharedLinks::PATH,
                &[("slug", flow)],
                Some(cookie),
            )
            .await;
        assert_eq!(response.status, http::StatusCode::OK, "{response:?}");
        serde_json::from_str(&response.body).expect("links")
    }

    /// Signs in and returns the `Cookie` header value for the new session.
    /// An API key with `scopes`, limited to `applications` (none: all), made as an admin would.
    pub async fn api_key(
        &self,
        scopes: &[app::domain::api_key::ApiScope],
        applications: &[&str],
    ) -> app::domain::api_key::ApiSecret {
        let new = app::domain::api_key::NewApiKey {
            name: "SMS gateway".into(),
            scopes: scopes.to_vec(),
            applications: applications
                .iter()
                .map(|a| app::domain::FlowSlug::parse(a).expect("a slug"))
                .collect(),
            expires_at: None,
        };
        self.test_store
            .store
            .keys
            .create(&new, "admin")
            .await
            .expect("a key")
    }

    /// A call as a system makes it: JSON `body` (or none), `headers` as given.
    pub async fn api_call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> TestResponse {
        let mut request = http::Request::builder().method(method).uri(path);
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(
            request
                .body(axum::body::Body::from(body.unwrap_or_default().to_owned()))
                .expect("a request"),
        )
        .await
    }

    /// The demo user `name`'s session cookie.
    pub async fn log_in_demo(&self, name: &str) -> String {
        let (_, _, password) = crate::demo::DEMO_USERS
            .into_iter()
            .find(|(n, ..)| *n == name)
            .unwrap_or_else(|| panic!("no demo user {name}"));
        self.log_in(name, password).await
    }

    pub async fn log_in(&self, name: &str, password: &str) -> String {
        use leptos::server_fn::ServerFn;
        let response = self
            .call(
                app::api::auth::Login::PATH,
                &[("name", name), ("password", password)],
                None,
            )
            .await;
        app::ports::CookiePolicy::NAMES
            .iter()
            .find_map(|session| response.cookie(session))
            .unwrap_or_else(|| panic!("no session cookie for {name}: {response:?}"))
    }

    /// A sign-in attempt as the console's script makes it, from `client` (an IP address,
    /// forwarded by the test proxy), sending `cookie` (a device cookie, say) when given.
    pub async fn sign_in(
        &self,
        client: &str,
        name: &str,
        password: &str,
        cookie: Option<&str>,
    ) -> TestResponse {
        use leptos::server_fn::ServerFn;
        let form = [("name", name), ("password", password)];
        self.call_from(Some(client), app::api::auth::Login::PATH, &form, cookie)
            .await
    }
}

/// Declares one async test per engine over the whole application with demo data:
/// `app_tests!(name, |app| async move { … })` makes `name::sqlite` and `name::postgres`;
/// `app_tests!(name, options, |app| …)` sets the app up with [`TestOptions`] `options`.
#[macro_export]
macro_rules! app_tests {
    ($name:ident, |$app:ident| $body:expr) => {
        $crate::app_tests!($name, $crate::testing::TestOptions::default(), |$app| $body);
    };
    ($name:ident, $options:expr, |$app:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn scenario($app: $crate::testing::TestApp) {
                $body.await
            }

            #[tokio::test]
            async fn sqlite() {
                let app = $crate::testing::TestApp::with_options(
                    $crate::testing::Engine::Sqlite,
                    $options,
                )
                .await;
                scenario(app.expect("sqlite app")).await
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(app) = $crate::testing::TestApp::with_options(
                    $crate::testing::Engine::Postgres,
                    $options,
                )
                .await
                {
                    let cleanup = app.test_store.cleanup();
                    scenario(app).await;
                    cleanup.run().await;
                }
            }
        }
    };
}
