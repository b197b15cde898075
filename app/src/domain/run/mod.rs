//! A recipient's run through a flow, walked on the server. The recipient's browser never holds the
//! flow's definition: it is shown one step at a time, already filled in, and sends back what was
//! done on it (a [`Move`]), which [`RunState::apply`] checks against the definition before anything
//! is kept. Without a run (started, and counted, on the recipient's first action) there is no
//! second step.
//!
//! Here: the run's state machine and the moves it takes. `form` is how a step's plain HTML form
//! posts a move; `page` is the recipient's page model (a step to play, or why not).

mod form;
mod page;
mod resume;
pub use form::StepForm;
pub use page::*;
pub use resume::{token_in, RunCookie, RUN_COOKIE};

use super::definition::{FlowDefinition, StepKind};
use super::link::fill_in;
use super::text::is_single_line;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

/// The longest answer an input step takes, in characters.
pub const MAX_INPUT_CHARS: usize = 500;

/// A run with no move for this long has ended; its token opens nothing any more.
pub const RUN_IDLE_MS: i64 = 24 * 3_600_000;

/// How long after its link expires a run already started may still be finished, unless the
/// operator says otherwise (`--run-expiry-grace-minutes`).
pub const DEFAULT_RUN_EXPIRY_GRACE_MS: i64 = 3_600_000;

/// Until when (Unix milliseconds, exclusive) a run of a link that expires at `link_expires_at`
/// (Unix seconds; `None`: never) may move: the link's expiry and `grace_ms` after it. Without this
/// bound one start would keep a run going for as long as it moves once a day. The run's write
/// checks the same bound in its SQL (`crate::runs` on the server).
pub fn moves_until(link_expires_at: Option<i64>, grace_ms: i64) -> Option<i64> {
    link_expires_at.map(|at| at.saturating_mul(1_000).saturating_add(grace_ms))
}

/// Where a run's page is: `/r/{token}`.
pub const RUN_PREFIX: &str = "/r/";

/// The most moves one run may take (answers, Back and Restart alike): far beyond any real run,
/// and a bound on what one counted start can make the server do.
pub const MAX_MOVES: u32 = 1_000;

/// Characters in a run token: 16 random bytes in unpadded base64url.
const TOKEN_CHARS: usize = 22;

/// The bearer secret of one run, given to the recipient who started it and kept by the server only
/// as a hash. Its `Debug` does not show it, so it cannot reach a log by accident.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RunToken(String);

impl RunToken {
    /// Accepts exactly the shape the server issues; anything else names no run.
    pub fn parse(raw: &str) -> Result<Self, RunProblem> {
        let shaped = raw.len() == TOKEN_CHARS
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if shaped {
            Ok(Self(raw.to_owned()))
        } else {
            Err(RunProblem::NoSuchRun)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Where the recipient sees this run's current step.
    pub fn page(&self) -> String {
        format!("{RUN_PREFIX}{}", self.0)
    }
}

impl fmt::Debug for RunToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RunToken(…)")
    }
}

impl TryFrom<String> for RunToken {
    type Error = RunProblem;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<RunToken> for String {
    fn from(token: RunToken) -> Self {
        token.0
    }
}

/// Why a move in a run was not taken. Nothing changed; the recipient reads the message and, where
/// the run goes on, sees the step they are at.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error, strum::EnumIter,
)]
pub enum RunProblem {
    #[error("This run does not exist. Open the link you were sent to start again.")]
    NoSuchRun,
    #[error("This run ended after 24 hours without activity. Open the link you were sent to start again.")]
    RunExpired,
    #[error("That answer was for a step you have already left (perhaps in another tab or window). This is where you are now.")]
    NotCurrentStep,
    #[error("That is not one of this question's answers. Please choose one of those shown.")]
    NoSuchChoice,
    #[error("This question needs an answer: please choose one of those shown.")]
    ChoiceMissing,
    #[error("Please type an answer before going on.")]
    InputMissing,
    #[error("That answer is too long: at most 500 characters, please.")]
    InputTooLong,
    #[error("That answer holds characters that are not text (line breaks or other control characters). Please type it on one line.")]
    InputNotText,
    #[error("This step takes no answer: use Next.")]
    NotAQuestion,
    #[error("This flow has ended here. Use Back or Restart to go through it again.")]
    Finished,
    #[error("You are at the first step: there is nothing to go back to.")]
    AtFirstStep,
    #[error("This flow was changed while you were in it. Please restart to go through the current version.")]
    FlowChanged,
    #[error("The form was incomplete or altered. Please use the buttons on the page.")]
    BadForm,
    #[error("This run has gone round too many times. Please restart, or open the link again.")]
    TooManySteps,
    /// Moves came too fast from this client (`RateLimit::RunMoves`); scripts get the wait too.
    #[error("Too many steps in a short time from here. Please wait a moment, then try again.")]
    TooManyMoves,
}

impl RunProblem {
    /// A stable code for a page's address (`/r/{token}?problem=…`): a closed set, never free text.
    pub fn code(self) -> &'static str {
        match self {
            Self::NoSuchRun => "no-such-run",
            Self::RunExpired => "run-expired",
            Self::NotCurrentStep => "not-current-step",
            Self::NoSuchChoice => "no-such-choice",
            Self::ChoiceMissing => "choice-missing",
            Self::InputMissing => "input-missing",
            Self::InputTooLong => "input-too-long",
            Self::InputNotText => "input-not-text",
            Self::NotAQuestion => "not-a-question",
            Self::Finished => "finished",
            Self::AtFirstStep => "at-first-step",
            Self::FlowChanged => "flow-changed",
            Self::BadForm => "bad-form",
            Self::TooManySteps => "too-many-steps",
            Self::TooManyMoves => "too-many-moves",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        use strum::IntoEnumIterator;
        Self::iter().find(|p| p.code() == code)
    }

    /// Whether the run is gone: the recipient can only open the link again.
    pub fn ends_the_run(self) -> bool {
        matches!(self, Self::NoSuchRun | Self::RunExpired)
    }
}

/// What a recipient did on the step shown to them. `at` is the number of moves the run had taken
/// when that step was shown, so a replayed or out-of-date post is recognised even when it names
/// the same step again (a question that loops back to itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Move {
    Answer {
        at: u32,
        step: String,
        answer: Answer,
    },
    Back {
        at: u32,
    },
    Restart {
        at: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Answer {
    /// Went on from a message.
    Next,
    /// Chose a question's answer, by its position among the choices.
    Choice(usize),
    /// Typed an input step's value.
    Input(String),
}

/// What was answered on one step of the way, kept as the run's results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Given {
    pub step: String,
    pub answer: GivenAnswer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GivenAnswer {
    Next,
    /// The chosen answer's label as the recipient read it.
    Choice {
        label: String,
    },
    Input {
        variable: String,
        value: String,
    },
}

/// Where a run is: the steps from the start to the current one, the answer given on each step
/// left behind (`answers[i]` on `path[i]`), and how many moves it has taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunState {
    pub path: Vec<String>,
    pub answers: Vec<Given>,
    /// Kept in its own column (the conditional write compares it), not in the stored state.
    #[serde(skip)]
    pub moves: u32,
    /// The answer Back just took away, shown again in its input (not a result: Back undid it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_behind: Option<Given>,
    /// The answers of the last time the run reached an end step: what its results show, so
    /// going Back or restarting after finishing does not erase a finished run's answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed: Option<Vec<Given>>,
}

impl RunState {
    pub fn new(definition: &FlowDefinition) -> Self {
        Self {
            path: vec![definition.start().to_owned()],
            answers: Vec::new(),
            moves: 0,
            left_behind: None,
            completed: None,
        }
    }

    pub fn current(&self) -> &str {
        self.path.last().map_or("", String::as_str)
    }

    /// The flow's variables now: the link's parameters, overridden by what was typed on the way.
    pub fn variables(&self, params: &[(String, String)]) -> HashMap<String, String> {
        let mut variables: HashMap<String, String> = params.iter().cloned().collect();
        for given in &self.answers {
            if let GivenAnswer::Input { variable, value } = &given.answer {
                variables.insert(variable.clone(), value.clone());
            }
        }
        variables
    }

    /// Whether the run stands on an end step.
    pub fn finished(&self, definition: &FlowDefinition) -> bool {
        matches!(
            definition.step(self.current()).map(|s| &s.kind),
            Some(StepKind::End { .. })
        )
    }

    /// Takes `action` if it fits where the run is; otherwise says why and changes nothing.
    pub fn apply(
        &mut self,
        definition: &FlowDefinition,
        params: &[(String, String)],
        action: &Move,
    ) -> Result<(), RunProblem> {
        let at = match action {
            Move::Answer { at, .. } | Move::Back { at } | Move::Restart { at } => *at,
        };
        if at != self.moves {
            return Err(RunProblem::NotCurrentStep);
        }
        if self.moves >= MAX_MOVES || self.path.len() > 2 * definition.steps().len() + 10 {
            // Only Restart (which empties the path) is left, while moves remain.
            let restarting = matches!(action, Move::Restart { .. });
            if !restarting || self.moves >= MAX_MOVES {
                return Err(RunProblem::TooManySteps);
            }
        }
        let left_behind = self.left_behind.take();
        let outcome = self.take(definition, params, action);
        match &outcome {
            Err(_) => self.left_behind = left_behind,
            Ok(()) if self.finished(definition) => self.completed = Some(self.answers.clone()),
            Ok(()) => {}
        }
        outcome
    }

    /// A run whose current step a changed flow no longer has goes back to the start (keeping its
    /// move count, so forms shown before still read as out of date). Returns whether it did.
    pub fn realign(&mut self, definition: &FlowDefinition) -> bool {
        if definition.step(self.current()).is_some() {
            return false;
        }
        *self = Self {
            moves: self.moves,
            completed: self.completed.take(),
            ..Self::new(definition)
        };
        true
    }

    /// What the run's results show: the answers of its last completion, or of where it stands.
    pub fn results(&self) -> &[Given] {
        self.completed.as_deref().unwrap_or(&self.answers)
    }

    fn take(
        &mut self,
        definition: &FlowDefinition,
        params: &[(String, String)],
        action: &Move,
    ) -> Result<(), RunProblem> {
        match action {
            Move::Restart { .. } => {
                *self = Self {
                    moves: self.moves,
                    completed: self.completed.take(),
                    ..Self::new(definition)
                };
            }
            Move::Back { .. } => {
                if self.path.len() <= 1 {
                    return Err(RunProblem::AtFirstStep);
                }
                self.path.pop();
                self.left_behind = self.answers.pop();
            }
            Move::Answer { step, answer, .. } => {
                if step != self.current() {
                    return Err(RunProblem::NotCurrentStep);
                }
                let shown = definition.step(step).ok_or(RunProblem::FlowChanged)?;
                let (given, next) = match (&shown.kind, answer) {
                    (StepKind::End { .. }, _) => return Err(RunProblem::Finished),
                    (StepKind::Message { next, .. }, Answer::Next) => (GivenAnswer::Next, next),
                    (StepKind::Message { .. }, _) => return Err(RunProblem::NotAQuestion),
                    (StepKind::Question { choices, .. }, Answer::Choice(i)) => {
                        let choice = choices.get(*i).ok_or(RunProblem::NoSuchChoice)?;
                        let variables = self.variables(params);
                        let label = fill_in(&choice.label, |n| variables.get(n).cloned());
                        (GivenAnswer::Choice { label }, &choice.next)
                    }
                    (StepKind::Question { .. }, _) => return Err(RunProblem::ChoiceMissing),
                    (StepKind::Input { variable, next, .. }, Answer::Input(value)) => {
                        let value = value.trim();
                        if value.is_empty() {
                            return Err(RunProblem::InputMissing);
                        }
                        if value.chars().count() > MAX_INPUT_CHARS {
                            return Err(RunProblem::InputTooLong);
                        }
                        if !is_single_line(value) {
                            return Err(RunProblem::InputNotText);
                        }
                        let given = GivenAnswer::Input {
                            variable: variable.clone(),
                            value: value.to_owned(),
                        };
                        (given, next)
                    }
                    (StepKind::Input { .. }, _) => return Err(RunProblem::InputMissing),
                };
                self.answers.push(Given {
                    step: step.clone(),
                    answer: given,
                });
                self.path.push(next.clone());
            }
        }
        self.moves += 1;
        Ok(())
    }

    /// The current step as the recipient sees it: texts filled in, nothing of any other step.
    pub fn view(
        &self,
        definition: &FlowDefinition,
        params: &[(String, String)],
    ) -> Result<StepView, RunProblem> {
        let step = definition
            .step(self.current())
            .ok_or(RunProblem::FlowChanged)?;
        let variables = self.variables(params);
        let fill = |text: &str| fill_in(text, |n| variables.get(n).cloned());
        let (text, kind) = match &step.kind {
            StepKind::Message { text, .. } => (text, StepViewKind::Message),
            StepKind::Question { text, choices } => (
                text,
                StepViewKind::Question {
                    choices: choices.iter().map(|c| fill(&c.label)).collect(),
                },
            ),
            StepKind::Input { text, variable, .. } => {
                let typed_before =
                    self.left_behind
                        .as_ref()
                        .and_then(|given| match &given.answer {
                            GivenAnswer::Input { value, .. } if given.step == step.id => {
                                Some(value.clone())
                            }
                            _ => None,
                        });
                let value = typed_before.or_else(|| variables.get(variable).cloned());
                (
                    text,
                    StepViewKind::Input {
                        value: value.unwrap_or_default(),
                    },
                )
            }
            StepKind::End { text } => (text, StepViewKind::End),
        };
        Ok(StepView {
            id: step.id.clone(),
            at: self.moves,
            text: fill(text),
            kind,
            position: u32::try_from(self.path.len()).unwrap_or(u32::MAX),
            total: u32::try_from(definition.steps().len()).unwrap_or(u32::MAX),
        })
    }
}

/// One step, ready to show: what the recipient's page gets instead of the definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    pub id: String,
    /// The run's move count when this step was shown; posted back with the answer.
    pub at: u32,
    /// The step's text, variables filled in (shown as text, never as HTML).
    pub text: String,
    pub kind: StepViewKind,
    /// Steps on the way so far, this one included, and steps in the flow: the progress bar.
    pub position: u32,
    pub total: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepViewKind {
    Message,
    /// The choices' labels, in order: a choice is posted by its position.
    Question {
        choices: Vec<String>,
    },
    /// What the field starts with: typed earlier or given by the link.
    Input {
        value: String,
    },
    End,
}

/// A recipient's page of a flow: the flow's name, the step they are at, and the run's token once
/// there is a run (before the first action there is none, and the page is the link's own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunView {
    pub flow_name: String,
    pub token: Option<RunToken>,
    pub step: StepView,
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    const FLOW: &str = r#"{ "start": "welcome", "steps": [
        { "id": "welcome", "kind": "message", "text": "Hello {{name}}!", "next": "topic" },
        { "id": "topic", "kind": "question", "text": "What do you need, {{name}}?",
          "choices": [ { "label": "Track order {{order}}", "next": "order" }, { "label": "Nothing", "next": "bye" } ] },
        { "id": "order", "kind": "input", "text": "Your order number?", "variable": "order", "next": "bye" },
        { "id": "bye", "kind": "end", "text": "Thank you, {{name}}: {{order}}." } ] }"#;

    fn flow() -> FlowDefinition {
        FlowDefinition::parse_json(FLOW).expect("valid flow")
    }

    fn params() -> Vec<(String, String)> {
        vec![
            ("name".into(), "Ada".into()),
            ("order".into(), "A-1".into()),
        ]
    }

    fn answer(at: u32, step: &str, answer: Answer) -> Move {
        Move::Answer {
            at,
            step: step.into(),
            answer,
        }
    }

    /// Walks welcome → topic (choice 0) and returns the run standing on the input step.
    fn at_input() -> RunState {
        let (def, params) = (flow(), params());
        let mut run = RunState::new(&def);
        run.apply(&def, &params, &answer(0, "welcome", Answer::Next))
            .expect("next");
        run.apply(&def, &params, &answer(1, "topic", Answer::Choice(0)))
            .expect("choice");
        run
    }

    #[test]
    fn a_run_moves_until_its_link_expires_and_the_grace_after() {
        assert_eq!(
            moves_until(None, 3_600_000),
            None,
            "a link that never expires"
        );
        assert_eq!(moves_until(Some(1_000), 0), Some(1_000_000));
        assert_eq!(moves_until(Some(1_000), 60_000), Some(1_060_000));
        assert_eq!(
            moves_until(Some(i64::MAX), 1),
            Some(i64::MAX),
            "no overflow"
        );
    }

    #[test]
    fn a_run_shows_only_its_current_step_filled_in() {
        let (def, params) = (flow(), params());
        let run = RunState::new(&def);
        let view = run.view(&def, &params).expect("view");
        assert_eq!(view.text, "Hello Ada!");
        assert_eq!(view.kind, StepViewKind::Message);
        assert_eq!((view.at, view.position, view.total), (0, 1, 4));
        let shown = serde_json::to_string(&view).expect("json");
        for later in [
            "What do you need",
            "Track order",
            "Your order number",
            "Thank you",
        ] {
            assert!(!shown.contains(later), "{later:?} leaked into {shown}");
        }
    }

    #[test]
    fn answers_move_the_run_and_are_kept_with_what_the_recipient_read() {
        let (def, params) = (flow(), params());
        let mut run = at_input();
        let view = run.view(&def, &params).expect("view");
        assert_eq!(
            view.kind,
            StepViewKind::Input {
                value: "A-1".into()
            },
            "an input whose variable came with the link starts filled in"
        );
        run.apply(
            &def,
            &params,
            &answer(2, "order", Answer::Input("  B-7 ".into())),
        )
        .expect("input");
        assert!(run.finished(&def));
        assert_eq!(
            run.view(&def, &params).expect("view").text,
            "Thank you, Ada: B-7."
        );
        assert_eq!(
            run.answers,
            vec![
                Given {
                    step: "welcome".into(),
                    answer: GivenAnswer::Next
                },
                Given {
                    step: "topic".into(),
                    answer: GivenAnswer::Choice {
                        label: "Track order A-1".into()
                    }
                },
                Given {
                    step: "order".into(),
                    answer: GivenAnswer::Input {
                        variable: "order".into(),
                        value: "B-7".into()
                    }
                },
            ]
        );
        assert_eq!(
            run.apply(&def, &params, &answer(3, "bye", Answer::Next)),
            Err(RunProblem::Finished)
        );
    }

    #[test]
    fn replayed_and_out_of_order_moves_change_nothing() {
        let (def, params) = (flow(), params());
        let mut run = at_input();
        let before = run.clone();
        for stale in [
            answer(1, "topic", Answer::Choice(1)),
            answer(2, "topic", Answer::Choice(1)),
            answer(5, "order", Answer::Input("x".into())),
            Move::Back { at: 1 },
            Move::Restart { at: 0 },
        ] {
            assert_eq!(
                run.apply(&def, &params, &stale),
                Err(RunProblem::NotCurrentStep),
                "{stale:?}"
            );
            assert_eq!(run, before);
        }
    }

    #[test]
    fn answers_that_do_not_fit_the_step_are_refused_each_with_its_reason() {
        let (def, params) = (flow(), params());
        let mut question = RunState::new(&def);
        question
            .apply(&def, &params, &answer(0, "welcome", Answer::Next))
            .expect("next");
        let input = at_input();
        let cases = [
            (
                &question,
                answer(1, "topic", Answer::Choice(2)),
                RunProblem::NoSuchChoice,
            ),
            (
                &question,
                answer(1, "topic", Answer::Next),
                RunProblem::ChoiceMissing,
            ),
            (
                &input,
                answer(2, "order", Answer::Input("   ".into())),
                RunProblem::InputMissing,
            ),
            (
                &input,
                answer(2, "order", Answer::Input("x".repeat(MAX_INPUT_CHARS + 1))),
                RunProblem::InputTooLong,
            ),
            (
                &input,
                answer(2, "order", Answer::Input("a\nb".into())),
                RunProblem::InputNotText,
            ),
            (
                &input,
                answer(2, "order", Answer::Choice(0)),
                RunProblem::InputMissing,
            ),
        ];
        for (before, action, problem) in cases {
            let mut run = before.clone();
            assert_eq!(
                run.apply(&def, &params, &action),
                Err(problem),
                "{action:?}"
            );
            assert_eq!(run, *before, "a refused move changes nothing");
        }
        let mut fresh = RunState::new(&def);
        assert_eq!(
            fresh.apply(&def, &params, &answer(0, "welcome", Answer::Choice(0))),
            Err(RunProblem::NotAQuestion)
        );
        assert_eq!(
            fresh.apply(&def, &params, &Move::Back { at: 0 }),
            Err(RunProblem::AtFirstStep)
        );
        let exactly_the_limit = "é".repeat(MAX_INPUT_CHARS);
        input
            .clone()
            .apply(
                &def,
                &params,
                &answer(2, "order", Answer::Input(exactly_the_limit)),
            )
            .expect("the limit counts characters, not bytes");
    }

    #[test]
    fn back_undoes_the_last_answer_but_shows_what_was_typed_and_restart_starts_over() {
        let (def, params) = (flow(), params());
        let mut run = at_input();
        run.apply(
            &def,
            &params,
            &answer(2, "order", Answer::Input("B-7".into())),
        )
        .expect("typed");
        run.apply(&def, &params, &Move::Back { at: 3 })
            .expect("back");
        assert_eq!(run.current(), "order");
        assert_eq!(run.answers.len(), 2, "the input's answer is undone");
        assert_eq!(
            run.view(&def, &params).expect("view").kind,
            StepViewKind::Input {
                value: "B-7".into()
            },
            "what was typed is there to change"
        );
        run.apply(&def, &params, &Move::Back { at: 4 })
            .expect("back");
        assert_eq!(run.current(), "topic");
        assert_eq!(run.answers.len(), 1);
        run.apply(&def, &params, &Move::Restart { at: 5 })
            .expect("restart");
        assert_eq!(run.current(), "welcome");
        assert!(run.answers.is_empty());
        assert_eq!(run.moves, 6, "every move counts as a step taken");
        assert_eq!(run.left_behind, None);
    }

    #[test]
    fn a_step_removed_from_the_flow_sends_the_run_back_to_the_start() {
        let (def, params) = (flow(), params());
        let mut run = RunState::new(&def);
        run.path = vec!["gone".into()];
        assert_eq!(run.view(&def, &params), Err(RunProblem::FlowChanged));
        assert_eq!(
            run.apply(&def, &params, &answer(0, "gone", Answer::Next)),
            Err(RunProblem::FlowChanged)
        );
        let mut realigned = run.clone();
        assert!(realigned.realign(&def));
        assert_eq!(realigned.current(), "welcome");
        assert!(!realigned.realign(&def), "once is enough");
        run.apply(&def, &params, &Move::Restart { at: 0 })
            .expect("restart");
        assert_eq!(run.current(), "welcome");
    }

    #[test]
    fn forms_parse_once_into_moves() {
        let form = |action: &str, at: &str, choice: Option<&str>, value: Option<&str>| StepForm {
            action: action.into(),
            at: at.into(),
            step: "s".into(),
            choice: choice.map(Into::into),
            value: value.map(Into::into),
        };
        assert_eq!(
            form("answer", "3", Some("1"), None).parse(),
            Ok(answer(3, "s", Answer::Choice(1)))
        );
        assert_eq!(
            form("answer", "3", None, Some("x")).parse(),
            Ok(answer(3, "s", Answer::Input("x".into())))
        );
        assert_eq!(
            form("answer", "0", None, None).parse(),
            Ok(answer(0, "s", Answer::Next))
        );
        assert_eq!(
            form("back", "2", None, None).parse(),
            Ok(Move::Back { at: 2 })
        );
        assert_eq!(
            form("answer", "x", None, None).parse(),
            Err(RunProblem::BadForm)
        );
        assert_eq!(
            form("jump", "1", None, None).parse(),
            Err(RunProblem::BadForm)
        );
        assert_eq!(
            form("answer", "1", Some("-1"), None).parse(),
            Err(RunProblem::NoSuchChoice)
        );
    }

    #[test]
    fn tokens_have_one_shape_and_never_show_in_debug() {
        let token = RunToken::parse("abcdefghijklmnopqrstu_").expect("shape");
        assert_eq!(format!("{token:?}"), "RunToken(…)");
        assert_eq!(token.page(), "/r/abcdefghijklmnopqrstu_");
        for bad in [
            "",
            "short",
            "abcdefghijklmnopqrstu/",
            "abcdefghijklmnopqrstuvw",
        ] {
            assert_eq!(RunToken::parse(bad), Err(RunProblem::NoSuchRun), "{bad:?}");
        }
    }

    #[test]
    fn a_finished_runs_answers_stay_its_results_after_back_or_restart() {
        let (def, params) = (flow(), params());
        let mut run = at_input();
        run.apply(
            &def,
            &params,
            &answer(2, "order", Answer::Input("B-7".into())),
        )
        .expect("typed");
        let finished = run.answers.clone();
        run.apply(&def, &params, &Move::Restart { at: 3 })
            .expect("restart");
        assert!(run.answers.is_empty());
        assert_eq!(run.results(), finished.as_slice());
    }

    #[test]
    fn a_run_that_goes_round_and_round_is_stopped() {
        let def = FlowDefinition::parse_json(
            r#"{"start":"q","steps":[
                {"id":"q","kind":"question","text":"Again?","choices":[{"label":"Yes","next":"q"},{"label":"No","next":"e"}]},
                {"id":"e","kind":"end","text":"Bye."}]}"#,
        )
        .expect("a loop with an exit");
        let mut run = RunState::new(&def);
        let mut refused = None;
        for at in 0..100 {
            if let Err(problem) = run.apply(&def, &[], &answer(at, "q", Answer::Choice(0))) {
                refused = Some((at, problem));
                break;
            }
        }
        assert_eq!(
            refused,
            Some((14, RunProblem::TooManySteps)),
            "2 × 2 steps + 10 on the path"
        );
        run.apply(&def, &[], &Move::Restart { at: 14 })
            .expect("restart is still allowed");
        assert_eq!(run.path.len(), 1);
        run.moves = MAX_MOVES;
        assert_eq!(
            run.apply(&def, &[], &Move::Restart { at: MAX_MOVES }),
            Err(RunProblem::TooManySteps)
        );
    }

    #[test]
    fn every_problem_has_a_code_that_parses_back_and_a_message() {
        for problem in RunProblem::iter() {
            assert_eq!(RunProblem::parse(problem.code()), Some(problem));
            assert!(problem.to_string().ends_with('.'), "{problem:?}");
        }
        assert_eq!(RunProblem::parse("<script>"), None);
    }
}
