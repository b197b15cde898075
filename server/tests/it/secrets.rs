//! Link ids, short codes and run tokens are bearer secrets (an open link is opened by its id alone),
//! on both engines: only a link's maker gets them. Another API key sees a link by its reference; no
//! log line, metric, audit entry or results export carries them, whoever made the link and however
//! it was opened, run or revoked. (Its captures are per thread: each test sees the log of what it does, whatever runs beside it.)

use app::api::review::AuditLog;
use app::api::runs::FlowResults;
use app::api::share::{GenerateLink, RevokeLink, SharedLinks};
use app::domain::api_key::{ApiScope, ApiSecret};
use app::domain::audit::AuditPage;
use app::domain::link::LinkRef;
use app::domain::share::GeneratedLink;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http::StatusCode;
use leptos::server_fn::ServerFn;
use server::api_v1::{ApiBatch, ApiLink, ApiLinkPage};
use server::app_tests;
use server::db::Db;
use server::testing::{link_id, local_path, run_outcome, LogCapture, TestApp, TestResponse};

const ORDER_FLOW: &str = "order-status-lookup";

/// A link made in the console's Share dialog by the session `cookie`.
async fn share(app: &TestApp, cookie: &str, application: &str, protect: bool) -> GeneratedLink {
    let protect = protect.to_string();
    let form = [
        ("flow", ORDER_FLOW),
        ("application", application),
        ("params", "name=Ada"),
        ("protect", protect.as_str()),
        ("shorten", "true"),
    ];
    let response = app.call(GenerateLink::PATH, &form, Some(cookie)).await;
    assert_eq!(response.status, StatusCode::OK, "{response:?}");
    serde_json::from_str(&response.body).expect("a link")
}

async fn api(app: &TestApp, method: &str, secret: &ApiSecret, path: &str) -> TestResponse {
    let bearer = format!("Bearer {}", secret.expose());
    let body = (method == "POST").then_some("");
    app.api_call(method, path, &[("authorization", &bearer)], body)
        .await
}

async fn api_post(app: &TestApp, secret: &ApiSecret, path: &str, body: &str) -> TestResponse {
    let bearer = format!("Bearer {}", secret.expose());
    app.api_call("POST", path, &[("authorization", &bearer)], Some(body))
        .await
}

/// Every page of `GET /api/v1/links` as `secret` sees it, `limit` links a page: the pages' bodies
/// and the cursors they gave, decoded.
async fn every_page(app: &TestApp, secret: &ApiSecret, limit: u32) -> (Vec<String>, Vec<String>) {
    let (mut bodies, mut cursors) = (Vec::new(), Vec::new());
    let mut path = format!("/api/v1/links?limit={limit}");
    loop {
        let page = api(app, "GET", secret, &path).await;
        assert_eq!(page.status, StatusCode::OK, "{page:?}");
        let parsed: ApiLinkPage = serde_json::from_str(&page.body).expect("a page");
        bodies.push(page.body);
        let Some(cursor) = parsed.next_cursor else {
            return (bodies, cursors);
        };
        let decoded = URL_SAFE_NO_PAD.decode(&cursor).expect("base64url");
        cursors.push(String::from_utf8_lossy(&decoded).into_owned());
        path = format!("/api/v1/links?limit={limit}&cursor={cursor}");
    }
}

/// The short code of a short link's URL.
fn code(short_url: &str) -> String {
    local_path(short_url).trim_start_matches("/s/").to_owned()
}

/// A protected link's signature.
fn signature(full_url: &str) -> Option<String> {
    url::Url::parse(full_url)
        .expect("a URL")
        .query_pairs()
        .find(|(name, _)| name == "fs_sig")
        .map(|(_, value)| value.into_owned())
}

/// Opens `full_url` as a recipient and starts a run with one more move: the run's token.
async fn run_through(app: &TestApp, full_url: &str) -> String {
    let first = app.first_move(full_url).await;
    let run = run_outcome(&app.start_run(full_url, &first, None).await).expect("a run");
    let token = run.token.expect("a token").as_str().to_owned();
    let at = run.step.at.to_string();
    let moved = app
        .run_step(
            &token,
            &[
                ("action", "answer"),
                ("at", &at),
                ("step", &run.step.id),
                ("choice", "0"),
            ],
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{moved:?}");
    assert_eq!(
        app.get(&format!("/r/{token}"), None).await.status,
        StatusCode::OK
    );
    token
}

/// Every page of the audit log as an admin reads it in the console.
async fn whole_audit_log(app: &TestApp, admin: &str, q: &str) -> Vec<AuditPage> {
    let mut pages = Vec::new();
    for page in 1.. {
        let number = page.to_string();
        let response = app
            .call(AuditLog::PATH, &[("q", q), ("page", &number)], Some(admin))
            .await;
        assert_eq!(response.status, StatusCode::OK, "{response:?}");
        let read: AuditPage = serde_json::from_str(&response.body).expect("a page");
        let more = read.more;
        pages.push(read);
        if !more {
            break;
        }
    }
    pages
}

app_tests!(
    nothing_that_opens_a_link_reaches_a_log_a_metric_the_audit_log_an_export_or_another_key,
    |app| async move {
        let log = LogCapture::start("debug");
        let metrics = server::startup::metrics_router(&app.test_store.store);
        let publisher = app.log_in_demo("publisher").await;
        let admin = app.log_in_demo("admin").await;

        // Links made in the console (protected, and open: its id alone opens it) and by a key
        // (one, and a batch).
        let protected = share(&app, &publisher, "order-widget", true).await;
        let open = share(&app, &publisher, "help-centre", false).await;
        assert!(signature(&open.full_url).is_none(), "{}", open.full_url);
        let maker = app
            .api_key(
                &[
                    ApiScope::LinksCreate,
                    ApiScope::LinksRead,
                    ApiScope::LinksRevoke,
                ],
                &[],
            )
            .await;
        let made = api_post(
            &app,
            &maker,
            "/api/v1/links",
            r#"{"flow":"order-status-lookup","application":"order-widget","params":"name=Bo","shorten":true}"#,
        )
        .await;
        assert_eq!(made.status, StatusCode::CREATED, "{made:?}");
        let made: ApiLink = serde_json::from_str(&made.body).expect("a link");
        let batch = api_post(
            &app,
            &maker,
            "/api/v1/links/batch",
            r#"{"flow":"order-status-lookup","application":"help-centre","shorten":true,"rows":["name=Cy","name=Di"]}"#,
        )
        .await;
        assert_eq!(batch.status, StatusCode::CREATED, "{batch:?}");
        let batch: ApiBatch = serde_json::from_str(&batch.body).expect("a batch");

        let mut full_urls = vec![
            protected.full_url.clone(),
            open.full_url.clone(),
            made.full_url.clone(),
        ];
        full_urls.extend(batch.links.iter().map(|l| l.full_url.clone()));
        let mut short_urls = vec![
            protected.short_url.clone(),
            open.short_url.clone(),
            made.short_url.clone(),
        ];
        short_urls.extend(batch.links.iter().map(|l| l.short_url.clone()));
        let short_urls: Vec<String> = short_urls
            .into_iter()
            .map(|s| s.expect("shortened"))
            .collect();

        // Recipients open every link, full and short, and run three of them.
        for (full, short) in full_urls.iter().zip(&short_urls) {
            assert_eq!(
                app.get(&local_path(short), None).await.status,
                StatusCode::FOUND
            );
            assert_eq!(
                app.get(&local_path(full), None).await.status,
                StatusCode::OK
            );
        }
        let mut tokens = Vec::new();
        for full in [&protected.full_url, &open.full_url, &made.full_url] {
            tokens.push(run_through(&app, full).await);
        }

        // The maker reads its link by id (an access line at debug), and revokes it; the
        // publisher revokes theirs in the console.
        let read = api(&app, "GET", &maker, &format!("/api/v1/links/{}", made.id)).await;
        assert_eq!(read.status, StatusCode::OK, "{read:?}");
        let read_id = read.header("x-request-id").expect("an id").to_owned();
        let revoked = api(
            &app,
            "POST",
            &maker,
            &format!("/api/v1/links/{}/revoke", made.id),
        )
        .await;
        assert_eq!(revoked.status, StatusCode::OK, "{revoked:?}");
        let console_revoke = app
            .call(
                RevokeLink::PATH,
                &[
                    ("slug", ORDER_FLOW),
                    ("link", &link_id(&protected.full_url)),
                ],
                Some(&publisher),
            )
            .await;
        assert_eq!(console_revoke.status, StatusCode::OK, "{console_revoke:?}");

        // What everyone else reads.
        let mut channels: Vec<(String, String)> = Vec::new();
        let reader = app
            .api_key(&[ApiScope::LinksRead, ApiScope::LinksRevoke], &[])
            .await;
        let (pages, cursors) = every_page(&app, &reader, 2).await;
        assert_eq!(cursors.len(), 2, "five links, two a page: {cursors:?}");
        for body in pages {
            channels.push(("another key's listing".into(), body));
        }
        channels.push(("another key's cursors".into(), cursors.join("\n")));
        for full in &full_urls {
            let id = link_id(full);
            let answer = api(&app, "GET", &reader, &format!("/api/v1/links/{id}")).await;
            assert_eq!(answer.status, StatusCode::NOT_FOUND, "{answer:?}");
            channels.push(("another key's read".into(), answer.body));
            // Not this key's link (or revoked already): either way, nothing about what opens it.
            let refused = api(&app, "POST", &reader, &format!("/api/v1/links/{id}/revoke")).await;
            assert!(
                [StatusCode::FORBIDDEN, StatusCode::CONFLICT].contains(&refused.status),
                "{refused:?}"
            );
            channels.push(("another key's revoke".into(), refused.body));
        }
        let viewer = app.log_in_demo("viewer").await;
        let viewed = app
            .call(SharedLinks::PATH, &[("slug", ORDER_FLOW)], Some(&viewer))
            .await;
        channels.push(("a viewer's Shared links".into(), viewed.body));
        let export = app
            .get(&format!("/flows/{ORDER_FLOW}/results.csv"), Some(&admin))
            .await;
        assert_eq!(export.status, StatusCode::OK);
        assert_eq!(
            export.body.lines().count(),
            4,
            "a header and three runs: {}",
            export.body
        );
        channels.push(("the results export".into(), export.body));
        let results = app
            .call(FlowResults::PATH, &[("flow", ORDER_FLOW)], Some(&publisher))
            .await;
        assert_eq!(results.status, StatusCode::OK, "{results:?}");
        channels.push(("the Results section".into(), results.body));
        let audit = whole_audit_log(&app, &admin, "").await;
        let entries: usize = audit.iter().map(|p| p.entries.len()).sum();
        assert!(entries >= 6, "made, batch, revoked twice, keys: {audit:?}");
        channels.push(("the audit log page".into(), format!("{audit:?}")));
        let stored = app
            .test_store
            .store
            .audit
            .audit_log("", 1)
            .await
            .expect("the audit log");
        channels.push(("the audit store".into(), format!("{stored:?}")));
        let scrape = {
            use tower::ServiceExt;
            let request = http::Request::get("/metrics")
                .body(axum::body::Body::empty())
                .expect("a request");
            let response = metrics.clone().oneshot(request).await.expect("answered");
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 24)
                .await
                .expect("a body");
            String::from_utf8_lossy(&bytes).into_owned()
        };
        assert!(scrape.contains("flowshare_run_starts_total"), "{scrape}");
        channels.push(("the metrics".into(), scrape));
        let logged = log.text();
        drop(log);
        channels.push(("the log".into(), logged.clone()));

        // The maker's read was logged, its link named by reference only.
        let read_paths: Vec<String> = logged
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|entry| {
                entry.pointer("/span/id").and_then(|v| v.as_str()) == Some(read_id.as_str())
            })
            .filter_map(|entry| {
                entry
                    .pointer("/span/path")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            })
            .collect();
        assert!(
            read_paths.contains(&format!("/api/v1/links/{}", LinkRef::of_raw(&made.id))),
            "{read_paths:?}"
        );
        // Admins can still find a revocation by the link's reference.
        let found = whole_audit_log(&app, &admin, LinkRef::of_raw(&made.id).as_str()).await;
        assert!(
            found[0]
                .entries
                .iter()
                .any(|e| e.detail.starts_with("link ")),
            "{found:?}"
        );

        let mut secrets: Vec<(&str, String)> = Vec::new();
        for full in &full_urls {
            // Nothing of an id beyond its reference: one character more is already too much.
            let id = link_id(full);
            secrets.push(("a link id", id[..=LinkRef::LENGTH].to_owned()));
            if let Some(signature) = signature(full) {
                secrets.push(("a signature", signature));
            }
        }
        for short in &short_urls {
            secrets.push(("a short code", code(short)));
        }
        for token in &tokens {
            secrets.push(("a run token", token.clone()));
        }
        assert_eq!(
            secrets
                .iter()
                .filter(|(what, _)| *what == "a link id")
                .count(),
            5
        );
        for (channel, text) in &channels {
            for (what, secret) in &secrets {
                assert!(
                    !text.contains(secret.as_str()),
                    "{what} ({secret}) is in {channel}:\n{text}"
                );
            }
        }
    }
);

app_tests!(
    a_read_only_key_lists_someone_elses_link_without_what_opens_it_and_cannot_read_it_by_id,
    |app| async move {
        let publisher = app.log_in_demo("publisher").await;
        let open = share(&app, &publisher, "help-centre", false).await;
        let id = link_id(&open.full_url);
        let reader = app.api_key(&[ApiScope::LinksRead], &[]).await;
        let listed = api(&app, "GET", &reader, "/api/v1/links").await;
        assert_eq!(listed.status, StatusCode::OK);
        let page: ApiLinkPage = serde_json::from_str(&listed.body).expect("a page");
        assert_eq!(page.links.len(), 1);
        let entry = &page.links[0];
        assert_eq!(
            (
                entry.id.as_deref(),
                entry.full_url.as_deref(),
                entry.short_url.as_deref()
            ),
            (None, None, None)
        );
        assert_eq!(entry.reference, LinkRef::of_raw(&id).as_str());
        assert_eq!(
            (entry.state.as_str(), entry.created_by.as_str()),
            ("active", "publisher")
        );
        for secret in [
            id.as_str(),
            code(open.short_url.as_deref().expect("short")).as_str(),
        ] {
            assert!(!listed.body.contains(secret), "{}", listed.body);
        }
        // Holding the id anyway (it leaked elsewhere), the key learns nothing by asking.
        let asked = api(&app, "GET", &reader, &format!("/api/v1/links/{id}")).await;
        assert_eq!(asked.status, StatusCode::NOT_FOUND);
        assert!(!asked.body.contains(&id), "{}", asked.body);
        // Nothing was opened, counted or started.
        assert_eq!(app.test_store.scalar("SELECT COUNT(*) FROM runs").await, 0);
        assert_eq!(
            app.test_store
                .scalar("SELECT COUNT(*) FROM links WHERE invocations > 0")
                .await,
            0
        );
    }
);

app_tests!(
    another_keys_listing_pages_through_a_batch_made_at_one_instant_each_link_once,
    |app| async move {
        let maker = app.api_key(&[ApiScope::LinksCreate], &[]).await;
        let rows: Vec<String> = (0..9).map(|i| format!("n={i}")).collect();
        let body = serde_json::json!({
            "flow": ORDER_FLOW,
            "application": "help-centre",
            "rows": rows,
        })
        .to_string();
        let made = api_post(&app, &maker, "/api/v1/links/batch", &body).await;
        assert_eq!(made.status, StatusCode::CREATED, "{made:?}");
        let made: ApiBatch = serde_json::from_str(&made.body).expect("a batch");
        let ids: Vec<String> = made.links.iter().map(|l| l.id.clone()).collect();
        let reader = app.api_key(&[ApiScope::LinksRead], &[]).await;
        let (pages, cursors) = every_page(&app, &reader, 2).await;
        assert_eq!(pages.len(), 5);
        let mut listed: Vec<String> = pages
            .iter()
            .flat_map(|body| {
                serde_json::from_str::<ApiLinkPage>(body)
                    .expect("a page")
                    .links
            })
            .map(|link| {
                assert_eq!(link.id, None);
                link.reference
            })
            .collect();
        let mut expected: Vec<String> = ids
            .iter()
            .map(|id| LinkRef::of_raw(id).as_str().to_owned())
            .collect();
        listed.sort();
        expected.sort();
        assert_eq!(listed, expected, "every link once");
        for cursor in &cursors {
            assert!(
                ids.iter().all(|id| !cursor.contains(id.as_str())),
                "{cursor}"
            );
        }
        // A cursor is checked, not trusted: one naming a whole id is refused.
        let forged = URL_SAFE_NO_PAD.encode(format!("1.{}.1", ids[0]));
        let refused = api(
            &app,
            "GET",
            &reader,
            &format!("/api/v1/links?cursor={forged}"),
        )
        .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
);

app_tests!(
    audit_entries_written_before_name_links_by_reference_once_migrated,
    |app| async move {
        let id = "4fQm2x0vUu6Ww3Jq1hN9sA";
        let code = "23456789abc";
        let old = [
            ("link.revoked", "Link revoked", format!("link {id}")),
            (
                "link.generated",
                "Link generated",
                format!("via help-centre: protected, short code {code}, parameters name=Ada"),
            ),
            (
                "link.generated",
                "Link generated",
                "via help-centre: open".to_owned(),
            ),
        ];
        let insert = "INSERT INTO audit_log (at, actor, action, subject, detail, search_folded) \
                      VALUES (1, 'ada', $1, 'order-status-lookup', $2, $3)";
        let (migration, db) = match app.test_store.store.db() {
            Db::Sqlite(_) => (
                include_str!("../../migrations/sqlite/0012_audit_link_references.sql"),
                "sqlite",
            ),
            Db::Postgres(_) => (
                include_str!("../../migrations/postgres/0012_audit_link_references.sql"),
                "postgres",
            ),
        };
        for (action, label, detail) in &old {
            let folded =
                format!("ada {action} {label} order-status-lookup {detail}").to_lowercase();
            match app.test_store.store.db() {
                Db::Sqlite(pool) => sqlx::query(insert)
                    .bind(action)
                    .bind(detail)
                    .bind(&folded)
                    .execute(pool)
                    .await
                    .map(drop),
                Db::Postgres(pool) => sqlx::query(insert)
                    .bind(action)
                    .bind(detail)
                    .bind(&folded)
                    .execute(pool)
                    .await
                    .map(drop),
            }
            .expect("an old entry");
        }
        match app.test_store.store.db() {
            Db::Sqlite(pool) => sqlx::raw_sql(migration).execute(pool).await.map(drop),
            Db::Postgres(pool) => sqlx::raw_sql(migration).execute(pool).await.map(drop),
        }
        .unwrap_or_else(|e| panic!("{db}: {e}"));
        let read = app
            .test_store
            .store
            .audit
            .audit_log("", 1)
            .await
            .expect("the log");
        let details: Vec<&str> = read
            .entries
            .iter()
            .filter(|e| e.at == 1)
            .map(|e| e.detail.as_str())
            .collect();
        assert_eq!(
            details,
            [
                "via help-centre: open",
                "via help-centre: protected, shortened, parameters name=Ada",
                "link 4fQm2…",
            ]
        );
        for secret in [id, code] {
            let found = app
                .test_store
                .store
                .audit
                .audit_log(secret, 1)
                .await
                .expect("a search");
            assert!(found.entries.is_empty(), "{secret}: {found:?}");
        }
        let by_reference = app
            .test_store
            .store
            .audit
            .audit_log("4fQm2", 1)
            .await
            .expect("a search");
        assert_eq!(by_reference.entries.len(), 1);
        // The search text was rewritten with the entry.
        let shortened = app
            .test_store
            .store
            .audit
            .audit_log("protected, shortened", 1)
            .await
            .expect("a search");
        assert_eq!(shortened.entries.iter().filter(|e| e.at == 1).count(), 1);
    }
);
