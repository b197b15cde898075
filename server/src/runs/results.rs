//! A flow's results: the Details tab's page of runs and the CSV export that streams all of them
//! (old runs go by their application's retention, in `db::retention`). Answers are recipients' data: they are
//! never logged, and the export keeps a spreadsheet from reading them as formulas.

use super::RunStore;
use crate::db::{now_millis, on_db, StoreError, StoreResult};
use app::domain::definition::StepKind;
use app::domain::link::LinkRef;
use app::domain::results::{
    spreadsheet_safe, ResultsPage, ResultsQuery, RunOutcome, RunResult, RESULTS_PAGE_SIZE,
};
use app::domain::run::{GivenAnswer, RunState, RUN_IDLE_MS};
use app::domain::{FlowDefinition, FlowSlug};
use app::ports::CatalogError;
use app::ui::format::iso_utc;

/// Runs read per query while exporting: the export's memory stays this size, however many runs.
const EXPORT_BATCH: i64 = 500;

#[derive(sqlx::FromRow)]
struct ResultRow {
    id: i64,
    link_id: String,
    application: String,
    started_at: i64,
    updated_at: i64,
    finished_at: Option<i64>,
    moves: i64,
    state: String,
}

impl ResultRow {
    fn into_result(self, now: i64) -> StoreResult<RunResult> {
        let state: RunState = serde_json::from_str(&self.state).map_err(|e| {
            // Described without its content: the state holds recipients' answers.
            StoreError::Corrupt(format!(
                "run {}: {:?} at line {} column {}",
                self.id,
                e.classify(),
                e.line(),
                e.column()
            ))
        })?;
        Ok(RunResult {
            id: self.id,
            link: LinkRef::of_raw(&self.link_id),
            application: self.application,
            started_at: self.started_at,
            finished_at: self.finished_at,
            outcome: RunOutcome::of(self.finished_at, self.updated_at, now),
            steps_taken: u32::try_from(self.moves).unwrap_or(u32::MAX),
            answers: state.results().to_vec(),
        })
    }
}

const RESULT_COLUMNS: &str =
    "SELECT r.id, r.link_id, a.name AS application, r.started_at, r.updated_at, \
    r.finished_at, r.moves, r.state FROM runs r JOIN links l ON l.id = r.link_id \
    JOIN applications a ON a.id = l.application_id";

impl RunStore {
    pub(super) async fn results_page(
        &self,
        flow: &FlowSlug,
        query: &ResultsQuery,
    ) -> Result<ResultsPage, CatalogError> {
        let backend = |e: StoreError| CatalogError::Backend(e.for_port("reading results"));
        let flow_id = self
            .flow_id(flow)
            .await
            .map_err(backend)?
            .ok_or_else(|| CatalogError::NoSuchFlow(flow.as_str().to_owned()))?;
        // One statement for every filter, each placeholder named: 0 is "any outcome", "" any link.
        let outcome: i64 = match query.outcome {
            None => 0,
            Some(RunOutcome::Finished) => 1,
            Some(RunOutcome::Abandoned) => 2,
            Some(RunOutcome::InProgress) => 3,
        };
        let sql = format!(
            "{RESULT_COLUMNS} WHERE r.flow_id = $1 AND r.id < $2 AND ($3 = '' OR r.link_id = $3) \
             AND ($4 = 0 OR ($4 = 1 AND r.finished_at IS NOT NULL) \
               OR ($4 = 2 AND r.finished_at IS NULL AND r.updated_at <= $5) \
               OR ($4 = 3 AND r.finished_at IS NULL AND r.updated_at > $5)) \
             ORDER BY r.id DESC LIMIT $6"
        );
        let now = now_millis();
        let rows: Vec<ResultRow> = on_db!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(flow_id)
            .bind(query.before.unwrap_or(i64::MAX))
            .bind(query.link.as_deref().unwrap_or_default())
            .bind(outcome)
            .bind(now - RUN_IDLE_MS)
            .bind(RESULTS_PAGE_SIZE as i64 + 1)
            .fetch_all(pool)
            .await)
        .map_err(|e| backend(e.into()))?;
        let more = rows.len() > RESULTS_PAGE_SIZE;
        let runs = rows
            .into_iter()
            .take(RESULTS_PAGE_SIZE)
            .map(|row| row.into_result(now))
            .collect::<StoreResult<Vec<_>>>()
            .map_err(backend)?;
        Ok(ResultsPage {
            next: if more {
                runs.last().map(|r| r.id)
            } else {
                None
            },
            runs,
        })
    }

    async fn flow_id(&self, flow: &FlowSlug) -> StoreResult<Option<i64>> {
        let sql = "SELECT id FROM flows WHERE slug = $1";
        Ok(on_db!(&self.db, |pool| sqlx::query_scalar(sql)
            .bind(flow.as_str())
            .fetch_optional(pool)
            .await)?)
    }

    /// The CSV export of all of a flow's runs, newest first, as a stream of chunks (a header,
    /// then one chunk per batch of runs); `None` when there is no such flow.
    pub async fn export(&self, flow: &FlowSlug) -> StoreResult<Option<CsvExport>> {
        let sql = "SELECT id, definition FROM flows WHERE slug = $1";
        let found: Option<(i64, String)> = on_db!(&self.db, |pool| sqlx::query_as(sql)
            .bind(flow.as_str())
            .fetch_optional(pool)
            .await)?;
        let Some((flow_id, definition)) = found else {
            return Ok(None);
        };
        let columns = FlowDefinition::parse_json(&definition)
            .map(|d| AnswerColumns::of(&d))
            .unwrap_or_default();
        Ok(Some(CsvExport {
            store: self.clone(),
            flow_id,
            columns,
            after: Some(i64::MAX),
        }))
    }

    async fn export_batch(&self, flow_id: i64, before: i64) -> StoreResult<Vec<RunResult>> {
        let sql = format!(
            "{RESULT_COLUMNS} WHERE r.flow_id = $1 AND r.id < $2 ORDER BY r.id DESC LIMIT $3"
        );
        let rows: Vec<ResultRow> = on_db!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(flow_id)
            .bind(before)
            .bind(EXPORT_BATCH)
            .fetch_all(pool)
            .await)?;
        let now = now_millis();
        rows.into_iter().map(|row| row.into_result(now)).collect()
    }
}

/// The export's answer columns: one per question (headed by its step id) and per input (headed by
/// its variable) of the flow as it is now, in the definition's order. Answers to steps that are no
/// longer in the flow go to a last column, so the export holds every answer given.
#[derive(Debug, Default, Clone)]
struct AnswerColumns {
    steps: Vec<(String, String)>,
}

impl AnswerColumns {
    fn of(definition: &FlowDefinition) -> Self {
        let steps = definition
            .steps()
            .iter()
            .filter_map(|step| match &step.kind {
                StepKind::Question { .. } => Some((step.id.clone(), step.id.clone())),
                StepKind::Input { variable, .. } => Some((step.id.clone(), variable.clone())),
                StepKind::Message { .. } | StepKind::End { .. } => None,
            })
            .collect();
        Self { steps }
    }

    fn header(&self) -> Vec<String> {
        let fixed = [
            "run",
            "link",
            "application",
            "started_at",
            "finished_at",
            "state",
            "steps_taken",
        ];
        let mut header: Vec<String> = fixed.iter().map(|s| (*s).to_owned()).collect();
        // Step ids and variables are the flow author's text: kept from being read as formulas too.
        header.extend(
            self.steps
                .iter()
                .map(|(_, heading)| spreadsheet_safe(heading).into_owned()),
        );
        header.push("other_answers".to_owned());
        header
    }

    fn row(&self, run: &RunResult) -> Vec<String> {
        let mut cells = vec![
            run.id.to_string(),
            run.link.as_str().to_owned(),
            run.application.clone(),
            iso_utc(run.started_at),
            run.finished_at.map(iso_utc).unwrap_or_default(),
            run.outcome.as_str().to_owned(),
            run.steps_taken.to_string(),
        ];
        let mut answered = vec![String::new(); self.steps.len()];
        let mut other = Vec::new();
        for given in &run.answers {
            let value = match &given.answer {
                GivenAnswer::Next => continue,
                GivenAnswer::Choice { label } => label,
                GivenAnswer::Input { value, .. } => value,
            };
            match self.steps.iter().position(|(step, _)| *step == given.step) {
                // A step answered more than once (a flow that loops) keeps each answer, in order.
                Some(column) if !answered[column].is_empty() => {
                    answered[column] = format!("{}; {value}", answered[column])
                }
                Some(column) => answered[column] = value.clone(),
                None => other.push(format!("{}={value}", given.step)),
            }
        }
        cells.extend(answered);
        cells.push(other.join("; "));
        cells
            .into_iter()
            .map(|cell| spreadsheet_safe(&cell).into_owned())
            .collect()
    }
}

/// One flow's results as CSV, read a batch at a time.
pub struct CsvExport {
    store: RunStore,
    flow_id: i64,
    columns: AnswerColumns,
    /// Where the next batch starts (runs below this id); `None` once the last batch was read.
    after: Option<i64>,
}

impl CsvExport {
    pub fn header(&self) -> Vec<u8> {
        csv_lines(std::iter::once(self.columns.header()))
    }

    /// The next batch of rows as CSV, or `None` when every run was written.
    pub async fn next_chunk(&mut self) -> Option<StoreResult<Vec<u8>>> {
        let before = self.after?;
        let runs = match self.store.export_batch(self.flow_id, before).await {
            Ok(runs) => runs,
            Err(err) => {
                self.after = None;
                return Some(Err(err));
            }
        };
        self.after = match runs.last() {
            Some(last) if runs.len() as i64 == EXPORT_BATCH => Some(last.id),
            _ => None,
        };
        if runs.is_empty() {
            return None;
        }
        Some(Ok(csv_lines(runs.iter().map(|run| self.columns.row(run)))))
    }
}

/// RFC 4180 lines (quoted where a cell needs it, CRLF line ends).
fn csv_lines(rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in rows {
        // Writing into memory cannot fail.
        let _ = writer.write_record(&row);
    }
    writer.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::run::Given;

    #[test]
    fn a_row_holds_each_answer_under_its_step_and_quotes_what_needs_it() {
        let definition = FlowDefinition::parse_json(
            r#"{"start":"q","steps":[
                {"id":"q","kind":"question","text":"?","choices":[{"label":"a","next":"i"}]},
                {"id":"i","kind":"input","text":"?","variable":"order","next":"e"},
                {"id":"e","kind":"end","text":"bye"}]}"#,
        )
        .expect("flow");
        let columns = AnswerColumns::of(&definition);
        let run = RunResult {
            id: 7,
            link: LinkRef::of_raw("abcdefghijklmnopqrstuA"),
            application: "Web, \"main\"".into(),
            started_at: 0,
            finished_at: None,
            outcome: RunOutcome::InProgress,
            steps_taken: 3,
            answers: vec![
                Given {
                    step: "q".into(),
                    answer: GivenAnswer::Choice { label: "a".into() },
                },
                Given {
                    step: "i".into(),
                    answer: GivenAnswer::Input {
                        variable: "order".into(),
                        value: "=1+1".into(),
                    },
                },
                Given {
                    step: "gone".into(),
                    answer: GivenAnswer::Choice { label: "x".into() },
                },
            ],
        };
        let csv = String::from_utf8(csv_lines([columns.header(), columns.row(&run)].into_iter()))
            .expect("utf-8");
        assert_eq!(
            csv,
            "run,link,application,started_at,finished_at,state,steps_taken,q,order,other_answers\r\n\
             7,abcde,\"Web, \"\"main\"\"\",1970-01-01T00:00:00Z,,in-progress,3,a,'=1+1,gone=x\r\n"
        );
    }
}
