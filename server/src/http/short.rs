//! `GET /s/{code}`: a redirect to the full link's path on this server, or a 404 page.

use crate::links::LinkStore;
use app::domain::link::ShortCode;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use http::header::{HeaderValue, CACHE_CONTROL, LOCATION};
use http::StatusCode;
use std::sync::Arc;

const NOT_FOUND_PAGE: &str = r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Link not found · Flowshare</title><link rel="stylesheet" href="/pkg/flowshare.css"></head><body><main class="refusal"><h1>This link does not exist</h1><p>It may have been mistyped, copied incompletely, or withdrawn by whoever shared it. Ask them for a new link.</p></main></body></html>"#;

pub async fn short_link(State(links): State<Arc<LinkStore>>, Path(code): Path<String>) -> Response {
    let no_store = (CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let not_found = || {
        (
            StatusCode::NOT_FOUND,
            [no_store.clone()],
            Html(NOT_FOUND_PAGE),
        )
            .into_response()
    };
    let Some(code) = ShortCode::parse(&code) else {
        return not_found();
    };
    match links.short_link_target(&code).await {
        // The target is a path built by `LinkAddress`: always `/f/…` on this server.
        Ok(Some(path)) => match HeaderValue::from_str(&path) {
            Ok(location) => (StatusCode::FOUND, [(LOCATION, location), no_store]).into_response(),
            Err(_) => not_found(),
        },
        Ok(None) => not_found(),
        Err(err) => {
            tracing::error!(error = %err, "resolving a short link");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [no_store],
                Html("<!DOCTYPE html><title>Try again</title><p>Something went wrong. Please try again in a moment.</p>"),
            )
                .into_response()
        }
    }
}
