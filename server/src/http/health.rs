//! Health checks for load balancers and orchestrators. `/healthz` says the process is up and does
//! no I/O; `/readyz` says whether this instance should get traffic (database reachable within a
//! moment, schema current), 503 with the reason otherwise. Neither is logged, timed or limited: a
//! balancer asks every few seconds.

use crate::db::Db;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, StatusCode};
use std::time::Duration;

/// How long readiness waits for the database: a balancer's check must not hang on a dead pool.
const READY_WITHIN: Duration = Duration::from_secs(2);

pub fn routes(db: Db) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(db)
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

async fn readyz(State(db): State<Db>) -> Response {
    let verdict = tokio::time::timeout(READY_WITHIN, db.readiness())
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "the database did not answer within {} s",
                READY_WITHIN.as_secs()
            ))
        });
    match verdict {
        Ok(()) => plain(StatusCode::OK, "ready\n".into()),
        Err(reason) => {
            tracing::warn!(%reason, "not ready");
            plain(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("not ready: {reason}\n"),
            )
        }
    }
}
