//! `GET /s/{code}`: a redirect to the full link's path on this server, or a 404 page. Codes that
//! lead nowhere are counted per client; a client out of misses gets 429 for every code (real ones
//! too, or it would still learn each hit at full speed) until its next try is free.

use crate::links::LinkStore;
use crate::metrics::{self, ShortLink};
use crate::security::limits::Limits;
use app::domain::link::ShortCode;
use app::error::wait_text;
use app::ports::{ClientIp, Limited};
use app::refusal::Refusal;
use axum::body::Body;
use axum::response::{Html, IntoResponse, Response};
use http::header::{HeaderValue, CACHE_CONTROL, LOCATION, RETRY_AFTER};
use http::StatusCode;
use std::sync::Arc;

pub struct ShortState {
    links: LinkStore,
    limits: Arc<Limits>,
    /// The style sheet's address (hashed by the build), for the pages below.
    stylesheet: String,
    /// The page for a code that leads nowhere, written once.
    not_found_page: axum::body::Bytes,
}

impl ShortState {
    pub fn new(links: LinkStore, limits: Arc<Limits>, stylesheet: String) -> Self {
        let not_found_page = page(
            &stylesheet,
            "Link not found",
            "This link does not exist",
            "It may have been mistyped, copied incompletely, or withdrawn by whoever shared it. Ask them for a new link.",
        )
        .into();
        Self {
            links,
            limits,
            stylesheet,
            not_found_page,
        }
    }
}

/// These pages' policy: a recipient's page's, framed by nobody (no script runs on them).
fn no_script() -> (http::HeaderName, HeaderValue) {
    (
        super::headers::CONTENT_SECURITY_POLICY,
        super::headers::player_policy([]),
    )
}

/// A page of its own, not Leptos's: `title` and `text` are this file's constants.
fn page(stylesheet: &str, title: &str, heading: &str, text: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} · Flowshare</title><link rel="stylesheet" href="{stylesheet}"></head><body><main class="refusal"><h1>{heading}</h1><p>{text}</p></main></body></html>"#
    )
}

const NO_STORE: (http::HeaderName, HeaderValue) =
    (CACHE_CONTROL, HeaderValue::from_static("no-store"));

/// The 302 itself, its two headers inserted directly (the busiest response there is).
fn redirect(location: HeaderValue) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::FOUND;
    let headers = response.headers_mut();
    headers.insert(LOCATION, location);
    headers.insert(NO_STORE.0, NO_STORE.1);
    // Followed, never rendered, but a crawler reads it: the link it leads to is not for an index.
    headers.insert(
        super::headers::X_ROBOTS_TAG,
        HeaderValue::from_static(super::headers::NO_INDEX),
    );
    response
}

fn not_found(state: &ShortState) -> Response {
    (
        Refusal::LinkNotFound.http_status(),
        [NO_STORE, no_script()],
        Html(state.not_found_page.clone()),
    )
        .into_response()
}

/// The page a recipient sees when their address tried too many links that do not exist.
fn too_many(stylesheet: &str, limited: Limited) -> Response {
    let wait = wait_text(limited.retry_after_seconds);
    let page = page(
        stylesheet,
        "Too many tries",
        "Too many tries",
        &format!("Too many links that do not exist were opened from your network in a short time. Please try again in {wait}, and check that the link was copied completely."),
    );
    (
        Refusal::RateLimited.http_status(),
        [
            NO_STORE,
            no_script(),
            (RETRY_AFTER, HeaderValue::from(limited.retry_after_seconds)),
        ],
        Html(page),
    )
        .into_response()
}

/// `GET /s/{code}` (routed in `front`).
pub async fn short_link(state: &ShortState, client: ClientIp, code: &str) -> Response {
    if let Err(limited) = state.limits.short_link_allowed(client) {
        metrics::short_link(ShortLink::Limited);
        return too_many(&state.stylesheet, limited);
    }
    let missed = || match state.limits.short_link_missed(client) {
        Ok(()) => {
            metrics::short_link(ShortLink::Missing);
            not_found(state)
        }
        Err(limited) => {
            metrics::short_link(ShortLink::Limited);
            too_many(&state.stylesheet, limited)
        }
    };
    let Some(code) = ShortCode::parse(code) else {
        return missed();
    };
    match state.links.short_link_target(&code).await {
        // The target is a path built by `LinkAddress`: always `/f/…` on this server.
        Ok(Some(path)) => match HeaderValue::from_str(&path) {
            Ok(location) => {
                metrics::short_link(ShortLink::Found);
                redirect(location)
            }
            Err(_) => not_found(state),
        },
        Ok(None) => missed(),
        Err(err) => {
            tracing::error!(error = %err, "resolving a short link");
            (
                Refusal::Unavailable.http_status(),
                [NO_STORE],
                Html("<!DOCTYPE html><title>Try again</title><p>Something went wrong. Please try again in a moment.</p>"),
            )
                .into_response()
        }
    }
}
