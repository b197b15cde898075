//! `GET /f/{application}/{flow}/{link}`: the recipient's page, on the hot path.
//!
//! Every request is checked in full (through the link cache: key version, flow state, token,
//! expiry), so revocation, key regeneration and expiry always hold. A page that passed depends only
//! on its link and query, apart from its CSP nonce, so the first rendering is kept with the nonce
//! cut out, and later requests get that page with a fresh nonce instead of a full Leptos render.
//! Refusals and misses are rendered by Leptos as usual.

use super::cache::CachedPage;
use crate::db::Store;
use crate::security::random_bytes;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, StatusCode};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Renders a request with the full Leptos application.
pub type Render = Arc<
    dyn Fn(Request<Body>) -> Pin<Box<dyn Future<Output = Response<Body>> + Send>> + Send + Sync,
>;

#[derive(Clone)]
pub struct PlayerState {
    pub store: Arc<Store>,
    pub render: Render,
}

/// Stands where the nonce was; cannot occur in a rendered page (it is not valid HTML text).
const NONCE_MARK: &str = "\u{0}nonce\u{0}";
const CSP: &str = "content-security-policy";
/// The largest page worth keeping; a flow's page is a few kilobytes.
const MAX_PAGE_BYTES: usize = 256 * 1024;

fn nonce_of(csp: &str) -> Option<&str> {
    let start = csp.find("'nonce-")? + "'nonce-".len();
    let len = csp[start..].find('\'')?;
    Some(&csp[start..start + len]).filter(|n| n.len() >= 16)
}

async fn capture(response: Response<Body>) -> Result<CachedPage, Response<Body>> {
    let (parts, body) = response.into_parts();
    let csp = parts
        .headers
        .get(CSP)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return Err((
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be read",
            )
                .into_response())
        }
    };
    let rebuild = |bytes: axum::body::Bytes| Response::from_parts(parts.clone(), Body::from(bytes));
    let (Some(csp), Ok(html)) = (csp, std::str::from_utf8(&bytes)) else {
        return Err(rebuild(bytes));
    };
    let Some(nonce) = nonce_of(&csp) else {
        return Err(rebuild(bytes));
    };
    Ok(CachedPage {
        html: html.replace(nonce, NONCE_MARK),
        csp: csp.replace(nonce, NONCE_MARK),
        cache_control: parts.headers.get(CACHE_CONTROL).cloned(),
    })
}

fn respond(page: &CachedPage) -> Response {
    let nonce = match random_bytes::<16>() {
        Ok(bytes) => URL_SAFE_NO_PAD.encode(bytes),
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "no randomness").into_response(),
    };
    let Ok(csp) = HeaderValue::from_str(&page.csp.replace(NONCE_MARK, &nonce)) else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "bad policy").into_response();
    };
    let mut response = Response::new(Body::from(page.html.replace(NONCE_MARK, &nonce)));
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CSP, csp);
    if let Some(cache_control) = &page.cache_control {
        headers.insert(CACHE_CONTROL, cache_control.clone());
    }
    response
}

pub async fn open_page(
    State(state): State<PlayerState>,
    Path((application, flow, link)): Path<(String, String, String)>,
    request: Request,
) -> Response {
    let query = request.uri().query().unwrap_or_default().to_owned();
    let opened = matches!(
        state
            .store
            .check_link(&application, &flow, &link, &query)
            .await,
        Ok(Ok(_))
    );
    if !opened {
        return (state.render)(request).await;
    }
    let key = format!("{application}/{flow}/{link}?{query}");
    if let Some(page) = state.store.cache.page(&key) {
        return respond(&page);
    }
    let rendered = (state.render)(request).await;
    if rendered.status() != StatusCode::OK {
        return rendered;
    }
    match capture(rendered).await {
        Ok(page) => respond(&state.store.cache.put_page(&key, page)),
        Err(response) => response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nonce_is_read_from_the_policy() {
        let csp =
            "default-src 'self'; script-src 'self' 'nonce-AbCdEfGhIjKlMnOpQr' 'wasm-unsafe-eval'";
        assert_eq!(nonce_of(csp), Some("AbCdEfGhIjKlMnOpQr"));
        assert_eq!(nonce_of("script-src 'self' 'nonce-'"), None);
        assert_eq!(nonce_of("script-src 'self'"), None);
    }

    #[test]
    fn each_served_copy_gets_its_own_nonce() {
        let page = CachedPage {
            html: format!("<script nonce=\"{NONCE_MARK}\">x</script>"),
            csp: format!("script-src 'nonce-{NONCE_MARK}'"),
            cache_control: None,
        };
        let (a, b) = (respond(&page), respond(&page));
        let csp = |r: &Response| {
            r.headers()
                .get(CSP)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        assert_ne!(csp(&a), csp(&b));
        assert!(!csp(&a).unwrap_or_default().contains('\u{0}'));
    }
}
