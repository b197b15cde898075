//! What every request is stamped with on the way in: who is asking (its [`ClientIp`], see
//! `client_ip`), which request it is (an id, returned in `X-Request-Id` and on every log line
//! written while it is served, so a person reporting a problem can quote it), and how long it took
//! (the latency histogram). Log lines name a path without what would open a link: `/s/{code}`,
//! the link id in `/f/…` and `/api/v1/links/{id}…` (shown as its `LinkRef`) and a run's token in
//! `/r/…` are replaced, and no query string, header or body is ever logged.

use super::client_ip::TrustedProxies;
use crate::metrics;
use app::ports::ClientIp;
use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use http::{HeaderName, HeaderValue};
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Instant;
use tower::{Layer, Service};
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// An id a proxy in front may already have given the request, if it is a plain token (anything
/// else could smuggle text into the log), else this instance's own: a random prefix per process
/// and a counter, unique without a system call per request.
fn request_id(request: &Request) -> HeaderValue {
    let sent = request.headers().get(REQUEST_ID).filter(|v| {
        let v = v.as_bytes();
        (1..=64).contains(&v.len())
            && v.iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    });
    if let Some(sent) = sent {
        return sent.clone();
    }
    static PREFIX: OnceLock<String> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let prefix = PREFIX.get_or_init(|| {
        let bytes = crate::security::random_bytes::<4>().unwrap_or_default();
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    });
    own_id(prefix, NEXT.fetch_add(1, Ordering::Relaxed))
}

/// `{prefix}-{n in hex}`, the counter written by hand: `format!` showed in the short-link profile.
fn own_id(prefix: &str, n: u64) -> HeaderValue {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digits = (64 - n.leading_zeros()).div_ceil(4).max(1);
    let mut id = String::with_capacity(prefix.len() + 1 + digits as usize);
    id.push_str(prefix);
    id.push('-');
    for i in (0..digits).rev() {
        id.push(char::from(HEX[((n >> (4 * i)) & 0xf) as usize]));
    }
    HeaderValue::try_from(id).unwrap_or(HeaderValue::from_static("-"))
}

/// Who sent `request`, as [`Observe`] found out. A request that did not pass through it (which
/// `front` never passes on) shares the unspecified address's budgets rather than having none.
pub fn client_of(request: &Request) -> ClientIp {
    request
        .extensions()
        .get::<ClientIp>()
        .copied()
        .unwrap_or(ClientIp(IpAddr::V4(Ipv4Addr::UNSPECIFIED)))
}

/// The path as logged: what opens a link is left out.
pub fn loggable_path(path: &str) -> String {
    let mut segments = path.split('/');
    match (segments.next(), segments.next()) {
        (Some(""), Some("s")) => "/s/…".to_owned(),
        // A run's token is its bearer secret.
        (Some(""), Some("r")) => "/r/…".to_owned(),
        (Some(""), Some("f")) => {
            let named: Vec<&str> = segments.take(2).collect();
            format!("/f/{}/…", named.join("/"))
        }
        _ => match path.strip_prefix(API_LINK_PREFIX) {
            Some(rest) => api_link_path(rest),
            None => without_ids(path),
        },
    }
}

/// `path` with every segment shaped like a link id (or a run token, which has its shape) left
/// out: a path the router does not know (`/api/v1//links/{id}`, another case) is logged as sent.
fn without_ids(path: &str) -> String {
    use app::domain::link::LinkId;
    let is_id = |segment: &str| LinkId::parse(segment).is_ok();
    if !path.split('/').any(is_id) {
        return path.to_owned();
    }
    path.split('/')
        .map(|segment| if is_id(segment) { "…" } else { segment })
        .collect::<Vec<_>>()
        .join("/")
}

/// Where the API names one link by its id, which opens an open link.
const API_LINK_PREFIX: &str = "/api/v1/links/";

/// `/api/v1/links/{id}…` with the id as its reference. Anything else sent there (a short code by
/// mistake, say) is left out whole, and after the id only the API's own `/revoke` is kept. The
/// batch route names no link.
fn api_link_path(rest: &str) -> String {
    use app::domain::link::{LinkId, LinkRef};
    let (named, after) = rest.split_once('/').unwrap_or((rest, ""));
    if named == "batch" && after.is_empty() {
        return format!("{API_LINK_PREFIX}batch");
    }
    let named =
        LinkId::parse(named).map_or_else(|_| "…".to_owned(), |id| LinkRef::of(&id).to_string());
    match after {
        "" => format!("{API_LINK_PREFIX}{named}"),
        "revoke" => format!("{API_LINK_PREFIX}{named}/revoke"),
        _ => format!("{API_LINK_PREFIX}{named}/…"),
    }
}

/// The layer that observes every request. A tower service of its own rather than `from_fn`: this
/// runs on every request, and `from_fn`'s per-request boxing and cloning of the inner stack showed
/// in the short-link benchmark.
#[derive(Debug, Clone)]
pub struct ObserveLayer {
    pub proxies: TrustedProxies,
}

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Observe {
            inner,
            proxies: self.proxies.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Observe<S> {
    inner: S,
    proxies: TrustedProxies,
}

impl<S> Service<Request> for Observe<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        // Without a peer address (a router driven in-process) all requests share the unspecified
        // address, so they share one budget rather than none.
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
        let client = self.proxies.client(peer, request.headers());
        request.extensions_mut().insert(ClientIp(client));
        let id = request_id(&request);
        let path = request.uri().path();
        let group = metrics::RouteGroup::of(path);
        let span = tracing::info_span!(
            "request",
            id = id.to_str().unwrap_or_default(),
            method = %request.method(),
            path = %loggable_path(path),
        );
        let started = Instant::now();
        let served = span.in_scope(|| self.inner.call(request));
        Box::pin(async move {
            let Ok(mut response) = served.instrument(span.clone()).await;
            let took = started.elapsed();
            metrics::http_request(group, took);
            let status = response.status().as_u16();
            span.in_scope(|| {
                // Every request at debug (RUST_LOG=server=debug gives an access log); failures always.
                if status >= 500 {
                    tracing::warn!(status, ms = took.as_millis() as u64, "served");
                } else {
                    tracing::debug!(status, ms = took.as_millis() as u64, "served");
                }
            });
            response.headers_mut().insert(REQUEST_ID, id);
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_paths_leave_out_what_opens_a_link() {
        assert_eq!(loggable_path("/s/23456789abc"), "/s/…");
        assert_eq!(loggable_path("/r/abcdefghijklmnopqrstuv"), "/r/…");
        assert_eq!(
            loggable_path("/f/help-centre/order-status/AAAAAAAAAAAAAAAAAAAAAA"),
            "/f/help-centre/order-status/…"
        );
        assert_eq!(loggable_path("/flows/order-status"), "/flows/order-status");
        for unrouted in [
            "/api/v1//links/AAAAAAAAAAAAAAAAAAAAAA",
            "/API/v1/links/AAAAAAAAAAAAAAAAAAAAAA/revoke",
            "/F/app/flow/AAAAAAAAAAAAAAAAAAAAAA",
        ] {
            let logged = loggable_path(unrouted);
            assert!(!logged.contains("AAAAAAAAAAAAAAAAAAAAAA"), "{logged}");
            assert!(logged.contains('…'), "{logged}");
        }
        assert_eq!(loggable_path("/api/login"), "/api/login");
    }

    #[test]
    fn api_paths_name_a_link_by_its_reference_only() {
        let id = "4fQm2x0vUu6Ww3Jq1hN9sA";
        assert_eq!(
            loggable_path(&format!("/api/v1/links/{id}")),
            "/api/v1/links/4fQm2…"
        );
        assert_eq!(
            loggable_path(&format!("/api/v1/links/{id}/revoke")),
            "/api/v1/links/4fQm2…/revoke"
        );
        // Whatever else was sent there: a short code, more segments.
        assert_eq!(
            loggable_path("/api/v1/links/23456789abc"),
            "/api/v1/links/…"
        );
        for sent in [format!("{id}/{id}"), format!("{id}/revoke/{id}")] {
            assert_eq!(
                loggable_path(&format!("/api/v1/links/{sent}")),
                "/api/v1/links/4fQm2…/…"
            );
        }
        assert_eq!(loggable_path("/api/v1/links/batch"), "/api/v1/links/batch");
        assert_eq!(loggable_path("/api/v1/links"), "/api/v1/links");
    }

    #[test]
    fn a_forwarded_request_id_is_kept_only_when_it_is_a_plain_token() {
        let with = |value: &'static str| {
            let request = http::Request::get("/")
                .header(REQUEST_ID, value)
                .body(axum::body::Body::empty())
                .expect("request");
            request_id(&request)
        };
        assert_eq!(with("lb-7f3a.9"), "lb-7f3a.9");
        for hostile in ["a b", "x\" injected=\"y", ""] {
            assert_ne!(with(hostile), hostile);
        }
        let (one, two) = (with("a b"), with("a b"));
        assert_ne!(one, two, "fresh ids are distinct");
    }

    #[test]
    fn own_ids_are_the_prefix_and_the_counter_in_hex() {
        for (n, id) in [
            (0, "0a1b2c3d-0"),
            (1, "0a1b2c3d-1"),
            (0xabc, "0a1b2c3d-abc"),
            (u64::MAX, "0a1b2c3d-ffffffffffffffff"),
        ] {
            assert_eq!(own_id("0a1b2c3d", n), id);
        }
    }
}
