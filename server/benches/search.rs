//! Flows-page search at scale: fills a fresh database with 100,000 flows and prints how long the
//! page query (list + count) takes for typical searches. Figures, not pass/fail.
//!   cargo bench -p server --bench search                      # SQLite
//!   FLOWSHARE_TEST_POSTGRES_URL=postgres://… cargo bench -p server --bench search   # and PostgreSQL

use app::domain::{FlowQuery, SortKey};
use app::ports::FlowCatalog;
use server::testing::{Engine, TestStore};
use std::time::{Duration, Instant};

const FLOWS: usize = 100_000;
const RUNS: usize = 30;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

async fn bench(engine: Engine) {
    let Some(test) = TestStore::new(engine).await else {
        return;
    };
    let store = &test.store;
    let started = Instant::now();
    for first in (0..FLOWS).step_by(10_000) {
        store
            .flows
            .insert_flows(&server::import::synthetic_flows(10_000, first), "bench")
            .await
            .expect("insert");
    }
    println!(
        "{engine:?}: inserted {FLOWS} flows in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let cases = [
        ("no search, newest first", FlowQuery::default()),
        (
            "'ord' (common)",
            FlowQuery::from_params(Some("ord"), None, None, None),
        ),
        (
            "'flow 99999' (one hit)",
            FlowQuery::from_params(Some("flow 99999"), None, None, None),
        ),
        (
            "'zzz' (no hit)",
            FlowQuery::from_params(Some("zzz"), None, None, None),
        ),
        (
            "'refund' by name, page 40",
            FlowQuery::from_params(Some("refund"), None, None, Some("40")).sorted_by(SortKey::Name),
        ),
    ];
    println!(
        "{:<32} {:>8} {:>10} {:>10}",
        "query", "matches", "p50 ms", "p99 ms"
    );
    for (label, query) in cases {
        let mut times = Vec::with_capacity(RUNS);
        let mut total = 0;
        for _ in 0..RUNS {
            let t = Instant::now();
            total = store.flows.search(&query).await.expect("search").total;
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "{label:<32} {total:>8} {:>10.2} {:>10.2}",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3
        );
    }
    let cleanup = test.cleanup();
    drop(test);
    cleanup.run().await;
}

#[tokio::main]
async fn main() {
    bench(Engine::Sqlite).await;
    if std::env::var("FLOWSHARE_TEST_POSTGRES_URL").is_ok() {
        bench(Engine::Postgres).await;
    } else {
        println!("PostgreSQL: set FLOWSHARE_TEST_POSTGRES_URL to measure it too.");
    }
}
