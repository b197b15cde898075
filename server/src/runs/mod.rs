//! Recipients' runs through flows, walked on the server (the `Runs` port): starting one (the
//! counted start of a link), taking moves, and the flow's results (`results`). The recipient's
//! page never holds the definition; each move is checked here against it and the run's position.
//!
//! Hot path: a move is one indexed read of the run by its token's hash, the link's record from the
//! link cache, and one conditional write on the run's move count. A start is the link's full check
//! and one transaction that counts the start and creates the run.

pub mod results;
mod sqlite_direct;

use crate::db::{conditional_change, now_millis, on_db, Db, StoreError, StoreResult, WriteTurn};
use crate::links::open::{still_runs_sql, LinkRecord, Verdict};
use crate::links::LinkStore;
use crate::security::random_bytes;
use app::domain::link::{LinkAddress, LinkRefusal};
use app::domain::results::{ResultsPage, ResultsQuery};
use app::domain::run::{
    moves_until, Move, RunProblem, RunState, RunToken, RunView, DEFAULT_RUN_EXPIRY_GRACE_MS,
    RUN_IDLE_MS,
};
use app::domain::FlowSlug;
use app::ports::{BackendError, CatalogError, RateLimits, RunError, Runs};
use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::sync::{Arc, LazyLock};

const DAY_MS: i64 = 86_400_000;

/// Counts a start of a link, only while the link still runs and has starts left.
static COUNT_START: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE links SET invocations = invocations + 1, last_used_at = $1 WHERE id = $2 \
         AND (allowed_invocations IS NULL OR invocations < allowed_invocations) \
         AND EXISTS (SELECT 1 FROM links l JOIN applications a ON a.id = l.application_id \
         JOIN flows f ON f.id = l.flow_id WHERE l.id = links.id AND {}) \
         RETURNING invocations, allowed_invocations",
        still_runs_sql("l", "a", "f")
    )
});

/// Takes a move: only if no other move got in first, the run did not end meanwhile, and its link
/// still runs and did not expire longer than the grace ago (`moves_until`).
static TAKE_MOVE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE runs SET state = $1, moves = $2, updated_at = $3, finished_at = COALESCE(finished_at, $4) \
         WHERE id = $5 AND moves = $6 AND updated_at > $7 AND EXISTS (SELECT 1 FROM links l \
         JOIN applications a ON a.id = l.application_id JOIN flows f ON f.id = l.flow_id \
         WHERE l.id = runs.link_id AND (l.expires_at IS NULL OR l.expires_at * 1000 > $8) AND {})",
        still_runs_sql("l", "a", "f")
    )
});

#[derive(Debug, Clone)]
pub struct RunStore {
    db: Db,
    links: LinkStore,
    /// Runs' writes take turns on SQLite (see `WriteTurn`).
    write_turn: WriteTurn,
    /// On an SQLite file, a move's read and write without sqlx's thread hops (`sqlite_direct`).
    direct: Option<Arc<sqlite_direct::DirectRuns>>,
    /// How long after its link expires a run may still move (see `moves_until`).
    expiry_grace_ms: i64,
}

/// A run as stored, read by its token's hash.
#[derive(sqlx::FromRow)]
pub(crate) struct RunRow {
    id: i64,
    link_id: String,
    updated_at: i64,
    moves: i64,
    state: String,
    params: String,
}

/// The form a run token is stored and looked up in. A token is 128 random bits, so a plain hash
/// is as unforgeable as the token and needs no key.
fn token_hash(token: &RunToken) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_str().as_bytes()))
}

fn new_token() -> Result<RunToken, BackendError> {
    let bytes = random_bytes::<16>().map_err(|e| BackendError::new("drawing a run token", e))?;
    RunToken::parse(&URL_SAFE_NO_PAD.encode(bytes))
        .map_err(|e| BackendError::new("drawing a run token", e))
}

fn corrupt(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {err}"))
}

/// A stored run that does not parse, described without its content: it holds recipients'
/// answers, which are never logged (serde's own message can quote the text it choked on).
fn unreadable(what: &str, err: &serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!(
        "{what}: {:?} at line {} column {}",
        err.classify(),
        err.line(),
        err.column()
    ))
}

fn to_json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| corrupt("writing a run", e))
}

impl RunStore {
    pub fn new(db: Db, links: LinkStore) -> Self {
        Self {
            write_turn: links.write_turn().clone(),
            direct: sqlite_direct::DirectRuns::for_db(&db).map(Arc::new),
            db,
            links,
            expiry_grace_ms: DEFAULT_RUN_EXPIRY_GRACE_MS,
        }
    }

    /// Runs may move for `grace` after their link expires (`--run-expiry-grace-minutes`).
    pub fn with_expiry_grace(mut self, grace: std::time::Duration) -> Self {
        self.expiry_grace_ms = i64::try_from(grace.as_millis()).unwrap_or(i64::MAX);
        self
    }

    /// Whether a run of `record`'s link may no longer move at `now` (Unix ms): its link expired
    /// more than the grace ago.
    fn past_expiry(&self, record: &LinkRecord, now: i64) -> bool {
        moves_until(record.expires_at, self.expiry_grace_ms).is_some_and(|until| now >= until)
    }

    fn backend(context: &'static str) -> impl Fn(StoreError) -> RunError {
        move |err| RunError::Backend(err.for_port(context))
    }

    async fn start_run(
        &self,
        address: LinkAddress,
        first: &Move,
        limits: &dyn RateLimits,
    ) -> Result<RunView, RunError> {
        let backend = Self::backend("starting a run");
        let checked = match self.links.check_address(address).await.map_err(&backend)? {
            Verdict::Open(checked) => checked,
            Verdict::Refused { refusal, .. } => return Err(RunError::Link(refusal)),
        };
        let record = checked.record.clone();
        let definition = record.definition().map_err(RunError::Link)?;
        let params: Vec<(String, String)> = checked
            .params()
            .iter()
            .map(|p| (p.name().to_owned(), p.value().to_owned()))
            .collect();
        // The first move must fit the first step before anything is counted.
        let mut state = RunState::new(&definition);
        state
            .apply(&definition, &params, first)
            .map_err(RunError::Problem)?;
        limits
            .run_start_of(&checked.address.link)
            .map_err(RunError::Limited)?;
        let token = new_token()?;
        let view = state
            .view(&definition, &params)
            .map_err(RunError::Problem)?;
        let finished = state.finished(&definition);
        let inserted = self
            .insert(&record, &token, &state, &params, finished)
            .await
            .map_err(&backend)?;
        match inserted {
            // The last allowed start: from now on the link opens to the "used up" page.
            Some((used, Some(allowed))) if used >= allowed => self.links.changed().await,
            Some(_) => {}
            None => {
                self.links.changed().await;
                return Err(RunError::Link(LinkRefusal::UsedUp));
            }
        }
        Ok(RunView {
            flow_name: record.flow_name.clone(),
            token: Some(token),
            step: view,
        })
    }

    /// Counts the start (one conditional UPDATE: with N allowed and more racing, exactly N pass),
    /// bumps the day's counter and creates the run, in one transaction. `None`: no start was left.
    async fn insert(
        &self,
        record: &LinkRecord,
        token: &RunToken,
        state: &RunState,
        params: &[(String, String)],
        finished: bool,
    ) -> StoreResult<Option<(i64, Option<i64>)>> {
        let now = now_millis();
        // The link is checked again in the same statement: another instance's cache may be up
        // to a poll behind a revocation, a key regeneration or a withdrawal.
        let count = &*COUNT_START;
        let day = "INSERT INTO link_daily_uses (link_id, day, uses) VALUES ($1, $2, 1) \
                   ON CONFLICT (link_id, day) DO UPDATE SET uses = link_daily_uses.uses + 1";
        let create = "INSERT INTO runs (token_hash, link_id, flow_id, started_at, updated_at, finished_at, moves, state, params) \
                      VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8)";
        let link_id = record.link_id.as_str();
        let (state_json, params_json) = (to_json(state)?, to_json(&params)?);
        let hash = token_hash(token);
        let _turn = self.write_turn.take().await;
        Ok(conditional_change!(&self.db, |tx| {
            let counted: Option<(i64, Option<i64>)> = sqlx::query_as(count)
                .bind(now)
                .bind(link_id)
                .fetch_optional(&mut *tx)
                .await?;
            if counted.is_none() {
                return Ok(None);
            }
            // One row per link and day, bumped: starts add no rows there.
            sqlx::query(day)
                .bind(link_id)
                .bind(now.div_euclid(DAY_MS))
                .execute(&mut *tx)
                .await?;
            sqlx::query(create)
                .bind(&hash)
                .bind(link_id)
                .bind(record.flow_id)
                .bind(now)
                .bind(finished.then_some(now))
                .bind(i64::from(state.moves))
                .bind(&state_json)
                .bind(&params_json)
                .execute(&mut *tx)
                .await?;
            Ok(counted)
        })?)
    }

    /// The run behind `token` and its link's record, unchecked.
    async fn load_run(&self, token: &RunToken) -> Result<(RunRow, Arc<LinkRecord>), RunError> {
        let backend = Self::backend("reading a run");
        let sql =
            "SELECT id, link_id, updated_at, moves, state, params FROM runs WHERE token_hash = $1";
        let hash = token_hash(token);
        let row: Option<RunRow> = match &self.direct {
            Some(direct) => direct.read(sql, &hash).map_err(|e| backend(e.into()))?,
            None => on_db!(&self.db, |pool| sqlx::query_as(sql)
                .bind(&hash)
                .fetch_optional(pool)
                .await)
            .map_err(|e| backend(e.into()))?,
        };
        let row = row.ok_or(RunError::Problem(RunProblem::NoSuchRun))?;
        let record = self
            .links
            .record(&row.link_id)
            .await
            .map_err(&backend)?
            // The link row went with its runs (ON DELETE CASCADE): only a race gets here.
            .ok_or(RunError::Problem(RunProblem::NoSuchRun))?;
        Ok((row, record))
    }

    /// The run behind `token`, if it may go on: not idle for a day, its link not switched off
    /// (revoked, key regenerated, flow withdrawn), so that ends its runs at the next step, and not
    /// expired longer ago than the grace.
    fn playable(&self, row: RunRow, record: Arc<LinkRecord>) -> Result<OpenRun, RunError> {
        let backend = Self::backend("reading a run");
        let now = now_millis();
        if row.updated_at <= now - RUN_IDLE_MS {
            return Err(RunError::Problem(RunProblem::RunExpired));
        }
        record.still_runs().map_err(RunError::Link)?;
        if self.past_expiry(&record, now) {
            return Err(RunError::Link(LinkRefusal::Expired));
        }
        let definition = record.definition().map_err(RunError::Link)?;
        let mut state: RunState = serde_json::from_str(&row.state)
            .map_err(|e| backend(unreadable("a run's state", &e)))?;
        state.moves =
            u32::try_from(row.moves).map_err(|e| backend(corrupt("a run's move count", e)))?;
        let params: Vec<(String, String)> = serde_json::from_str(&row.params)
            .map_err(|e| backend(unreadable("a run's parameters", &e)))?;
        // The flow was changed under the run and its step is gone: the run goes on from the
        // start (written with its next move) rather than ending in a dead end.
        state.realign(&definition);
        Ok(OpenRun {
            id: row.id,
            record,
            definition,
            state,
            params,
        })
    }

    async fn open_run(&self, token: &RunToken) -> Result<OpenRun, RunError> {
        let (row, record) = self.load_run(token).await?;
        self.playable(row, record)
    }

    /// A run's page: where it stands, or why it cannot go on; with its link's record whenever the
    /// run was found, so even a refusal is framed by the link's own application.
    pub async fn page(
        &self,
        token: &RunToken,
    ) -> (Result<RunView, RunError>, Option<Arc<LinkRecord>>) {
        let (row, record) = match self.load_run(token).await {
            Ok(found) => found,
            Err(err) => return (Err(err), None),
        };
        let shown = self
            .playable(row, record.clone())
            .and_then(|run| run.view(token));
        (shown, Some(record))
    }

    async fn take_move(&self, token: &RunToken, action: &Move) -> Result<RunView, RunError> {
        let mut run = self.open_run(token).await?;
        let before = i64::from(run.state.moves);
        run.state
            .apply(&run.definition, &run.params, action)
            .map_err(RunError::Problem)?;
        let view = run.view(token)?;
        let now = now_millis();
        let finished = run.state.finished(&run.definition).then_some(now);
        let state = to_json(&run.state).map_err(Self::backend("writing a run"))?;
        // Only if no other move got in first, the run did not end meanwhile, and its link still
        // runs and did not expire longer than the grace ago (`moves_until`: expiry × 1000 +
        // grace > now), checked here too: another instance's cache may be up to a poll behind,
        // and this statement is what holds whatever the cache says. A run keeps the time it
        // first finished.
        let sql = &*TAKE_MOVE;
        let moves = i64::from(run.state.moves);
        let idle_since = now - RUN_IDLE_MS;
        let expired_before = now.saturating_sub(self.expiry_grace_ms);
        let _turn = self.write_turn.take().await;
        let changed = match &self.direct {
            Some(direct) => direct
                .write(
                    sql,
                    &[
                        &state,
                        &moves,
                        &now,
                        &finished,
                        &run.id,
                        &before,
                        &idle_since,
                        &expired_before,
                    ],
                )
                .map(|n| n as u64)
                .map_err(StoreError::from),
            None => on_db!(&self.db, |pool| sqlx::query(sql)
                .bind(&state)
                .bind(moves)
                .bind(now)
                .bind(finished)
                .bind(run.id)
                .bind(before)
                .bind(idle_since)
                .bind(expired_before)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()))
            .map_err(StoreError::from),
        }
        .map_err(|e| RunError::Backend(e.for_port("writing a run")))?;
        if changed != 1 {
            return Err(self.why_not_written(&run.record.link_id, now).await);
        }
        Ok(view)
    }

    /// Why a move's write changed nothing at `now`: its link expired longer than the grace ago
    /// (read from the store, as the write read it), or another move got in first.
    async fn why_not_written(&self, link_id: &str, now: i64) -> RunError {
        let sql = "SELECT expires_at FROM links WHERE id = $1";
        let found: Result<Option<Option<i64>>, sqlx::Error> =
            on_db!(&self.db, |pool| sqlx::query_scalar(sql)
                .bind(link_id)
                .fetch_optional(pool)
                .await);
        match found {
            Ok(Some(expires_at))
                if moves_until(expires_at, self.expiry_grace_ms).is_some_and(|at| now >= at) =>
            {
                RunError::Link(LinkRefusal::Expired)
            }
            Ok(_) => RunError::Problem(RunProblem::NotCurrentStep),
            Err(err) => RunError::Backend(StoreError::from(err).for_port("writing a run")),
        }
    }
}

/// A run that may go on, with what taking a move needs.
struct OpenRun {
    id: i64,
    record: Arc<LinkRecord>,
    definition: Arc<app::domain::FlowDefinition>,
    state: RunState,
    params: Vec<(String, String)>,
}

impl OpenRun {
    fn view(&self, token: &RunToken) -> Result<RunView, RunError> {
        Ok(RunView {
            flow_name: self.record.flow_name.clone(),
            token: Some(token.clone()),
            step: self
                .state
                .view(&self.definition, &self.params)
                .map_err(RunError::Problem)?,
        })
    }
}

#[async_trait]
impl Runs for RunStore {
    async fn start(
        &self,
        address: LinkAddress,
        first: &Move,
        limits: &dyn RateLimits,
    ) -> Result<RunView, RunError> {
        let started = self.start_run(address, first, limits).await;
        match &started {
            Ok(_) => crate::metrics::run_start(Ok(())),
            Err(RunError::Link(refusal)) => crate::metrics::run_start(Err(*refusal)),
            Err(RunError::Limited(_)) => crate::metrics::run_start(Err(LinkRefusal::TooManyStarts)),
            // Not an outcome of a start: a move that did not fit, or a failure logged where answered.
            Err(RunError::Problem(_) | RunError::Backend(_)) => {}
        }
        started
    }

    async fn take(&self, token: &RunToken, action: &Move) -> Result<RunView, RunError> {
        self.take_move(token, action).await
    }

    async fn results(
        &self,
        flow: &FlowSlug,
        query: &ResultsQuery,
    ) -> Result<ResultsPage, CatalogError> {
        self.results_page(flow, query).await
    }
}
