//! A recipient's step, on the server: 64 runs moving at once on SQLite (the embedded default),
//! each move a real request through the router (a choice, then Back, and so on: every move is one
//! read of the run and one conditional write). Prints the server time per step (p50, p99, max)
//! and the steps per second, twice: with every run moving again the moment its last move was
//! answered (the most the server does; latency there is mostly waiting for the 2 cores, by
//! Little's law 64 ÷ throughput), and with each run moving every 10 ms (6,400 moves a second
//! offered, far above what 64 people can click). Figures, not pass/fail; the target is p99 ≤ 5 ms.
//!   cargo bench -p server --bench run_steps
//!   STEPS=2000 PACE_MS=5 cargo bench -p server --bench run_steps   # moves per run (500), pace (10 ms)

use app::domain::run::RunView;
use app::domain::share::GeneratedLink;
use http::StatusCode;
use leptos::server_fn::ServerFn;
use server::testing::{run_outcome, Engine, FirstMove, TestApp};
use std::sync::Arc;
use std::time::{Duration, Instant};

const RUNS: usize = 64;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// One run's moves: choose the first answer, go Back, again and again, each as soon as the last
/// was answered or at `pace`. Returns each move's time.
async fn walk(
    app: Arc<TestApp>,
    mut run: RunView,
    steps: usize,
    pace: Option<Duration>,
) -> Vec<Duration> {
    let token = run.token.clone().expect("a run's token");
    let mut times = Vec::with_capacity(steps);
    let mut ticks = pace.map(|every| {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks
    });
    for _ in 0..steps {
        if let Some(ticks) = ticks.as_mut() {
            ticks.tick().await;
        }
        let at = run.step.at.to_string();
        let back = run.step.id != "choose";
        let mut form = vec![
            ("action", if back { "back" } else { "answer" }),
            ("at", at.as_str()),
            ("step", run.step.id.as_str()),
        ];
        if !back {
            form.push(("choice", "0"));
        }
        let started = Instant::now();
        let response = app.run_step(token.as_str(), &form).await;
        times.push(started.elapsed());
        assert_eq!(response.status, StatusCode::OK, "{response:?}");
        run = run_outcome(&response).expect("the next step");
    }
    times
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let steps: usize = std::env::var("STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500);
    let app = TestApp::with_demo(Engine::Sqlite)
        .await
        .expect("a SQLite test app");
    let admin = app.log_in("admin", "demo-admin-pass").await;
    let form = [
        ("flow", "order-status-lookup"),
        ("application", "help-centre"),
        ("params", "name=Ada"),
        ("protect", "true"),
        ("shorten", "false"),
    ];
    let response = app
        .call(app::api::share::GenerateLink::PATH, &form, Some(&admin))
        .await;
    let link: GeneratedLink = serde_json::from_str(&response.body).expect("a link");
    let greeting = FirstMove {
        step: "welcome".into(),
        choice: None,
        value: None,
    };
    let pace = Duration::from_millis(
        std::env::var("PACE_MS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(10),
    );
    let app = Arc::new(app);
    for pace in [None, Some(pace)] {
        let mut runs = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let started = app.start_run(&link.full_url, &greeting, None).await;
            runs.push(run_outcome(&started).expect("a run"));
        }
        let began = Instant::now();
        let walkers: Vec<_> = runs
            .into_iter()
            .map(|run| tokio::spawn(walk(app.clone(), run, steps, pace)))
            .collect();
        let mut times = Vec::with_capacity(RUNS * steps);
        for walker in walkers {
            times.extend(walker.await.expect("a walker"));
        }
        let took = began.elapsed();
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1_000.0;
        let how = match pace {
            None => "each run moving again at once".to_owned(),
            Some(every) => format!("each run moving every {} ms", every.as_millis()),
        };
        println!(
            "run steps on SQLite, {RUNS} concurrent runs × {steps} moves, {how}: {} steps in {:.2} s = {:.0} steps/s",
            times.len(),
            took.as_secs_f64(),
            times.len() as f64 / took.as_secs_f64()
        );
        println!(
            "  server time per step: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target: p99 ≤ 5 ms)",
            ms(percentile(&times, 0.50)),
            ms(percentile(&times, 0.99)),
            ms(*times.last().expect("steps"))
        );
    }
}
