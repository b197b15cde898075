//! A flow's definition: the small JSON format of steps the player walks. Parsed and checked as a
//! whole, so a definition in hand always has a start, no dangling targets and a way to finish.
//!
//! ```json
//! { "start": "welcome",
//!   "steps": [
//!     { "id": "welcome", "kind": "message", "text": "Hello {{name}}!", "next": "topic" },
//!     { "id": "topic", "kind": "question", "text": "What do you need?",
//!       "choices": [ { "label": "Track an order", "next": "order" }, { "label": "Nothing", "next": "bye" } ] },
//!     { "id": "order", "kind": "input", "text": "Your order number?", "variable": "order_id", "next": "bye" },
//!     { "id": "bye", "kind": "end", "text": "Thank you, {{name}}." } ] }
//! ```
//! `{{variable}}` in a text is replaced by a URL parameter or an input's value when the flow runs.

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

pub const MAX_STEPS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub label: String,
    pub next: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum StepKind {
    Message {
        text: String,
        next: String,
    },
    Question {
        text: String,
        choices: Vec<Choice>,
    },
    Input {
        text: String,
        variable: String,
        next: String,
    },
    End {
        text: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub id: String,
    #[serde(flatten)]
    pub kind: StepKind,
}

impl Step {
    /// What in this step holds a control character it may not: texts may hold tabs and line
    /// breaks; ids, labels, variable names and targets nothing of the kind.
    fn control_character(&self) -> Option<&'static str> {
        use super::text::{is_multi_line, is_single_line};
        let (text, single) = match &self.kind {
            StepKind::Message { text, next } => (text, vec![next.as_str()]),
            StepKind::Input {
                text,
                variable,
                next,
            } => (text, vec![variable.as_str(), next.as_str()]),
            StepKind::Question { text, choices } => (
                text,
                choices
                    .iter()
                    .flat_map(|c| [c.label.as_str(), c.next.as_str()])
                    .collect(),
            ),
            StepKind::End { text } => (text, vec![]),
        };
        if !is_multi_line(text) {
            Some("its text holds a control character other than tab or a line break")
        } else if !is_single_line(&self.id) || !single.into_iter().all(is_single_line) {
            Some("its id, a choice's label, a variable or a target holds a control character")
        } else {
            None
        }
    }

    fn targets(&self) -> Vec<&str> {
        match &self.kind {
            StepKind::Message { next, .. } | StepKind::Input { next, .. } => vec![next.as_str()],
            StepKind::Question { choices, .. } => choices.iter().map(|c| c.next.as_str()).collect(),
            StepKind::End { .. } => vec![],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionError {
    #[error("the definition is not valid JSON of the flow format: {0}")]
    Malformed(String),
    #[error("the definition has no steps")]
    NoSteps,
    #[error("step {step:?}: {reason}")]
    BadStep { step: String, reason: String },
    #[error("the definition has {0} steps; at most {MAX_STEPS} are allowed")]
    TooManySteps(usize),
    #[error("a step has an empty id")]
    EmptyId,
    #[error("step {0:?} is defined twice")]
    DuplicateStep(String),
    #[error("the start step {0:?} does not exist")]
    MissingStart(String),
    #[error("step {step:?} leads to {target:?}, which does not exist")]
    DanglingTarget { step: String, target: String },
    #[error("question step {0:?} has no choices")]
    NoChoices(String),
    #[error("input step {0:?} needs a variable name of letters, digits, '_', '.' or '-'")]
    BadVariable(String),
    #[error("step {0:?} can never reach an end step (a cycle without an exit)")]
    NoWayOut(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawDefinition", into = "RawDefinition")]
pub struct FlowDefinition {
    start: String,
    steps: Vec<Step>,
}

#[derive(Serialize, Deserialize)]
struct RawDefinition {
    start: String,
    steps: Vec<Step>,
}

impl TryFrom<RawDefinition> for FlowDefinition {
    type Error = DefinitionError;
    fn try_from(raw: RawDefinition) -> Result<Self, Self::Error> {
        Self::new(raw.start, raw.steps)
    }
}

impl From<FlowDefinition> for RawDefinition {
    fn from(def: FlowDefinition) -> Self {
        Self {
            start: def.start,
            steps: def.steps,
        }
    }
}

fn valid_variable(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

impl FlowDefinition {
    pub fn parse_json(json: &str) -> Result<Self, DefinitionError> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| DefinitionError::Malformed(e.to_string()))?;
        Self::from_json_value(value)
    }

    /// Reads a definition step by step, so that a fault inside a step (an unknown kind, a missing
    /// field) names the step it is in.
    pub fn from_json_value(value: serde_json::Value) -> Result<Self, DefinitionError> {
        let malformed = |what: &str| DefinitionError::Malformed(what.to_owned());
        let object = value
            .as_object()
            .ok_or_else(|| malformed("expected an object with \"start\" and \"steps\""))?;
        if let Some(unknown) = object.keys().find(|k| *k != "start" && *k != "steps") {
            return Err(malformed(&format!("unknown field {unknown:?}")));
        }
        let start = object
            .get("start")
            .and_then(|s| s.as_str())
            .ok_or_else(|| malformed("\"start\" must name a step"))?;
        let raw_steps = object
            .get("steps")
            .and_then(|s| s.as_array())
            .ok_or_else(|| malformed("\"steps\" must be a list"))?;
        let steps = raw_steps
            .iter()
            .enumerate()
            .map(|(i, raw)| {
                let name = raw
                    .get("id")
                    .and_then(|id| id.as_str())
                    .map_or_else(|| format!("#{}", i + 1), str::to_owned);
                serde_json::from_value::<Step>(raw.clone()).map_err(|e| DefinitionError::BadStep {
                    step: name,
                    reason: e.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(start.to_owned(), steps)
    }

    pub fn to_json(&self) -> String {
        // Serialising plain strings and vectors cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn new(start: String, steps: Vec<Step>) -> Result<Self, DefinitionError> {
        if steps.is_empty() {
            return Err(DefinitionError::NoSteps);
        }
        if steps.len() > MAX_STEPS {
            return Err(DefinitionError::TooManySteps(steps.len()));
        }
        let mut index = HashMap::new();
        for (i, step) in steps.iter().enumerate() {
            if step.id.trim().is_empty() {
                return Err(DefinitionError::EmptyId);
            }
            if index.insert(step.id.as_str(), i).is_some() {
                return Err(DefinitionError::DuplicateStep(step.id.clone()));
            }
        }
        if !index.contains_key(start.as_str()) {
            return Err(DefinitionError::MissingStart(start));
        }
        for step in &steps {
            if let Some(reason) = step.control_character() {
                return Err(DefinitionError::BadStep {
                    step: step.id.clone(),
                    reason: reason.to_owned(),
                });
            }
            match &step.kind {
                StepKind::Question { choices, .. } if choices.is_empty() => {
                    return Err(DefinitionError::NoChoices(step.id.clone()))
                }
                StepKind::Input { variable, .. } if !valid_variable(variable) => {
                    return Err(DefinitionError::BadVariable(step.id.clone()))
                }
                _ => {}
            }
            if let Some(target) = step.targets().into_iter().find(|t| !index.contains_key(t)) {
                return Err(DefinitionError::DanglingTarget {
                    step: step.id.clone(),
                    target: target.to_owned(),
                });
            }
        }
        // Every step must be able to finish: walk backwards from the end steps.
        let mut can_finish: HashSet<&str> = steps
            .iter()
            .filter(|s| matches!(s.kind, StepKind::End { .. }))
            .map(|s| s.id.as_str())
            .collect();
        loop {
            let before = can_finish.len();
            for step in &steps {
                if step.targets().iter().any(|t| can_finish.contains(t)) {
                    can_finish.insert(step.id.as_str());
                }
            }
            if can_finish.len() == before {
                break;
            }
        }
        if let Some(stuck) = steps.iter().find(|s| !can_finish.contains(s.id.as_str())) {
            return Err(DefinitionError::NoWayOut(stuck.id.clone()));
        }
        Ok(Self { start, steps })
    }

    pub fn start(&self) -> &str {
        &self.start
    }

    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"{ "start": "welcome", "steps": [
        { "id": "welcome", "kind": "message", "text": "Hello {{name}}!", "next": "topic" },
        { "id": "topic", "kind": "question", "text": "What do you need?",
          "choices": [ { "label": "Track an order", "next": "order" }, { "label": "Nothing", "next": "bye" } ] },
        { "id": "order", "kind": "input", "text": "Your order number?", "variable": "order_id", "next": "bye" },
        { "id": "bye", "kind": "end", "text": "Thank you." } ] }"#;

    fn error_of(json: &str) -> DefinitionError {
        FlowDefinition::parse_json(json).expect_err("definition should be refused")
    }

    #[test]
    fn control_characters_are_refused_but_texts_keep_tabs_and_line_breaks() {
        let with = |text: &str, label: &str| {
            serde_json::json!({"start": "q", "steps": [
                {"id": "q", "kind": "question", "text": text,
                 "choices": [{"label": label, "next": "e"}]},
                {"id": "e", "kind": "end", "text": "Bye."}
            ]})
        };
        assert!(FlowDefinition::from_json_value(with("Line one\n\tline two", "Yes")).is_ok());
        for (text, label) in [
            ("bell\u{7}", "Yes"),
            ("nul\u{0}", "Yes"),
            ("ok", "Ye\ns"),
            ("ok", "c1\u{85}"),
        ] {
            let refused = FlowDefinition::from_json_value(with(text, label));
            assert!(
                matches!(&refused, Err(DefinitionError::BadStep { step, .. }) if step == "q"),
                "{text:?} / {label:?}: {refused:?}"
            );
        }
    }

    #[test]
    fn the_documented_example_parses_and_round_trips() {
        let def = FlowDefinition::parse_json(EXAMPLE).expect("example is valid");
        assert_eq!(def.start(), "welcome");
        assert_eq!(def.steps().len(), 4);
        assert_eq!(FlowDefinition::parse_json(&def.to_json()), Ok(def));
    }

    #[test]
    fn an_unknown_step_kind_is_refused_naming_the_step() {
        let err = error_of(
            r#"{"start":"a","steps":[{"id":"a","kind":"end","text":"x"},{"id":"warp","kind":"teleport","text":"x"}]}"#,
        );
        assert!(
            matches!(&err, DefinitionError::BadStep { step, reason } if step == "warp" && reason.contains("teleport")),
            "{err}"
        );
        assert!(
            err.to_string()
                .starts_with("step \"warp\": unknown variant `teleport`"),
            "{err}"
        );
        let nameless = error_of(r#"{"start":"a","steps":[{"kind":"end","text":"x"}]}"#);
        assert!(
            matches!(&nameless, DefinitionError::BadStep { step, .. } if step == "#1"),
            "{nameless}"
        );
    }

    #[test]
    fn a_dangling_target_names_its_step() {
        let err = error_of(
            r#"{"start":"a","steps":[{"id":"a","kind":"message","text":"x","next":"nowhere"}]}"#,
        );
        assert_eq!(
            err,
            DefinitionError::DanglingTarget {
                step: "a".into(),
                target: "nowhere".into()
            }
        );
    }

    #[test]
    fn a_cycle_without_an_exit_names_a_step_in_it() {
        let err = error_of(
            r#"{"start":"a","steps":[
              {"id":"a","kind":"question","text":"?","choices":[{"label":"loop","next":"b"},{"label":"out","next":"end"}]},
              {"id":"b","kind":"message","text":"x","next":"c"},
              {"id":"c","kind":"message","text":"y","next":"b"},
              {"id":"end","kind":"end","text":"bye"}]}"#,
        );
        assert_eq!(err, DefinitionError::NoWayOut("b".into()));
    }

    #[test]
    fn a_cycle_with_an_exit_is_fine() {
        let ok = r#"{"start":"a","steps":[
              {"id":"a","kind":"question","text":"again?","choices":[{"label":"yes","next":"a"},{"label":"no","next":"end"}]},
              {"id":"end","kind":"end","text":"bye"}]}"#;
        assert!(FlowDefinition::parse_json(ok).is_ok());
    }

    #[test]
    fn structural_faults_are_named() {
        assert_eq!(
            error_of(r#"{"start":"a","steps":[]}"#),
            DefinitionError::NoSteps
        );
        assert_eq!(
            error_of(r#"{"start":"z","steps":[{"id":"a","kind":"end","text":""}]}"#),
            DefinitionError::MissingStart("z".into())
        );
        assert_eq!(
            error_of(
                r#"{"start":"a","steps":[{"id":"a","kind":"end","text":""},{"id":"a","kind":"end","text":""}]}"#
            ),
            DefinitionError::DuplicateStep("a".into())
        );
        assert_eq!(
            error_of(
                r#"{"start":"a","steps":[{"id":"a","kind":"question","text":"?","choices":[]}]}"#
            ),
            DefinitionError::NoChoices("a".into())
        );
        assert_eq!(
            error_of(
                r#"{"start":"a","steps":[{"id":"a","kind":"input","text":"?","variable":"a b","next":"a"}]}"#
            ),
            DefinitionError::BadVariable("a".into())
        );
        assert!(matches!(
            error_of("not json"),
            DefinitionError::Malformed(_)
        ));
    }
}
