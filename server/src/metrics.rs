//! What an operator alerts on, in Prometheus's text format: every metric's name and labels are
//! written here, once, and the code that does the work calls one function per event. Recording
//! goes through the `metrics` facade: until [`install`] is called (`--metrics-listen`), each call
//! is a no-op costing a few nanoseconds.
//!
//! - `flowshare_link_opens_total{outcome}`: recipients' page opens: `ok` or the refusal
//! - `flowshare_short_links_total{outcome}`: `/s/` requests: `found`, `missing`, `limited`
//! - `flowshare_run_starts_total{outcome}`: counted starts: `ok` or the refusal
//! - `flowshare_links_generated_total{via}`: links made: `dialog` (the console), `api` (an API key)
//! - `flowshare_sign_ins_total{outcome}`: `welcome`, `refused`, `locked`, `busy`
//! - `flowshare_rate_limited_total{limit}`: 429s by the limit reached
//! - `flowshare_link_cache_lookups_total{result}`: `hit`, `miss` (link records and short codes)
//! - `flowshare_http_request_duration_seconds{group}`: a histogram per route group
//! - `flowshare_db_pool_connections{state}`: `in_use`, `idle`, read at each scrape

use crate::db::Db;
use app::domain::limits::RateLimit;
use app::domain::link::LinkRefusal;
use metrics::{counter, gauge, histogram, Counter, Histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

const REQUEST_SECONDS: &str = "flowshare_http_request_duration_seconds";

/// Every series, registered once when the recorder is installed: recording is then one atomic add
/// on a handle (a registry lookup per event, hashing names and labels, cost a measurable share of
/// a short-link redirect). Each array is indexed as its label list below.
struct Handles {
    link_opens: [Counter; OUTCOMES.len()],
    run_starts: [Counter; OUTCOMES.len()],
    short_links: [Counter; SHORT_LINK_OUTCOMES.len()],
    links_generated: [Counter; 2],
    sign_ins: [Counter; SIGN_IN_OUTCOMES.len()],
    rate_limited: [Counter; LIMITS.len()],
    cache_lookups: [Counter; 2],
    requests: [Histogram; ROUTE_GROUPS.len()],
}

const OUTCOMES: [&str; 8] = [
    "ok",
    "not_valid",
    "disabled",
    "expired",
    "used_up",
    "flow_unavailable",
    "too_many_starts",
    "unavailable",
];
const SHORT_LINK_OUTCOMES: [&str; 3] = ["found", "missing", "limited"];
const SIGN_IN_OUTCOMES: [&str; 4] = ["welcome", "refused", "locked", "busy"];
const LIMITS: [&str; 5] = [
    "run_starts",
    "short_link_misses",
    "sign_ins",
    "link_generations",
    "run_moves",
];
const ROUTE_GROUPS: [&str; 5] = ["player", "short", "api", "assets", "console"];

static HANDLES: OnceLock<Handles> = OnceLock::new();

impl Handles {
    fn register() -> Self {
        Self {
            link_opens: each("flowshare_link_opens_total", "outcome", OUTCOMES),
            run_starts: each("flowshare_run_starts_total", "outcome", OUTCOMES),
            short_links: each(
                "flowshare_short_links_total",
                "outcome",
                SHORT_LINK_OUTCOMES,
            ),
            links_generated: [
                counter!("flowshare_links_generated_total", "via" => "dialog"),
                counter!("flowshare_links_generated_total", "via" => "api"),
            ],
            sign_ins: each("flowshare_sign_ins_total", "outcome", SIGN_IN_OUTCOMES),
            rate_limited: each("flowshare_rate_limited_total", "limit", LIMITS),
            cache_lookups: each(
                "flowshare_link_cache_lookups_total",
                "result",
                ["hit", "miss"],
            ),
            requests: ROUTE_GROUPS.map(|group| histogram!(REQUEST_SECONDS, "group" => group)),
        }
    }
}

/// One counter per value of its one label.
fn each<const N: usize>(
    name: &'static str,
    label: &'static str,
    values: [&'static str; N],
) -> [Counter; N] {
    values.map(|value| counter!(name, label => value))
}

/// Installs the process-wide recorder and registers every series (once; later calls return the
/// same handle). Until then every recording function does nothing.
pub fn install() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let buckets = [
            0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
        ];
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(REQUEST_SECONDS.into()), &buckets)
            .unwrap_or_else(|_| PrometheusBuilder::new())
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder was installed first; /metrics stays empty");
        }
        HANDLES.get_or_init(Handles::register);
        handle
    })
}

fn handles() -> Option<&'static Handles> {
    HANDLES.get()
}

/// Folds the latencies recorded since the last upkeep into the histograms, every `every`, until
/// the runtime stops. The recorder keeps each recorded value until an upkeep: a scrape runs one,
/// but without a scraper (none configured yet, or one that is down) the values would pile up,
/// 8 bytes per request, without bound.
pub fn keep_up(handle: &'static PrometheusHandle, every: Duration) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            handle.run_upkeep();
        }
    });
}

/// The scrape: the pool's state read now, then everything recorded so far.
pub fn render(handle: &PrometheusHandle, db: &Db) -> String {
    let (size, idle) = match db {
        Db::Sqlite(pool) => (pool.size(), pool.num_idle()),
        Db::Postgres(pool) => (pool.size(), pool.num_idle()),
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX);
    gauge!("flowshare_db_pool_connections", "state" => "in_use")
        .set(f64::from(size.saturating_sub(idle)));
    gauge!("flowshare_db_pool_connections", "state" => "idle").set(f64::from(idle));
    handle.run_upkeep();
    handle.render()
}

/// Where an outcome sits in [`OUTCOMES`].
fn outcome(result: Result<(), LinkRefusal>) -> usize {
    match result {
        Ok(()) => 0,
        Err(LinkRefusal::NotValid) => 1,
        Err(LinkRefusal::Disabled) => 2,
        Err(LinkRefusal::Expired) => 3,
        Err(LinkRefusal::UsedUp) => 4,
        Err(LinkRefusal::FlowUnavailable) => 5,
        Err(LinkRefusal::TooManyStarts) => 6,
        Err(LinkRefusal::Unavailable) => 7,
    }
}

pub fn link_opened(result: Result<(), LinkRefusal>) {
    if let Some(h) = handles() {
        h.link_opens[outcome(result)].increment(1);
    }
}

/// How a `/s/` request ended (in [`SHORT_LINK_OUTCOMES`]'s order).
#[derive(Debug, Clone, Copy)]
pub enum ShortLink {
    Found,
    Missing,
    Limited,
}

pub fn short_link(how: ShortLink) {
    if let Some(h) = handles() {
        h.short_links[how as usize].increment(1);
    }
}

pub fn run_start(result: Result<(), LinkRefusal>) {
    if let Some(h) = handles() {
        h.run_starts[outcome(result)].increment(1);
    }
}

/// `count` links made, by a console user or (`by` an API key's actor name) through the API.
pub fn links_generated(by: &str, count: u64) {
    let via = usize::from(by.starts_with(app::domain::api_key::ACTOR_PREFIX));
    if let Some(h) = handles() {
        h.links_generated[via].increment(count);
    }
}

pub fn sign_in(signed: &app::ports::SignIn) {
    use app::ports::SignIn;
    let index = match signed {
        SignIn::Welcome { .. } => 0,
        SignIn::Refused => 1,
        SignIn::Locked { .. } => 2,
        SignIn::Busy => 3,
        // Counted where every refused rate is: `flowshare_rate_limited_total{limit="sign_ins"}`.
        SignIn::Limited(_) => return,
    };
    if let Some(h) = handles() {
        h.sign_ins[index].increment(1);
    }
}

pub fn rate_limited(limit: RateLimit) {
    let index = match limit {
        RateLimit::RunStarts => 0,
        RateLimit::ShortLinkMisses => 1,
        RateLimit::SignIns => 2,
        RateLimit::LinkGenerations => 3,
        RateLimit::RunMoves => 4,
    };
    if let Some(h) = handles() {
        h.rate_limited[index].increment(1);
    }
}

pub fn cache_lookup(hit: bool) {
    if let Some(h) = handles() {
        h.cache_lookups[usize::from(!hit)].increment(1);
    }
}

/// A route group (an index into [`ROUTE_GROUPS`]), so latencies are compared like with like and
/// label values stay few.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteGroup(usize);

impl RouteGroup {
    pub fn of(path: &str) -> Self {
        let first = path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or_default();
        Self(match first {
            "f" => 0,
            "s" => 1,
            "api" => 2,
            "pkg" | "favicon.ico" => 3,
            _ => 4,
        })
    }

    pub fn name(self) -> &'static str {
        ROUTE_GROUPS[self.0]
    }
}

pub fn http_request(group: RouteGroup, took: Duration) {
    if let Some(h) = handles() {
        h.requests[group.0].record(took.as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_fall_into_few_groups() {
        let group = |path| RouteGroup::of(path).name();
        assert_eq!(group("/f/help/order/abc"), "player");
        assert_eq!(group("/s/23456789abc"), "short");
        assert_eq!(group("/api/login"), "api");
        assert_eq!(group("/pkg/flowshare.wasm"), "assets");
        assert_eq!(group("/flows/order-status"), "console");
        assert_eq!(group("/"), "console");
    }

    #[test]
    fn every_outcome_has_its_label() {
        assert_eq!(OUTCOMES[outcome(Ok(()))], "ok");
        assert_eq!(OUTCOMES[outcome(Err(LinkRefusal::UsedUp))], "used_up");
        assert_eq!(
            OUTCOMES[outcome(Err(LinkRefusal::TooManyStarts))],
            "too_many_starts"
        );
        assert_eq!(SHORT_LINK_OUTCOMES[ShortLink::Limited as usize], "limited");
    }
}
