//! Plain axum routes and layers for the public side: `/s/{code}` redirects, and the security
//! headers that differ between console pages (never framed) and public flow pages (framed only by
//! their application's allowed origins, which the page itself declares).

use crate::db::Store;
use crate::sharing::short_code::ShortCode;
use axum::extract::{Path, Request, State};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use http::header::{HeaderName, HeaderValue, CACHE_CONTROL, LOCATION, REFERRER_POLICY};
use http::StatusCode;
use std::sync::Arc;

/// Paths recipients open; everything else is the console.
pub fn is_public(path: &str) -> bool {
    path.starts_with("/f/") || path.starts_with("/s/")
}

const NOT_FOUND_PAGE: &str = r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Link not found · Flowshare</title><link rel="stylesheet" href="/pkg/flowshare.css"></head><body><main class="refusal"><h1>This link does not exist</h1><p>It may have been mistyped, copied incompletely, or withdrawn by whoever shared it. Ask them for a new link.</p></main></body></html>"#;

/// `GET /s/{code}`: a redirect to the full link on this server, or a 404 page.
pub async fn short_link(State(store): State<Arc<Store>>, Path(code): Path<String>) -> Response {
    let no_store = (CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let Some(code) = ShortCode::parse(&code) else {
        return (StatusCode::NOT_FOUND, [no_store], Html(NOT_FOUND_PAGE)).into_response();
    };
    match store.short_link_path(code.as_str()).await {
        Ok(Some(path)) => match HeaderValue::from_str(&path) {
            Ok(location) => (StatusCode::FOUND, [(LOCATION, location), no_store]).into_response(),
            Err(_) => (StatusCode::NOT_FOUND, [no_store], Html(NOT_FOUND_PAGE)).into_response(),
        },
        Ok(None) => (StatusCode::NOT_FOUND, [no_store], Html(NOT_FOUND_PAGE)).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "resolving a short link");
            (StatusCode::INTERNAL_SERVER_ERROR, Html("<!DOCTYPE html><title>Error</title><p>Something went wrong. Please try again.</p>"))
                .into_response()
        }
    }
}

/// Adds the headers every response needs by the kind of page, unless the page set its own.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let public = is_public(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut default = |name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    default(HeaderName::from_static("x-content-type-options"), "nosniff");
    if public {
        // A token in a URL must not reach third parties through Referer.
        default(REFERRER_POLICY, "no-referrer");
        default(
            HeaderName::from_static("content-security-policy"),
            "frame-ancestors 'none'",
        );
    } else {
        default(REFERRER_POLICY, "same-origin");
        default(HeaderName::from_static("x-frame-options"), "DENY");
        default(
            HeaderName::from_static("content-security-policy"),
            "frame-ancestors 'none'",
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::is_public;

    #[test]
    fn only_link_paths_are_public() {
        assert!(is_public("/f/app/flow/id") && is_public("/s/abc"));
        assert!(
            !is_public("/flows")
                && !is_public("/login")
                && !is_public("/fa")
                && !is_public("/api/x")
        );
    }
}
