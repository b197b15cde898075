//! The service every connection is served by, outermost first:
//!
//! 1. the health checks (`health`), answered before anything else: a balancer's polling is not
//!    logged, timed or limited;
//! 2. every other request is observed (`observe`), gets its security headers (`headers`) and the
//!    cross-site check (`csrf`);
//! 3. then a recipient's page (`/s/…`, `/f/…`, `/r/…`, `/refused/…`) goes straight to its handler
//!    here, and everything else to the axum router (the console's pages, server functions, API).
//!
//! Recipients' pages are dispatched here, not by the router, because they are the hot path: every
//! open of every link. The router's work per request (matching, cloning and boxing the route and
//! each layer around it, path parameters and the matched path as extensions) was over a third of
//! a short link's CPU time in profiles (`callgrind`), for four fixed shapes of path.

use super::csrf::{SameOriginLayer, SameOriginOnly};
use super::headers::{SecurityHeaders, SecurityHeadersLayer};
use super::observe::{Observe, ObserveLayer};
use super::player::{self, PlayerState};
use super::short::{self, ShortState};
use app::domain::link::{FULL_PREFIX, SHORT_PREFIX};
use app::domain::run::{REFUSED_PREFIX, RUN_PREFIX};
use axum::body::{Body, HttpBody};
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use axum::routing::future::RouteFuture;
use axum::Router;
use futures_util::future::{BoxFuture, Either};
use http::header::{ALLOW, CONTENT_LENGTH};
use http::{HeaderValue, Method, StatusCode};
use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::Service;

/// A recipient's page, by the shape of its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    /// `/s/{code}`
    Short,
    /// `/f/{application}/{flow}/{link}`
    Link,
    /// `/r/{token}`
    Run,
    /// `/refused/{code}`
    Refused,
}

impl Page {
    /// The page `path` asks for: one of the four shapes with none of its segments empty. Anything
    /// else (`/s/`, `/f/a/b`, `/r/x/`) is not a recipient's page and goes to the router (a 404).
    /// Segments are raw, never percent-decoded: every code, token and link part is written in
    /// unreserved characters only, and each handler checks its segment strictly.
    fn of(path: &str) -> Option<Self> {
        let shapes = [
            (SHORT_PREFIX, 1, Self::Short),
            (FULL_PREFIX, 3, Self::Link),
            (RUN_PREFIX, 1, Self::Run),
            (REFUSED_PREFIX, 1, Self::Refused),
        ];
        shapes.into_iter().find_map(|(prefix, segments, page)| {
            let rest = path.strip_prefix(prefix)?;
            let mut count = 0;
            for segment in rest.split('/') {
                count += 1;
                if segment.is_empty() || count > segments {
                    return None;
                }
            }
            (count == segments).then_some(page)
        })
    }
}

/// Every recipient's page is read-only: `GET` and `HEAD`.
fn method_not_allowed() -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(ALLOW, HeaderValue::from_static("GET,HEAD"))],
    )
        .into_response()
}

/// The state of the recipients' pages.
pub struct Pages {
    pub short: Arc<ShortState>,
    pub player: Arc<PlayerState>,
}

/// Recipients' pages to their handlers, everything else to `console`.
#[derive(Clone)]
pub struct Lanes<S> {
    pages: Arc<Pages>,
    console: S,
}

impl<S> Service<Request> for Lanes<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<BoxFuture<'static, Result<Response, Infallible>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.console.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let Some(page) = Page::of(request.uri().path()) else {
            return Either::Right(self.console.call(request));
        };
        let pages = self.pages.clone();
        Either::Left(Box::pin(async move {
            if !matches!(*request.method(), Method::GET | Method::HEAD) {
                return Ok(method_not_allowed());
            }
            let head = request.method() == Method::HEAD;
            let response = match page {
                Page::Short => {
                    let client = super::observe::client_of(&request);
                    short::short_link(
                        &pages.short,
                        client,
                        player::last_segment(request.uri().path()),
                    )
                    .await
                }
                Page::Link => player::open_page(&pages.player, request).await,
                Page::Run => player::run_page(&pages.player, request).await,
                Page::Refused => player::refused_page(&pages.player, request).await,
            };
            Ok(if head {
                without_body(response)
            } else {
                response
            })
        }))
    }
}

/// A `HEAD` answer: the `GET`'s headers, its length included, and no body (whatever the protocol
/// under it would do with one).
fn without_body(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    if let Some(length) = body.size_hint().exact() {
        parts
            .headers
            .entry(CONTENT_LENGTH)
            .or_insert(HeaderValue::from(length));
    }
    Response::from_parts(parts, Body::empty())
}

/// Everything but the health checks, in the order of the module's list.
type Stack = Observe<SecurityHeaders<SameOriginOnly<Lanes<Router>>>>;

/// The whole application as one service (see the module's doc).
#[derive(Clone)]
pub struct Front {
    health: Router,
    stack: Stack,
}

impl Front {
    pub fn new(
        health: Router,
        pages: Pages,
        console: Router,
        observe: ObserveLayer,
        same_origin: SameOriginLayer,
    ) -> Self {
        let lanes = Lanes {
            pages: Arc::new(pages),
            console,
        };
        let stack = tower::ServiceBuilder::new()
            .layer(observe)
            .layer(SecurityHeadersLayer)
            .layer(same_origin)
            .service(lanes);
        Self { health, stack }
    }
}

impl Service<Request> for Front {
    type Response = Response;
    type Error = Infallible;
    type Future = Either<RouteFuture<Infallible>, <Stack as Service<Request>>::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        std::task::ready!(Service::<Request>::poll_ready(&mut self.health, cx))?;
        self.stack.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if super::health::is_health_check(request.uri().path()) {
            Either::Left(self.health.call(request))
        } else {
            Either::Right(self.stack.call(request))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_pages_are_told_by_the_shape_of_their_path() {
        let cases = [
            ("/s/abcdefghjkm", Some(Page::Short)),
            ("/f/app/flow/link", Some(Page::Link)),
            ("/r/token", Some(Page::Run)),
            ("/refused/not-valid", Some(Page::Refused)),
            // Not one of the shapes: the router's 404.
            ("/s/", None),
            ("/s/a/b", None),
            ("/s/a/", None),
            ("/f/app/flow", None),
            ("/f/app//link", None),
            ("/f/app/flow/link/more", None),
            ("/r/", None),
            ("/refused", None),
            ("/refused/", None),
            ("/r/a/b", None),
            ("/s//x", None),
            ("//s/x", None),
            // The shape is a page's; what its segments say is for the handler to refuse.
            ("/f/a/b/..", Some(Page::Link)),
            ("/s/%32%33", Some(Page::Short)),
            ("/flows", None),
            ("/sx/abc", None),
            ("/", None),
        ];
        for (path, page) in cases {
            assert_eq!(Page::of(path), page, "{path}");
        }
    }
}
