//! Security headers: what differs between console pages (never framed) and public flow pages
//! (framed only by their application's allowed origins), written here and nowhere else.

use app::domain::link::is_public_path;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::header::{HeaderName, HeaderValue, REFERRER_POLICY};

pub const CONTENT_SECURITY_POLICY: HeaderName = HeaderName::from_static("content-security-policy");

/// A player page's policy: scripts only from this server or with this response's nonce, wasm
/// allowed, and framed by exactly `ancestors` (nobody when there are none).
pub fn player_policy<'a>(nonce: &str, ancestors: impl IntoIterator<Item = &'a str>) -> HeaderValue {
    let mut frame_ancestors = ancestors.into_iter().collect::<Vec<_>>().join(" ");
    if frame_ancestors.is_empty() {
        frame_ancestors.push_str("'none'");
    }
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors {frame_ancestors}"
    );
    // Origins are checked when an application is saved; should one still not fit a header,
    // the page is framed by nobody rather than served without a policy.
    HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; frame-ancestors 'none'",
    ))
}

/// Adds the headers every response needs by the kind of page, unless the page set its own.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let public = is_public_path(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut default = |name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    default(HeaderName::from_static("x-content-type-options"), "nosniff");
    default(CONTENT_SECURITY_POLICY, "frame-ancestors 'none'");
    if public {
        // A token in a URL must not reach third parties through Referer.
        default(REFERRER_POLICY, "no-referrer");
    } else {
        default(REFERRER_POLICY, "same-origin");
        default(HeaderName::from_static("x-frame-options"), "DENY");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_player_page_is_framed_by_its_origins_or_by_nobody() {
        let policy = player_policy("N0nce", ["https://a.example", "https://b.example"]);
        let policy = policy.to_str().expect("ascii");
        assert!(policy.contains("'nonce-N0nce'"));
        assert!(policy.ends_with("frame-ancestors https://a.example https://b.example"));
        let none = player_policy("N0nce", []);
        assert!(none
            .to_str()
            .expect("ascii")
            .ends_with("frame-ancestors 'none'"));
    }
}
