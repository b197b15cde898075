//! Security headers: what differs between console pages (never framed) and public flow pages
//! (framed only by their application's allowed origins), written here and nowhere else.

use app::domain::run::is_public_path;
use axum::extract::Request;
use axum::response::Response;
use http::header::{HeaderName, HeaderValue, REFERRER_POLICY};
use http::HeaderMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tower::{Layer, Service};

pub const CONTENT_SECURITY_POLICY: HeaderName = HeaderName::from_static("content-security-policy");
/// Search engines' instructions for one response (recipients' pages and short links: none indexed).
pub const X_ROBOTS_TAG: HeaderName = HeaderName::from_static("x-robots-tag");
pub const NO_INDEX: &str = "noindex, nofollow";

/// `/robots.txt`: recipients' pages are for the people a link was sent to, never for an index.
/// (Each of them also says so itself, in `X-Robots-Tag` and a `<meta name="robots">`, for
/// crawlers that fetch them anyway.)
pub const ROBOTS_TXT: &str =
    "User-agent: *\nDisallow: /f/\nDisallow: /s/\nDisallow: /r/\nDisallow: /refused/\n";

/// A recipient's page's policy: no script at all (the pages are plain forms), styles and images
/// from this server, forms posted only here, and framed by exactly `ancestors` (nobody when there
/// are none).
pub fn player_policy<'a>(ancestors: impl IntoIterator<Item = &'a str>) -> HeaderValue {
    // Written in one buffer and handed over without a copy: this is on every page a recipient opens.
    let mut policy = String::with_capacity(256);
    policy.push_str(
        "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; \
         connect-src 'none'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors",
    );
    let mut framed = false;
    for origin in ancestors.into_iter().filter(|o| !o.is_empty()) {
        policy.push(' ');
        policy.push_str(origin);
        framed = true;
    }
    if !framed {
        policy.push_str(" 'none'");
    }
    // Origins are checked when an application is saved; should one still not fit a header,
    // the page is framed by nobody rather than served without a policy.
    HeaderValue::try_from(policy).unwrap_or(HeaderValue::from_static(
        "default-src 'self'; script-src 'none'; frame-ancestors 'none'",
    ))
}

/// A console page's policy: scripts only from this server or with the nonce Leptos wrote on this
/// page's hydration script (and wasm), so markup that got into a page cannot run; plugins,
/// `<base>` and forms to elsewhere are refused too, and nobody may frame it.
pub fn console_policy(nonce: &str) -> HeaderValue {
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
         object-src 'none'; frame-ancestors 'none'"
    );
    HeaderValue::try_from(policy).unwrap_or(HeaderValue::from_static(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; frame-ancestors 'none'",
    ))
}

/// Sets the console page's policy from inside its rendering (the Leptos context every console
/// route and the not-found page get), where the page's nonce is known. Server functions and
/// static files have no nonce: they keep the defaults below.
pub fn console_page_policy() {
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
    ) {
        response.insert_header(CONTENT_SECURITY_POLICY, console_policy(nonce.as_inner()));
    }
}

/// Adds the headers every page needs by its kind, unless the page set its own.
///
/// A tower layer of its own rather than `middleware::from_fn`: it runs on every request, and
/// `from_fn` boxes the inner stack and its future per request, which showed in the link
/// benchmarks. This one only wraps the inner future.
#[derive(Debug, Clone, Copy, Default)]
pub struct SecurityHeadersLayer;

impl<S> Layer<S> for SecurityHeadersLayer {
    type Service = SecurityHeaders<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SecurityHeaders { inner }
    }
}

#[derive(Debug, Clone)]
pub struct SecurityHeaders<S> {
    inner: S,
}

impl<S> Service<Request> for SecurityHeaders<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = WithHeaders<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        WithHeaders {
            public: is_public_path(request.uri().path()),
            served: self.inner.call(request),
        }
    }
}

pin_project_lite::pin_project! {
    /// The inner service's response, with the defaults added when it is ready.
    pub struct WithHeaders<F> {
        public: bool,
        #[pin]
        served: F,
    }
}

impl<F> Future for WithHeaders<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Ok(mut response) = ready!(this.served.poll(cx));
        // A redirect with somewhere to go is followed, never rendered: nothing in it can be
        // sniffed or framed, and the page it leads to carries its own headers. Every Location
        // written here is a local path but one, an ending's redirect to its application's own
        // page, which sets its own headers (`http::player`). A redirect's Referrer-Policy would
        // only govern that next request, whose referrer is the page that started the navigation,
        // never the redirecting URL, under that page's own policy. Left off, the short-link
        // redirect, the busiest response there is, stays small.
        let followed = response.status().is_redirection()
            && response.headers().contains_key(http::header::LOCATION);
        if !followed {
            add_defaults(response.headers_mut(), *this.public);
        }
        Poll::Ready(Ok(response))
    }
}

fn add_defaults(headers: &mut HeaderMap, public: bool) {
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
        // A link posted somewhere public must not be indexed with its parameters.
        default(X_ROBOTS_TAG, NO_INDEX);
    } else {
        default(REFERRER_POLICY, "same-origin");
        default(HeaderName::from_static("x-frame-options"), "DENY");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::IntoResponse;
    use tower::ServiceExt;

    /// What the layer makes of `answer` to a request for `path`.
    async fn served(path: &str, answer: fn() -> Response) -> HeaderMap {
        let inner =
            tower::service_fn(move |_: Request| async move { Ok::<_, Infallible>(answer()) });
        let request = Request::get(path)
            .body(axum::body::Body::empty())
            .expect("request");
        let Ok(response) = SecurityHeadersLayer.layer(inner).oneshot(request).await;
        response.headers().clone()
    }

    #[tokio::test]
    async fn pages_get_the_defaults_of_their_kind_unless_they_set_their_own() {
        fn page() -> Response {
            Response::new(axum::body::Body::from("<p>hi</p>"))
        }
        let console = served("/flows", page).await;
        assert_eq!(console["x-frame-options"], "DENY");
        assert_eq!(console[REFERRER_POLICY], "same-origin");
        assert_eq!(console[CONTENT_SECURITY_POLICY], "frame-ancestors 'none'");
        assert_eq!(console["x-content-type-options"], "nosniff");

        let public = served("/s/23456789abc", page).await;
        assert_eq!(public[REFERRER_POLICY], "no-referrer");
        assert!(public.get("x-frame-options").is_none());

        let own = served("/f/a/b/c", || {
            let mut response = Response::new(axum::body::Body::empty());
            response.headers_mut().insert(
                CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("frame-ancestors https://shop.example"),
            );
            response
        })
        .await;
        assert_eq!(
            own[CONTENT_SECURITY_POLICY],
            "frame-ancestors https://shop.example"
        );
    }

    #[tokio::test]
    async fn a_3xx_without_a_location_is_shown_and_gets_them() {
        let headers = served("/flows", || {
            let mut response = Response::new(axum::body::Body::from("<p>choose</p>"));
            *response.status_mut() = http::StatusCode::MULTIPLE_CHOICES;
            response
        })
        .await;
        assert_eq!(headers["x-frame-options"], "DENY");
    }

    #[tokio::test]
    async fn a_redirect_renders_nothing_and_gets_none_of_them() {
        for path in ["/s/23456789abc", "/flows"] {
            let headers = served(path, || {
                axum::response::Redirect::to("/f/a/b/c").into_response()
            })
            .await;
            assert_eq!(headers.len(), 1, "{path}: only its Location, {headers:?}");
        }
    }

    #[test]
    fn a_console_page_runs_only_its_own_scripts_and_is_framed_by_nobody() {
        let policy = console_policy("N0nce");
        let policy = policy.to_str().expect("ascii");
        for part in [
            "script-src 'self' 'nonce-N0nce' 'wasm-unsafe-eval';",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(policy.contains(part), "{part} in {policy}");
        }
        assert!(!policy.contains("unsafe-inline"));
    }

    #[test]
    fn a_player_page_runs_no_script_and_is_framed_by_its_origins_or_by_nobody() {
        let policy = player_policy(["https://a.example", "https://b.example"]);
        let policy = policy.to_str().expect("ascii");
        assert!(policy.contains("script-src 'none';"), "{policy}");
        assert!(
            !policy.contains("nonce") && !policy.contains("wasm"),
            "{policy}"
        );
        assert!(policy.ends_with("frame-ancestors https://a.example https://b.example"));
        for none in [player_policy([]), player_policy([""])] {
            assert!(none
                .to_str()
                .expect("ascii")
                .ends_with("frame-ancestors 'none'"));
        }
    }
}
