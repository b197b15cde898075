//! Health checks for load balancers and orchestrators. `/healthz` says the process is up and does
//! no I/O; `/readyz` says whether this instance should get traffic (database reachable within a
//! moment, schema current), 503 with the reason otherwise. Neither gets an access-log line, a
//! timing or a rate limit: a balancer asks every few seconds. Readiness is checked at most every
//! quarter second whoever asks, so a flood of probes costs the database nothing; a change of
//! verdict is logged once.

use crate::db::Db;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, StatusCode};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long readiness waits for the database: a balancer's check must not hang on a dead pool.
const READY_WITHIN: Duration = Duration::from_secs(2);
/// How long one verdict answers every probe.
const VERDICT_FOR: Duration = Duration::from_millis(250);

/// The last verdict and when it was reached; probes queue here while one of them asks.
struct Readiness {
    db: Db,
    last: tokio::sync::Mutex<Option<(Instant, Result<(), String>)>>,
}

const HEALTHZ: &str = "/healthz";
const READYZ: &str = "/readyz";

/// Whether `path` is one of the checks (answered before any other layer, see `front`).
pub fn is_health_check(path: &str) -> bool {
    path == HEALTHZ || path == READYZ
}

pub fn routes(db: Db) -> Router {
    let readiness = Arc::new(Readiness {
        db,
        last: tokio::sync::Mutex::new(None),
    });
    Router::new()
        .route(HEALTHZ, get(healthz))
        .route(READYZ, get(readyz))
        .with_state(readiness)
}

fn plain(status: StatusCode, text: String) -> Response {
    (
        status,
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        text,
    )
        .into_response()
}

async fn healthz() -> Response {
    plain(StatusCode::OK, "ok\n".into())
}

async fn readyz(State(readiness): State<Arc<Readiness>>) -> Response {
    let mut last = readiness.last.lock().await;
    let verdict = match &*last {
        Some((at, verdict)) if at.elapsed() < VERDICT_FOR => verdict.clone(),
        previous => {
            let verdict = tokio::time::timeout(READY_WITHIN, readiness.db.readiness())
                .await
                .unwrap_or_else(|_| {
                    Err(format!(
                        "the database did not answer within {} s",
                        READY_WITHIN.as_secs()
                    ))
                });
            if previous.as_ref().map(|(_, v)| v) != Some(&verdict) {
                match &verdict {
                    Ok(()) => tracing::info!("ready"),
                    Err(reason) => tracing::warn!(%reason, "not ready"),
                }
            }
            *last = Some((Instant::now(), verdict.clone()));
            verdict
        }
    };
    drop(last);
    match verdict {
        Ok(()) => plain(StatusCode::OK, "ready\n".into()),
        Err(reason) => plain(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {reason}\n"),
        ),
    }
}
