//! The recipient's page model: what the page's handler hands the render (a step to play, or why
//! there is none), and the paths recipients' pages live at.

use super::{RunProblem, RunView};
use crate::domain::link::{LinkRefusal, FULL_PREFIX, SHORT_PREFIX};
use serde::{Deserialize, Serialize};

/// Where a page saying why a link or run does not work is: `/refused/{code}`.
pub const REFUSED_PREFIX: &str = "/refused/";

/// Whether a request path is a recipient's (a full or a short link, a run, a refusal) rather
/// than the console's.
pub fn is_public_path(path: &str) -> bool {
    [FULL_PREFIX, SHORT_PREFIX, super::RUN_PREFIX, REFUSED_PREFIX]
        .iter()
        .any(|prefix| path.starts_with(prefix))
}

/// A recipient's page, as the server's one check left it: the step to play, or why not. The page's
/// handler provides it to the render through context; nothing on the page looks anything up again.
#[derive(Debug, Clone)]
pub struct RecipientPage(pub Result<Playing, PageRefusal>);

/// On a refusal of a first move (before there is a run): the link's page (path and query), to go
/// back to and try again. Provided beside the [`RecipientPage`] when the link is real and open.
#[derive(Debug, Clone)]
pub struct BackToLink(pub String);

/// An application's own words on the page of a link that has ended (see
/// [`Ending::Page`](crate::domain::link_pages::Ending)): shown instead of Flowshare's explanation
/// when not empty, with a link onward if it has one. Provided beside the [`RecipientPage`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnWords {
    pub message: String,
    pub onward: Option<String>,
}

impl OwnWords {
    /// The onward link's host, named on its button so the recipient knows where it leads.
    pub fn onward_host(&self) -> Option<String> {
        let onward = url::Url::parse(self.onward.as_deref()?).ok()?;
        onward.host_str().map(str::to_owned)
    }
}

/// A step to show, on the link's own page (before the first move: `start` names the link the
/// first move starts a run of) or on a run's page (`/r/{token}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Playing {
    pub run: RunView,
    pub start: Option<StartFrom>,
    /// Why the last move was not taken, shown above the step.
    pub problem: Option<RunProblem>,
}

/// The link's path and query, posted back with the first move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartFrom {
    pub path: String,
    pub query: String,
}

/// Why a recipient's page shows no step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PageRefusal {
    Link(LinkRefusal),
    Run(RunProblem),
}

impl PageRefusal {
    pub fn title(self) -> &'static str {
        match self {
            Self::Link(refusal) => refusal.title(),
            Self::Run(RunProblem::NoSuchRun) => "This run does not exist",
            Self::Run(RunProblem::RunExpired) => "This run has ended",
            Self::Run(_) => "This step could not be taken",
        }
    }

    pub fn explanation(self) -> String {
        match self {
            Self::Link(refusal) => refusal.explanation().to_owned(),
            Self::Run(problem) => problem.to_string(),
        }
    }

    /// The page that says so, where a refused first move is sent (`/refused/{code}`).
    pub fn page(self) -> String {
        match self {
            Self::Link(refusal) => format!("{REFUSED_PREFIX}{}", refusal.code()),
            Self::Run(problem) => format!("{REFUSED_PREFIX}{}", problem.code()),
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        LinkRefusal::parse(code)
            .map(Self::Link)
            .or_else(|| RunProblem::parse(code).map(Self::Run))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_pages_are_told_from_the_consoles_by_their_path() {
        for public in ["/f/a", "/s/a", "/r/token", "/refused/expired"] {
            assert!(is_public_path(public), "{public}");
        }
        for console in ["/flows", "/", "/api/v1/links", "/fx"] {
            assert!(!is_public_path(console), "{console}");
        }
    }

    #[test]
    fn refusal_pages_name_link_and_run_refusals_apart() {
        use strum::IntoEnumIterator;
        let all = LinkRefusal::iter()
            .map(PageRefusal::Link)
            .chain(RunProblem::iter().map(PageRefusal::Run));
        for refusal in all {
            let code = refusal.page().trim_start_matches(REFUSED_PREFIX).to_owned();
            assert_eq!(PageRefusal::parse(&code), Some(refusal), "{code}");
        }
    }
}
