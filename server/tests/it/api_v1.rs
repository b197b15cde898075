//! The API for systems, `/api/v1`, on both engines: an API key makes a protected short link a
//! recipient opens; every refusal is `application/problem+json` with its own `type` and status,
//! and writes nothing; keys are kept hashed and audited without their secret.

use app::domain::api_key::{ApiScope, ApiSecret};
use app::domain::audit::AuditAction;
use http::StatusCode;
use server::api_v1::ApiLink;
use server::app_tests;
use server::security::limits::{LimitSettings, Rate};
use server::testing::{local_path, TestApp, TestOptions, TestResponse};

async fn key(app: &TestApp, scopes: &[ApiScope], applications: &[&str]) -> ApiSecret {
    app.api_key(scopes, applications).await
}

async fn post(app: &TestApp, secret: Option<&str>, path: &str, body: &str) -> TestResponse {
    post_with(app, secret, path, body, None).await
}

async fn post_with(
    app: &TestApp,
    secret: Option<&str>,
    path: &str,
    body: &str,
    idempotency_key: Option<&str>,
) -> TestResponse {
    let mut request = http::Request::post(path).header("content-type", "application/json");
    if let Some(secret) = secret {
        request = request.header("authorization", format!("Bearer {secret}"));
    }
    if let Some(key) = idempotency_key {
        request = request.header("idempotency-key", key);
    }
    app.send(
        request
            .body(axum::body::Body::from(body.to_owned()))
            .expect("a request"),
    )
    .await
}

const ORDER_LINK: &str = r#"{"flow":"order-status-lookup","application":"order-widget","params":"name=Ada","shorten":true}"#;

/// A problem document's `type` and `detail`, checking its media type.
fn problem(response: &TestResponse) -> (String, String) {
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json"),
        "{response:?}"
    );
    let doc: serde_json::Value = serde_json::from_str(&response.body).expect("JSON");
    assert_eq!(doc["status"], response.status.as_u16(), "{doc}");
    assert!(doc["title"].is_string(), "{doc}");
    (
        doc["type"].as_str().expect("a type").to_owned(),
        doc["detail"].as_str().expect("a detail").to_owned(),
    )
}

app_tests!(
    an_api_key_makes_a_protected_short_link_a_recipient_opens,
    |app| async move {
        let secret = key(&app, &[ApiScope::LinksCreate], &[]).await;
        assert!(secret.prefix().bytes().all(|b| b.is_ascii_alphanumeric()));
        let made = post(&app, Some(secret.expose()), "/api/v1/links", ORDER_LINK).await;
        assert_eq!(made.status, StatusCode::CREATED, "{made:?}");
        assert_eq!(made.header("cache-control"), Some("no-store"));
        let link: ApiLink = serde_json::from_str(&made.body).expect("a link");
        assert!(link.protected, "the order widget's links are protected");
        assert!(link.full_url.contains("fs_sig="), "{}", link.full_url);
        assert_eq!(link.short_url.as_deref(), Some(link.link.as_str()));
        assert!(link.full_url.contains(&link.id));
        assert!(link.qr_svg.is_none(), "no QR code unless asked for");
        assert!(link.expires_at.is_some(), "the protection's expiry applies");
        // The recipient opens it.
        let short = local_path(&link.link);
        let redirect = app.get(&short, None).await;
        assert_eq!(redirect.status, StatusCode::FOUND);
        let page = app
            .get(redirect.header("location").expect("a target"), None)
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page
            .body
            .contains("Hello Ada, this is the order status lookup assistant."));
        // The scheme's name is case-insensitive.
        let request = http::Request::post("/api/v1/links")
            .header("content-type", "application/json")
            .header("authorization", format!("bearer {}", secret.expose()))
            .body(axum::body::Body::from(ORDER_LINK))
            .expect("a request");
        assert_eq!(app.send(request).await.status, StatusCode::CREATED);
        // Asked for, the QR code comes along.
        let with_qr = post(
            &app,
            Some(secret.expose()),
            "/api/v1/links?qr=svg",
            ORDER_LINK,
        )
        .await;
        let with_qr: ApiLink = serde_json::from_str(&with_qr.body).expect("a link");
        assert!(with_qr.qr_svg.is_some_and(|svg| svg.contains("<svg")));
        // Made by the key: its prefix, never its secret, in the store and the audit log.
        let by_key = app
            .test_store
            .scalar(&format!(
                "SELECT COUNT(*) FROM links WHERE created_by = 'api-key:{}'",
                secret.prefix()
            ))
            .await;
        assert_eq!(by_key, 3);
        assert_eq!(
            app.test_store
                .scalar("SELECT COUNT(*) FROM api_keys WHERE last_used_at IS NOT NULL")
                .await,
            1,
            "a key that made links was used"
        );
        for (action, count) in [
            (AuditAction::ApiKeyCreated, 1),
            (AuditAction::LinkGenerated, 3),
        ] {
            assert_eq!(
                app.test_store
                    .scalar(&format!(
                        "SELECT COUNT(*) FROM audit_log WHERE action = '{}'",
                        action.as_str()
                    ))
                    .await,
                count,
                "{action:?}"
            );
        }
        let secret_part = &secret.expose()[13..];
        assert_eq!(
            app.test_store
                .scalar(&format!(
                    "SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%{secret_part}%'"
                ))
                .await,
            0
        );
        assert_eq!(
            app.test_store
                .scalar(&format!(
                    "SELECT COUNT(*) FROM api_keys WHERE secret_hash LIKE '%{secret_part}%'"
                ))
                .await,
            0,
            "only a hash is kept"
        );
    }
);

app_tests!(
    every_refusal_has_its_type_and_status_and_writes_nothing,
    |app| async move {
        let secret = key(
            &app,
            &[ApiScope::LinksCreate],
            &["order-widget", "partner-portal"],
        )
        .await;
        let reader = key(&app, &[ApiScope::LinksRead], &[]).await;
        let expired = key(&app, &[ApiScope::LinksCreate], &[]).await;
        app.test_store
            .store
            .keys
            .revoke(reader.prefix(), "admin")
            .await
            .expect("revoked");
        let reader_live = key(&app, &[ApiScope::LinksRead], &[]).await;
        // Expire one key by moving its expiry into the past.
        sqlx_expire(&app, expired.prefix()).await;
        let before = app.link_count().await;
        let unknown = "fsk_AAAAAAAA_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";
        let cases: Vec<(Option<&str>, &str, StatusCode, &str)> = vec![
            (
                None,
                ORDER_LINK,
                StatusCode::UNAUTHORIZED,
                "missing-api-key",
            ),
            (
                Some("not-a-key"),
                ORDER_LINK,
                StatusCode::UNAUTHORIZED,
                "unknown-api-key",
            ),
            (
                Some(unknown),
                ORDER_LINK,
                StatusCode::UNAUTHORIZED,
                "unknown-api-key",
            ),
            (
                Some(reader.expose()),
                ORDER_LINK,
                StatusCode::UNAUTHORIZED,
                "revoked-api-key",
            ),
            (
                Some(expired.expose()),
                ORDER_LINK,
                StatusCode::UNAUTHORIZED,
                "expired-api-key",
            ),
            (
                Some(reader_live.expose()),
                ORDER_LINK,
                StatusCode::FORBIDDEN,
                "missing-scope",
            ),
            (
                Some(secret.expose()),
                r#"{"flow":"order-status-lookup","application":"help-centre"}"#,
                StatusCode::FORBIDDEN,
                "application-not-allowed",
            ),
            (
                Some(secret.expose()),
                "{not json",
                StatusCode::BAD_REQUEST,
                "invalid-body",
            ),
            (
                Some(secret.expose()),
                r#"{"flow":"order-status-lookup","application":"order-widget","colour":"red"}"#,
                StatusCode::BAD_REQUEST,
                "invalid-body",
            ),
            (
                Some(secret.expose()),
                r#"{"flow":"order-status-lookup","application":"order-widget","params":"a=1&a=2"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-field",
            ),
            (
                Some(secret.expose()),
                r#"{"flow":"no-such-flow","application":"order-widget"}"#,
                StatusCode::NOT_FOUND,
                "flow-not-found",
            ),
            (
                Some(secret.expose()),
                r#"{"flow":"order-status-lookup","application":"partner-portal"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "application-not-available",
            ),
            (
                Some(secret.expose()),
                r#"{"flow":"parking-permit-renewal","application":"order-widget"}"#,
                StatusCode::CONFLICT,
                "flow-not-shareable",
            ),
            (
                Some(secret.expose()),
                r#"{"flow":"order-status-lookup","application":"order-widget","protect":false}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-field",
            ),
        ];
        for (secret, body, status, kind) in cases {
            let response = post(&app, secret, "/api/v1/links", body).await;
            assert_eq!(response.status, status, "{kind}: {response:?}");
            let (type_uri, detail) = problem(&response);
            assert_eq!(type_uri, format!("/api/v1/problems/{kind}"), "{detail}");
            assert!(!detail.is_empty());
            if status == StatusCode::UNAUTHORIZED {
                assert_eq!(response.header("www-authenticate"), Some("Bearer"));
            }
        }
        let unknown_field = post(
            &app,
            Some(secret.expose()),
            "/api/v1/links",
            r#"{"flow":"order-status-lookup","application":"order-widget","colour":"red"}"#,
        )
        .await;
        assert!(
            problem(&unknown_field).1.contains("colour"),
            "the field is named"
        );
        let bad_qr = post(
            &app,
            Some(secret.expose()),
            "/api/v1/links?qr=png",
            ORDER_LINK,
        )
        .await;
        assert_eq!(bad_qr.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(problem(&bad_qr).1.contains("svg"));
        // The document's `qr` is an enum of one: an empty value is not in it.
        let empty_qr = post(&app, Some(secret.expose()), "/api/v1/links?qr=", ORDER_LINK).await;
        assert_eq!(problem(&empty_qr).0, "/api/v1/problems/invalid-field");
        let stray = post(
            &app,
            Some(secret.expose()),
            "/api/v1/links?qr=svg&x=1",
            ORDER_LINK,
        )
        .await;
        assert_eq!(problem(&stray).0, "/api/v1/problems/invalid-field");
        let huge = format!(
            r#"{{"flow":"order-status-lookup","application":"order-widget","params":"a={}"}}"#,
            "x".repeat(70_000)
        );
        let too_big = post(&app, Some(secret.expose()), "/api/v1/links", &huge).await;
        assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
        let (kind, detail) = problem(&too_big);
        assert_eq!(kind, "/api/v1/problems/body-too-large");
        assert!(detail.contains("64 KiB"), "{detail}");
        assert_eq!(
            app.test_store
                .scalar("SELECT COUNT(*) FROM api_keys WHERE last_used_at IS NOT NULL")
                .await,
            0,
            "refused calls leave no trace"
        );
        assert_eq!(
            app.link_count().await,
            before,
            "nothing refused was written"
        );
    }
);

/// Moves an API key's expiry into the past.
async fn sqlx_expire(app: &TestApp, prefix: &str) {
    let sql = format!("UPDATE api_keys SET expires_at = 1 WHERE prefix = '{prefix}'");
    match app.test_store.store.db() {
        server::db::Db::Sqlite(pool) => {
            sqlx::query(&sql).execute(pool).await.expect("expired");
        }
        server::db::Db::Postgres(pool) => {
            sqlx::query(&sql).execute(pool).await.expect("expired");
        }
    }
}

app_tests!(
    a_keys_links_are_rate_limited_on_their_own,
    TestOptions {
        limits: LimitSettings {
            link_generations_per_user: Rate::parse("2/h").expect("a rate"),
            ..LimitSettings::OFF
        },
        ..TestOptions::default()
    },
    |app| async move {
        let secret = key(&app, &[ApiScope::LinksCreate], &[]).await;
        for _ in 0..2 {
            let made = post(&app, Some(secret.expose()), "/api/v1/links", ORDER_LINK).await;
            assert_eq!(made.status, StatusCode::CREATED, "{made:?}");
        }
        let limited = post(&app, Some(secret.expose()), "/api/v1/links", ORDER_LINK).await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            problem(&limited).0,
            "/api/v1/problems/rate-limited".to_owned()
        );
        assert!(limited
            .header("retry-after")
            .and_then(|s| s.parse::<u64>().ok())
            .is_some_and(|s| s >= 1));
        // Another key has its own budget.
        let other = key(&app, &[ApiScope::LinksCreate], &[]).await;
        assert_eq!(
            post(&app, Some(other.expose()), "/api/v1/links", ORDER_LINK)
                .await
                .status,
            StatusCode::CREATED
        );
    }
);

/// The command line makes a key (its secret printed once, alone on standard output, so a script
/// can capture it) and revokes it by its prefix; bad input is named.
#[test]
fn the_command_line_makes_and_revokes_keys() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("keys.db").display());
    let flowshare = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_flowshare"))
            .env("DATABASE_URL", &url)
            .args(args)
            .output()
            .expect("flowshare runs")
    };
    let made = flowshare(&["apikey", "create", "SMS gateway", "--scope", "links:create"]);
    assert!(made.status.success(), "{made:?}");
    let printed = String::from_utf8(made.stdout).expect("UTF-8");
    let secret = ApiSecret::parse(printed.trim()).expect("the secret, alone on stdout");
    let told = String::from_utf8_lossy(&made.stderr);
    assert!(
        told.contains(secret.prefix()) && !told.contains(secret.expose()),
        "{told}"
    );
    let bad_scope = flowshare(&["apikey", "create", "x", "--scope", "links:*"]);
    assert!(!bad_scope.status.success());
    assert!(String::from_utf8_lossy(&bad_scope.stderr).contains("links:create, links:read"));
    let no_app = flowshare(&[
        "apikey",
        "create",
        "x",
        "--scope",
        "links:create",
        "--application",
        "nowhere",
    ]);
    assert!(!no_app.status.success());
    assert!(String::from_utf8_lossy(&no_app.stderr).contains("no application called \"nowhere\""));
    let revoked = flowshare(&["apikey", "revoke", secret.prefix()]);
    assert!(revoked.status.success(), "{revoked:?}");
    let again = flowshare(&["apikey", "revoke", secret.prefix()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("no live API key"));
}

app_tests!(
    a_retried_call_gets_the_first_answer_and_never_a_second_link,
    |app| async move {
        let secret = key(&app, &[ApiScope::LinksCreate], &[]).await;
        let secret = secret.expose();
        let first = post_with(
            &app,
            Some(secret),
            "/api/v1/links",
            ORDER_LINK,
            Some("order-42"),
        )
        .await;
        assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
        let again = post_with(
            &app,
            Some(secret),
            "/api/v1/links",
            ORDER_LINK,
            Some("order-42"),
        )
        .await;
        assert_eq!(again.status, StatusCode::CREATED);
        assert_eq!(again.body, first.body, "the same link, not a new one");
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(app.link_count().await, 1);
        // The same key for another request is a mistake, said as such.
        let other =
            r#"{"flow":"order-status-lookup","application":"order-widget","params":"name=Bob"}"#;
        let reused = post_with(&app, Some(secret), "/api/v1/links", other, Some("order-42")).await;
        assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            problem(&reused).0,
            "/api/v1/problems/idempotency-key-reused"
        );
        // A refused call keeps nothing: corrected, the same key works.
        let refused =
            r#"{"flow":"order-status-lookup","application":"order-widget","params":"a=1&a=2"}"#;
        let bad = post_with(
            &app,
            Some(secret),
            "/api/v1/links",
            refused,
            Some("order-43"),
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let fixed = post_with(&app, Some(secret), "/api/v1/links", other, Some("order-43")).await;
        assert_eq!(fixed.status, StatusCode::CREATED, "{fixed:?}");
        assert_eq!(app.link_count().await, 2);
        let malformed = post_with(
            &app,
            Some(secret),
            "/api/v1/links",
            ORDER_LINK,
            Some("two words"),
        )
        .await;
        assert_eq!(problem(&malformed).0, "/api/v1/problems/invalid-field");
        // Racing retries: one link, whatever the order.
        let app = std::sync::Arc::new(app);
        let racers: Vec<_> = (0..10)
            .map(|_| {
                let (app, secret) = (app.clone(), secret.to_owned());
                tokio::spawn(async move {
                    post_with(
                        &app,
                        Some(&secret),
                        "/api/v1/links",
                        ORDER_LINK,
                        Some("order-44"),
                    )
                    .await
                    .status
                })
            })
            .collect();
        for racer in racers {
            let status = racer.await.expect("a racer");
            assert!(
                status == StatusCode::CREATED || status == StatusCode::CONFLICT,
                "{status}"
            );
        }
        assert_eq!(
            app.link_count().await,
            3,
            "exactly one link for the racing retries"
        );
    }
);

app_tests!(
    a_key_reads_and_revokes_the_links_it_made,
    |app| async move {
        let maker = key(
            &app,
            &[
                ApiScope::LinksCreate,
                ApiScope::LinksRead,
                ApiScope::LinksRevoke,
            ],
            &["order-widget"],
        )
        .await;
        let made = post(&app, Some(maker.expose()), "/api/v1/links", ORDER_LINK).await;
        let link: ApiLink = serde_json::from_str(&made.body).expect("a link");
        let get = |secret: String, id: String| {
            let app = &app;
            async move {
                let request = http::Request::get(format!("/api/v1/links/{id}"))
                    .header("authorization", format!("Bearer {secret}"))
                    .body(axum::body::Body::empty())
                    .expect("a request");
                app.send(request).await
            }
        };
        let read = get(maker.expose().to_owned(), link.id.clone()).await;
        assert_eq!(read.status, StatusCode::OK, "{read:?}");
        let status: server::api_v1::ApiLinkStatus =
            serde_json::from_str(&read.body).expect("a status");
        assert_eq!(
            (
                status.state.as_str(),
                status.uses,
                status.allowed_uses,
                status.application.as_str()
            ),
            ("active", 0, Some(5), "order-widget")
        );
        assert_eq!(status.short_url, link.short_url, "its own link's URLs");
        assert_eq!(
            status.id.as_deref(),
            Some(link.id.as_str()),
            "its own link's id"
        );
        assert_eq!(status.created_by, format!("api-key:{}", maker.prefix()));
        // Another key, limited to other applications, cannot see it; one without the scope may not read.
        let elsewhere = key(
            &app,
            &[ApiScope::LinksRead, ApiScope::LinksRevoke],
            &["help-centre"],
        )
        .await;
        let hidden = get(elsewhere.expose().to_owned(), link.id.clone()).await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);
        assert_eq!(problem(&hidden).0, "/api/v1/problems/link-not-found");
        let writer = key(&app, &[ApiScope::LinksCreate], &[]).await;
        assert_eq!(
            get(writer.expose().to_owned(), link.id.clone())
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            get(maker.expose().to_owned(), "nonsense".into())
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        // A reader of all applications that did not make it is not answered at all: the id is
        // the maker's secret, and an answer would confirm that it opens a link.
        let reader = key(&app, &[ApiScope::LinksRead, ApiScope::LinksRevoke], &[]).await;
        let unseen = get(reader.expose().to_owned(), link.id.clone()).await;
        assert_eq!(unseen.status, StatusCode::NOT_FOUND);
        assert_eq!(problem(&unseen).0, "/api/v1/problems/link-not-found");
        assert!(!unseen.body.contains(&link.id), "{}", unseen.body);
        let revoke = |secret: String| {
            let (app, id) = (&app, link.id.clone());
            async move {
                post(
                    app,
                    Some(&secret),
                    &format!("/api/v1/links/{id}/revoke"),
                    "",
                )
                .await
            }
        };
        let not_yours = revoke(reader.expose().to_owned()).await;
        assert_eq!(not_yours.status, StatusCode::FORBIDDEN);
        assert_eq!(problem(&not_yours).0, "/api/v1/problems/not-your-link");
        let revoked = revoke(maker.expose().to_owned()).await;
        assert_eq!(revoked.status, StatusCode::OK, "{revoked:?}");
        let after: server::api_v1::ApiLinkStatus =
            serde_json::from_str(&revoked.body).expect("a status");
        assert_eq!(after.state, "revoked");
        let again = revoke(maker.expose().to_owned()).await;
        assert_eq!(problem(&again).0, "/api/v1/problems/already-revoked");
        // The recipient's link is dead, full and short.
        assert_eq!(
            app.get(&local_path(&link.full_url), None).await.status,
            StatusCode::GONE
        );
        assert_eq!(
            app.test_store
                .scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'link.revoked'")
                .await,
            1
        );
    }
);

app_tests!(
    the_openapi_document_describes_every_route_and_resolves,
    |app| async move {
        let response = app.get("/api/v1/openapi.json", None).await;
        assert_eq!(response.status, StatusCode::OK);
        let doc: serde_json::Value = serde_json::from_str(&response.body).expect("JSON");
        assert!(
            doc["openapi"]
                .as_str()
                .is_some_and(|v| v.starts_with("3.1")),
            "{doc}"
        );
        let paths: std::collections::BTreeSet<&str> = doc["paths"]
            .as_object()
            .expect("paths")
            .keys()
            .map(String::as_str)
            .collect();
        let routed: std::collections::BTreeSet<&str> = server::api_v1::PATHS.into_iter().collect();
        assert_eq!(
            paths, routed,
            "every route documented, nothing documented that is not routed"
        );
        // Every documented operation answers on its route (authenticated ones refuse a missing key).
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("operations").keys() {
                let uri = path
                    .replace("{id}", "AAAAAAAAAAAAAAAAAAAAAA")
                    .replace("{account}", "acme")
                    .replace("{campaign}", "order-status-by-sms");
                let request = http::Request::builder()
                    .method(method.to_uppercase().as_str())
                    .uri(&uri)
                    .body(axum::body::Body::empty())
                    .expect("a request");
                let status = app.send(request).await.status;
                assert!(
                    status == StatusCode::OK || status == StatusCode::UNAUTHORIZED,
                    "{method} {path}: {status}"
                );
            }
        }
        // Every reference resolves to a schema in the document.
        let text = response.body.as_str();
        for reference in text.split("\"$ref\":\"").skip(1) {
            let target = reference.split('"').next().expect("a reference");
            let name = target
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("an unexpected reference {target}"));
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "{target} does not resolve"
            );
        }
        assert_eq!(
            doc["components"]["securitySchemes"]["api_key"]["scheme"],
            "bearer"
        );
        // The console's API page shows exactly the documented calls.
        let documented: std::collections::BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .expect("paths")
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .expect("operations")
                    .keys()
                    .map(move |method| (method.to_uppercase(), path.clone()))
            })
            .collect();
        let shown: std::collections::BTreeSet<(String, String)> = app::ui::api_calls::ENDPOINTS
            .iter()
            .map(|e| (e.method.to_owned(), e.path.to_owned()))
            .collect();
        assert_eq!(shown, documented, "the API page and the document agree");
    }
);

app_tests!(
    a_batch_is_all_or_nothing_unless_partial_and_names_refused_rows,
    |app| async move {
        let secret = key(&app, &[ApiScope::LinksCreate], &[]).await;
        let secret = secret.expose();
        let batch = |rows: &[&str], partial: bool| {
            serde_json::json!({
                "flow": "order-status-lookup",
                "application": "order-widget",
                "shorten": true,
                "partial": partial,
                "rows": rows,
            })
            .to_string()
        };
        let made = post(
            &app,
            Some(secret),
            "/api/v1/links/batch",
            &batch(&["name=Ada", "name=Bob", "name=Cy"], false),
        )
        .await;
        assert_eq!(made.status, StatusCode::CREATED, "{made:?}");
        let made: server::api_v1::ApiBatch = serde_json::from_str(&made.body).expect("a batch");
        assert_eq!(made.links.len(), 3);
        assert!(made.refused.is_empty());
        for (row, name) in [(0, "Ada"), (1, "Bob"), (2, "Cy")] {
            let link = &made.links[row];
            assert_eq!(link.row, row);
            assert!(link.protected && link.full_url.contains(&format!("name={name}")));
            let page = app.get(&local_path(&link.full_url), None).await;
            assert_eq!(page.status, StatusCode::OK);
            assert!(page.body.contains(&format!("Hello {name}, this is")));
        }
        assert_eq!(
            app.test_store
                .scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'link.generated' AND detail LIKE 'batch of 3 links%'")
                .await,
            1,
            "one audit entry for the batch"
        );
        // One bad row refuses the whole batch, naming it; nothing is written.
        let before = app.link_count().await;
        let refused = post(
            &app,
            Some(secret),
            "/api/v1/links/batch",
            &batch(&["name=Dee", "a=1&a=2", "name=Eve"], false),
        )
        .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem(&refused).0, "/api/v1/problems/invalid-rows");
        let doc: serde_json::Value = serde_json::from_str(&refused.body).expect("JSON");
        assert_eq!(doc["rows"].as_array().map(Vec::len), Some(1));
        assert_eq!(doc["rows"][0]["row"], 1);
        assert_eq!(app.link_count().await, before);
        // Partial: the good rows are made, the bad one listed.
        let partial = post(
            &app,
            Some(secret),
            "/api/v1/links/batch",
            &batch(&["name=Dee", "a=1&a=2", "name=Eve"], true),
        )
        .await;
        assert_eq!(partial.status, StatusCode::CREATED, "{partial:?}");
        let partial: server::api_v1::ApiBatch =
            serde_json::from_str(&partial.body).expect("a batch");
        assert_eq!(
            partial.links.iter().map(|l| l.row).collect::<Vec<_>>(),
            [0, 2]
        );
        assert_eq!(
            partial.refused.iter().map(|r| r.row).collect::<Vec<_>>(),
            [1]
        );
        assert_eq!(app.link_count().await, before + 2);
        // No rows: under the document's `minItems`, refused by name.
        let none = post(
            &app,
            Some(secret),
            "/api/v1/links/batch",
            &batch(&[], false),
        )
        .await;
        assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(problem(&none).1.starts_with("rows:"), "{none:?}");
        // Over the limit: refused whole.
        let rows: Vec<String> = (0..10_001).map(|i| format!("n={i}")).collect();
        let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
        let too_many = post(
            &app,
            Some(secret),
            "/api/v1/links/batch",
            &batch(&rows, false),
        )
        .await;
        assert_eq!(problem(&too_many).0, "/api/v1/problems/invalid-body");
        assert!(
            problem(&too_many).1.contains("10000"),
            "{}",
            problem(&too_many).1
        );
        // At the limit: 10,000 links in one call.
        let full = post(
            &app,
            Some(secret),
            "/api/v1/links/batch",
            &batch(&rows[..10_000], false),
        )
        .await;
        assert_eq!(full.status, StatusCode::CREATED);
        let full: server::api_v1::ApiBatch = serde_json::from_str(&full.body).expect("a batch");
        assert_eq!(full.links.len(), 10_000);
        assert_eq!(app.link_count().await, before + 2 + 10_000);
        let codes: std::collections::HashSet<_> =
            full.links.iter().map(|l| l.short_url.clone()).collect();
        assert_eq!(codes.len(), 10_000, "every short code its own");
    }
);

app_tests!(
    a_key_lists_the_flows_it_can_make_links_of,
    |app| async move {
        let reader = key(&app, &[ApiScope::FlowsRead], &["order-widget"]).await;
        let request = |secret: String| {
            http::Request::get("/api/v1/flows")
                .header("authorization", format!("Bearer {secret}"))
                .body(axum::body::Body::empty())
                .expect("a request")
        };
        let listed = app.send(request(reader.expose().to_owned())).await;
        assert_eq!(listed.status, StatusCode::OK, "{listed:?}");
        let listed: server::api_v1::ApiFlows = serde_json::from_str(&listed.body).expect("flows");
        let order = listed
            .flows
            .iter()
            .find(|f| f.slug == "order-status-lookup")
            .expect("a shareable flow");
        assert_eq!(order.applications.len(), 1, "only the key's application");
        let widget = &order.applications[0];
        assert_eq!(
            (
                widget.slug.as_str(),
                widget.protected,
                widget.allowed_uses,
                widget.expires_after
            ),
            ("order-widget", true, Some(5), Some(86_400))
        );
        assert!(
            listed
                .flows
                .iter()
                .all(|f| f.slug != "parking-permit-renewal"),
            "a draft is not shareable"
        );
        assert!(listed
            .flows
            .iter()
            .all(|f| f.applications.iter().all(|a| a.slug == "order-widget")));
        let writer = key(&app, &[ApiScope::LinksCreate], &[]).await;
        let refused = app.send(request(writer.expose().to_owned())).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(problem(&refused).0, "/api/v1/problems/missing-scope");
    }
);
