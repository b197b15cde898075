//! Cross-site request forgery: a state-changing request that carries the session cookie is served
//! only when it comes from this server's own pages — its `Origin` is the console's public origin,
//! or, from a browser that sends no `Origin`, `Sec-Fetch-Site: same-origin`. SameSite=Lax alone
//! lets any same-site page (a sibling subdomain, often the very site that embeds our links) post
//! with an admin's cookie. A device cookie counts as well: sign-in attempts made with it spend
//! that browser's own budget. Requests with neither (a first sign-in, a recipient's start) are
//! not concerned: they act with no one's authority.

use app::api::request::cookie_in;
use app::ports::CookiePolicy;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use futures_util::future::Either;
use http::header::{CONTENT_TYPE, COOKIE, ORIGIN};
use http::{HeaderMap, Method, StatusCode};
use std::convert::Infallible;
use std::future::{ready, Ready};
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::{Layer, Service};

/// The console's origin as browsers send it: `scheme://host[:port]`.
#[derive(Debug, Clone)]
pub struct ConsoleOrigin(Arc<str>);

impl ConsoleOrigin {
    /// From the console's public URL (any path prefix is not part of an origin).
    pub fn of(public_url: &str) -> Option<Self> {
        let url = url::Url::parse(public_url).ok()?;
        let origin = url.origin();
        origin
            .is_tuple()
            .then(|| Self(origin.ascii_serialization().into()))
    }

    /// `scheme://host[:port]`, as browsers send it in `Origin`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

const REFUSAL: &str = r#"{"Forbidden":"this request did not come from Flowshare's own pages, so it was refused (cross-site request). Reload the console and try again."}"#;

fn carries_session(headers: &HeaderMap) -> bool {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            // Either name: a session cookie of any spelling makes the request one with authority.
            // So does a device cookie: another site's form must not spend (and lock) a browser's
            // own sign-in budget with guesses.
            CookiePolicy::NAMES
                .iter()
                .chain(&CookiePolicy::DEVICE_NAMES)
                .any(|name| cookie_in(v, name).is_some())
        })
}

fn from_own_pages(headers: &HeaderMap, origin: &ConsoleOrigin) -> bool {
    match headers.get(ORIGIN) {
        Some(sent) => sent.as_bytes() == origin.0.as_bytes(),
        None => headers
            .get("sec-fetch-site")
            .is_some_and(|site| site.as_bytes() == b"same-origin"),
    }
}

/// Requests that use no one's session, so a session cookie that happens to come along does not
/// make them cross-site requests:
/// - a recipient's moves in a run (the run's token is the only authority). Public pages send no
///   `Referer`, so a browser posts their forms with `Origin: null`; without this, a signed-in
///   console user trying a link with JavaScript off would be refused;
/// - the API for systems (`/api/v1/…`, and the seed system's `/interact/…` route): an API key is
///   its only authority, and a cookie opens nothing there.
fn acts_for_no_one(path: &str) -> bool {
    use app::api::runs::{RunStep, StartRun};
    use leptos::server_fn::ServerFn;
    path == StartRun::PATH
        || path == RunStep::PATH
        || path.starts_with("/api/v1/")
        || path.starts_with("/interact/")
}

/// Refuses state-changing requests that carry a session but not from the console's own pages.
///
/// A tower layer rather than `middleware::from_fn`, which boxes the inner stack and its future
/// on every request (reads included, though only writes are ever refused).
#[derive(Debug, Clone)]
pub struct SameOriginLayer {
    pub origin: ConsoleOrigin,
}

impl<S> Layer<S> for SameOriginLayer {
    type Service = SameOriginOnly<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SameOriginOnly {
            inner,
            origin: self.origin.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SameOriginOnly<S> {
    inner: S,
    origin: ConsoleOrigin,
}

impl<S> Service<Request> for SameOriginOnly<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Result<Response, Infallible>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if is_cross_site(&request, &self.origin) {
            // A refusal, not a fault: at debug, so a client cannot fill the log with them.
            tracing::debug!(path = %super::observe::loggable_path(request.uri().path()), "refused a cross-site request carrying a session");
            let refusal = (
                StatusCode::FORBIDDEN,
                [(CONTENT_TYPE, "application/json")],
                REFUSAL,
            )
                .into_response();
            return Either::Left(ready(Ok(refusal)));
        }
        Either::Right(self.inner.call(request))
    }
}

fn is_cross_site(request: &Request, origin: &ConsoleOrigin) -> bool {
    let state_changing = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    state_changing
        && !acts_for_no_one(request.uri().path())
        && carries_session(request.headers())
        && !from_own_pages(request.headers(), origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(n, v)| {
                (
                    http::HeaderName::from_static(n),
                    http::HeaderValue::from_static(v),
                )
            })
            .collect()
    }

    #[test]
    fn no_console_server_function_is_exempt() {
        use app::api::runs::{RunStep, StartRun};
        use leptos::server_fn::ServerFn;
        let mut seen = 0;
        for (path, _) in leptos::server_fn::axum::server_fn_paths() {
            let recipients = path == StartRun::PATH || path == RunStep::PATH;
            assert_eq!(acts_for_no_one(path), recipients, "{path}");
            seen += 1;
        }
        assert!(
            seen > 20,
            "the console's server functions are registered ({seen})"
        );
        assert!(acts_for_no_one("/api/v1/links"));
        assert!(acts_for_no_one(
            "/interact/version/2/account/a/resources/campaign/url/c"
        ));
    }

    #[test]
    fn only_the_consoles_own_origin_counts() {
        let origin = ConsoleOrigin::of("https://flows.example.com/console").expect("origin");
        assert!(from_own_pages(
            &headers(&[("origin", "https://flows.example.com")]),
            &origin
        ));
        assert!(from_own_pages(
            &headers(&[("sec-fetch-site", "same-origin")]),
            &origin
        ));
        for refused in [
            headers(&[("origin", "https://evil.example")]),
            headers(&[("origin", "https://shop.flows.example.com")]),
            headers(&[("origin", "http://flows.example.com")]),
            headers(&[("origin", "null")]),
            headers(&[("sec-fetch-site", "same-site")]),
            headers(&[("sec-fetch-site", "cross-site")]),
            headers(&[]),
        ] {
            assert!(!from_own_pages(&refused, &origin), "{refused:?}");
        }
        assert!(carries_session(&headers(&[(
            "cookie",
            "a=1; flowshare_session=t"
        )])));
        assert!(carries_session(&headers(&[(
            "cookie",
            "__Host-flowshare_session=t"
        )])));
        assert!(
            carries_session(&headers(&[("cookie", "flowshare_device=d")])),
            "a known browser's guesses are its own to spend"
        );
        assert!(!carries_session(&headers(&[("cookie", "a=1")])));
    }
}
