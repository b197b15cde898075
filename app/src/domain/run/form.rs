//! A step's form as a plain HTML form posts it (every field text), parsed once into a [`Move`].

use super::{Answer, Move, RunProblem};
use serde::{Deserialize, Serialize};

/// The fields every step's form posts, as typed into a plain HTML form (so every one is text).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepForm {
    /// `answer`, `back` or `restart`.
    pub action: String,
    pub at: String,
    pub step: String,
    /// A question's chosen answer, by position.
    pub choice: Option<String>,
    /// An input step's value.
    pub value: Option<String>,
}

impl StepForm {
    /// Parses the form once, at the edge; what it cannot be is [`RunProblem::BadForm`].
    pub fn parse(&self) -> Result<Move, RunProblem> {
        let at = self.at.parse().map_err(|_| RunProblem::BadForm)?;
        match self.action.as_str() {
            "back" => Ok(Move::Back { at }),
            "restart" => Ok(Move::Restart { at }),
            "answer" => {
                let answer = match (&self.choice, &self.value) {
                    (Some(choice), _) => {
                        Answer::Choice(choice.parse().map_err(|_| RunProblem::NoSuchChoice)?)
                    }
                    (None, Some(value)) => Answer::Input(value.clone()),
                    (None, None) => Answer::Next,
                };
                Ok(Move::Answer {
                    at,
                    step: self.step.clone(),
                    answer,
                })
            }
            _ => Err(RunProblem::BadForm),
        }
    }
}
