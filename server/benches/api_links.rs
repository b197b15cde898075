//! The API's link making on SQLite, through the router in-process: single-link calls from 64
//! callers at once, each `POST /api/v1/links` (a protected short link per call: the key checked,
//! the link signed, stored with its audit entry in one transaction), then one batch call of
//! 10,000 protected short links. Prints calls per second with latency percentiles, and the
//! batch's time and links per second. Figures, not pass/fail; the targets are ≥ 2,000 calls/s
//! and 10,000 links in ≤ 2 s.
//!   cargo bench -p server --bench api_links
//!   CALLS=200 cargo bench -p server --bench api_links   # calls per caller (default 100)

use app::domain::api_key::ApiScope;
use http::StatusCode;
use server::security::limits::LimitSettings;
use server::testing::{Engine, TestApp, TestOptions};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CALLERS: usize = 64;
const BODY: &str = r#"{"flow":"order-status-lookup","application":"order-widget","params":"name=Ada","shorten":true}"#;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

async fn call(app: &TestApp, secret: &str) -> Duration {
    let request = http::Request::post("/api/v1/links")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {secret}"))
        .body(axum::body::Body::from(BODY))
        .expect("a request");
    let started = Instant::now();
    let response = app.send(request).await;
    let took = started.elapsed();
    assert_eq!(response.status, StatusCode::CREATED, "{response:?}");
    took
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let calls: usize = std::env::var("CALLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    // No rate limit: the figure is what generation itself costs.
    let options = TestOptions {
        limits: LimitSettings::OFF,
        ..TestOptions::default()
    };
    let app = TestApp::with_options(Engine::Sqlite, options)
        .await
        .expect("a SQLite test app");
    let secret = app
        .api_key(&[ApiScope::LinksCreate], &[])
        .await
        .expose()
        .to_owned();
    let (app, secret) = (Arc::new(app), Arc::new(secret));
    let began = Instant::now();
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let (app, secret) = (app.clone(), secret.clone());
            tokio::spawn(async move {
                let mut times = Vec::with_capacity(calls);
                for _ in 0..calls {
                    times.push(call(&app, &secret).await);
                }
                times
            })
        })
        .collect();
    let mut times = Vec::with_capacity(CALLERS * calls);
    for caller in callers {
        times.extend(caller.await.expect("a caller"));
    }
    let took = began.elapsed();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1_000.0;
    println!(
        "POST /api/v1/links on SQLite, {CALLERS} callers × {calls}: {} protected short links in {:.2} s = {:.0} calls/s (target ≥ 2,000)",
        times.len(),
        took.as_secs_f64(),
        times.len() as f64 / took.as_secs_f64()
    );
    println!(
        "  latency: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(percentile(&times, 0.50)),
        ms(percentile(&times, 0.99)),
        ms(*times.last().expect("calls"))
    );
    let rows: Vec<String> = (0..10_000)
        .map(|i| format!("name=Customer{i}&order={i}"))
        .collect();
    let body = serde_json::json!({
        "flow": "order-status-lookup",
        "application": "order-widget",
        "shorten": true,
        "rows": rows,
    })
    .to_string();
    let request = http::Request::post("/api/v1/links/batch")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {secret}"))
        .body(axum::body::Body::from(body))
        .expect("a request");
    let started = Instant::now();
    let response = app.send(request).await;
    let took = started.elapsed();
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.status);
    println!(
        "POST /api/v1/links/batch on SQLite: 10,000 protected short links in {:.2} s = {:.0} links/s (target ≤ 2 s)",
        took.as_secs_f64(),
        10_000.0 / took.as_secs_f64()
    );
}
