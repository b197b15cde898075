//! A flow's results: the runs recipients made through its links, with the answers they gave, as
//! the Details tab lists them (newest first, a page at a time) and the CSV export writes them.

use super::run::{Given, RUN_IDLE_MS};
use serde::{Deserialize, Serialize};

/// Runs per page of the Results section.
pub const RESULTS_PAGE_SIZE: usize = 25;

/// What became of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::EnumIter)]
pub enum RunOutcome {
    /// Moved within the last 24 hours and not at an end step.
    InProgress,
    Finished,
    /// Not finished, and no move for 24 hours: its token opens nothing any more.
    Abandoned,
}

impl RunOutcome {
    pub fn of(finished_at: Option<i64>, updated_at: i64, now: i64) -> Self {
        if finished_at.is_some() {
            Self::Finished
        } else if updated_at <= now - RUN_IDLE_MS {
            Self::Abandoned
        } else {
            Self::InProgress
        }
    }

    /// The stable name in URLs and the CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "in-progress",
            Self::Finished => "finished",
            Self::Abandoned => "abandoned",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::InProgress => "In progress",
            Self::Finished => "Finished",
            Self::Abandoned => "Abandoned",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        use strum::IntoEnumIterator;
        Self::iter().find(|o| o.as_str() == raw)
    }
}

/// One run as its flow's Results show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunResult {
    pub id: i64,
    /// Which link it ran through, as anyone may be told: never the id, which opens the link.
    pub link: crate::domain::link::LinkRef,
    pub application: String,
    /// Unix milliseconds.
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub outcome: RunOutcome,
    /// Moves taken: answers, Back and Restart alike.
    pub steps_taken: u32,
    /// The answers on the way to where the run stands, in order.
    pub answers: Vec<Given>,
}

/// Which of a flow's runs to show. `before` is the last run id of the previous page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultsQuery {
    pub link: Option<String>,
    pub outcome: Option<RunOutcome>,
    pub before: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultsPage {
    pub runs: Vec<RunResult>,
    /// The cursor of the next page, when there is one.
    pub next: Option<i64>,
}

/// What a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, tab, carriage return at the
/// start) gets a leading apostrophe: recipients' answers are data, and opening an export must not
/// run what a recipient typed.
pub fn spreadsheet_safe(value: &str) -> std::borrow::Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}").into(),
        _ => value.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn a_run_is_finished_abandoned_after_a_quiet_day_or_in_progress() {
        let now = 10 * RUN_IDLE_MS;
        assert_eq!(RunOutcome::of(Some(1), 0, now), RunOutcome::Finished);
        assert_eq!(
            RunOutcome::of(None, now - RUN_IDLE_MS, now),
            RunOutcome::Abandoned
        );
        assert_eq!(RunOutcome::of(None, now - 1, now), RunOutcome::InProgress);
        for outcome in RunOutcome::iter() {
            assert_eq!(RunOutcome::parse(outcome.as_str()), Some(outcome));
        }
    }

    #[test]
    fn answers_that_look_like_formulas_are_kept_as_text() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("-1"), "'-1");
        assert_eq!(spreadsheet_safe("A-1"), "A-1");
        assert_eq!(spreadsheet_safe(""), "");
    }
}
