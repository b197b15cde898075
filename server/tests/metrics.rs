//! `/metrics` parses as Prometheus text, and its counters move with the events they count. (A
//! file of its own: the recorder is process-wide, so no other test may count alongside.)

use app::api::auth::Login;
use app::api::share::GenerateLink;
use app::domain::share::GeneratedLink;
use http::StatusCode;
use leptos::server_fn::ServerFn;
use server::security::limits::{LimitSettings, Rate};
use server::testing::{Engine, TestApp, TestOptions};
use std::collections::HashMap;

/// Every sample in a scrape, by its name with labels (`name{a="b"}`), checking each line's shape.
fn samples(text: &str) -> HashMap<String, f64> {
    let mut samples = HashMap::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(comment) = line.strip_prefix('#') {
            assert!(
                comment.starts_with(" TYPE ") || comment.starts_with(" HELP "),
                "{line}"
            );
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        let name_end = series.find('{').unwrap_or(series.len());
        assert!(
            series[..name_end]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_'),
            "{line}"
        );
        if name_end < series.len() {
            assert!(series.ends_with('}'), "{line}");
        }
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("{line}"));
        samples.insert(series.to_owned(), value);
    }
    samples
}

async fn scrape(metrics: &axum::Router) -> HashMap<String, f64> {
    use tower::ServiceExt;
    let response = metrics
        .clone()
        .oneshot(
            http::Request::get("/metrics")
                .body(axum::body::Body::empty())
                .expect("a request"),
        )
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let body = axum::body::to_bytes(response.into_body(), 1 << 24)
        .await
        .expect("a body");
    samples(&String::from_utf8_lossy(&body))
}

#[tokio::test]
async fn counters_move_with_the_events_they_count() {
    let options = TestOptions {
        limits: LimitSettings {
            sign_ins_per_name: Rate::parse("3/h").expect("a rate"),
            ..LimitSettings::OFF
        },
        ..TestOptions::default()
    };
    let app = TestApp::with_options(Engine::Sqlite, options)
        .await
        .expect("an app");
    let metrics = server::startup::metrics_router(&app.test_store.store);
    let before = scrape(&metrics).await;

    let publisher = app.log_in("publisher", "demo-publisher-pass").await;
    let form = [
        ("flow", "order-status-lookup"),
        ("application", "order-widget"),
        ("params", "name=Ada"),
        ("protect", "true"),
        ("shorten", "true"),
    ];
    let response = app.call(GenerateLink::PATH, &form, Some(&publisher)).await;
    let link: GeneratedLink = serde_json::from_str(&response.body).expect("a link");
    let url = url::Url::parse(&link.full_url).expect("a URL");
    let local = format!("{}?{}", url.path(), url.query().unwrap_or_default());
    assert_eq!(app.get(&local, None).await.status, StatusCode::OK);
    assert_eq!(app.get(&local, None).await.status, StatusCode::OK);
    let tampered = local.replace("name=Ada", "name=Eve");
    assert_eq!(app.get(&tampered, None).await.status, StatusCode::FORBIDDEN);
    let short = url::Url::parse(link.short_url.as_deref().expect("short"))
        .expect("a URL")
        .path()
        .to_owned();
    assert_eq!(app.get(&short, None).await.status, StatusCode::FOUND);
    assert_eq!(
        app.get("/s/23456789abc", None).await.status,
        StatusCode::NOT_FOUND
    );
    let first = app.first_move(&link.full_url).await;
    assert_eq!(
        app.start_run(&link.full_url, &first, None).await.status,
        StatusCode::OK
    );
    // A first try is free of the name's budget (3/h); the tries again come out of it.
    for _ in 0..4 {
        let wrong = [("name", "viewer"), ("password", "wrong")];
        assert_eq!(
            app.call(Login::PATH, &wrong, None).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let wrong = [("name", "viewer"), ("password", "wrong")];
    assert_eq!(
        app.call(Login::PATH, &wrong, None).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );

    let after = scrape(&metrics).await;
    let moved = |series: &str| {
        after.get(series).copied().unwrap_or(0.0) - before.get(series).copied().unwrap_or(0.0)
    };
    for (series, by) in [
        (r#"flowshare_links_generated_total{via="dialog"}"#, 1.0),
        // Two opens, and the one that reads the first step before starting a run.
        (r#"flowshare_link_opens_total{outcome="ok"}"#, 3.0),
        (r#"flowshare_link_opens_total{outcome="not_valid"}"#, 1.0),
        (r#"flowshare_short_links_total{outcome="found"}"#, 1.0),
        (r#"flowshare_short_links_total{outcome="missing"}"#, 1.0),
        (r#"flowshare_run_starts_total{outcome="ok"}"#, 1.0),
        (r#"flowshare_sign_ins_total{outcome="welcome"}"#, 1.0),
        (r#"flowshare_sign_ins_total{outcome="refused"}"#, 4.0),
        (r#"flowshare_rate_limited_total{limit="sign_ins"}"#, 1.0),
    ] {
        assert_eq!(moved(series), by, "{series}");
    }
    // The second open of the link found its record cached.
    assert!(moved(r#"flowshare_link_cache_lookups_total{result="hit"}"#) >= 1.0);
    assert!(moved(r#"flowshare_link_cache_lookups_total{result="miss"}"#) >= 1.0);
    // Latencies per route group, as histograms.
    assert!(moved(r#"flowshare_http_request_duration_seconds_count{group="player"}"#) >= 3.0);
    assert!(moved(r#"flowshare_http_request_duration_seconds_count{group="api"}"#) >= 6.0);
    assert!(after.keys().any(|k| k.starts_with(
        r#"flowshare_http_request_duration_seconds_bucket{group="short",le="0.005"}"#
    )));
    assert!(after.contains_key(r#"flowshare_db_pool_connections{state="idle"}"#));
    assert!(after.contains_key(r#"flowshare_db_pool_connections{state="in_use"}"#));
}
