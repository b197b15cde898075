//! A recipient's moves through a flow, and a flow's results for the console.
//!
//! `start_run` and `run_step` take what every step's plain HTML form posts (see
//! [`StepForm`](crate::domain::run::StepForm)), so a flow runs to its end without JavaScript: a
//! browser posting a form is sent on to the run's page (`/r/{token}`), or to a page saying why
//! not (recipients' pages carry no script: every move is such a post). A script caller (the API
//! tests, a system) posting without `Accept: text/html` gets the next step as JSON.

use crate::domain::results::ResultsPage;
use crate::domain::run::RunView;
use crate::error::AppError;
use leptos::prelude::*;

/// The recipient's first move on a link's own page: starts a run (counted against the link's
/// limit) and takes the move. `path` and `query` are the link's page's own.
#[server(endpoint = "run/start")]
#[allow(clippy::too_many_arguments)]
pub async fn start_run(
    path: String,
    query: String,
    action: String,
    at: String,
    step: String,
    choice: Option<String>,
    value: Option<String>,
) -> Result<RunView, AppError> {
    use super::request::*;
    use crate::domain::link::{LinkAddress, LinkRefusal};
    use crate::domain::run::StepForm;
    use crate::ports::RunError;
    let form = StepForm {
        action,
        at,
        step,
        choice,
        value,
    };
    let query = query.strip_prefix('?').unwrap_or(&query);
    let address = LinkAddress::parse(&path, query);
    let link_page = address.as_ref().ok().map(LinkAddress::path_and_query);
    let link_path = address.as_ref().ok().map(LinkAddress::path);
    let started = async {
        let ports = ports().map_err(|_| RunError::Link(LinkRefusal::FlowUnavailable))?;
        let first = form.parse().map_err(RunError::Problem)?;
        let address = address.map_err(|_| RunError::Link(LinkRefusal::NotValid))?;
        // A start is a move too: the client's moves, then its starts, then (once the link
        // checked out) the link's starts.
        let client = client_ip();
        ports
            .limits
            .run_move_from(client)
            .map_err(RunError::Limited)?;
        ports
            .limits
            .run_start_from(client)
            .map_err(RunError::Limited)?;
        ports.runs.start(address, &first, &*ports.limits).await
    }
    .await;
    // This browser resumes the run when it opens the link again (see `domain::run::resume`).
    if let (
        Ok(RunView {
            token: Some(token), ..
        }),
        Some(path),
    ) = (&started, &link_path)
    {
        set_run_cookie(path, token);
    }
    end_move(started, SendBack::Link(link_page))
}

/// A later move in a run: an answer, Back or Restart.
#[server(endpoint = "run/step")]
pub async fn run_step(
    token: String,
    action: String,
    at: String,
    step: String,
    choice: Option<String>,
    value: Option<String>,
) -> Result<RunView, AppError> {
    use super::request::*;
    use crate::domain::link::LinkRefusal;
    use crate::domain::run::{RunToken, StepForm};
    use crate::ports::RunError;
    let form = StepForm {
        action,
        at,
        step,
        choice,
        value,
    };
    let token = match RunToken::parse(&token) {
        Ok(token) => token,
        Err(problem) => return end_move(Err(RunError::Problem(problem)), SendBack::Link(None)),
    };
    let taken = async {
        let ports = ports().map_err(|_| RunError::Link(LinkRefusal::FlowUnavailable))?;
        // Every post counts, before anything is read or written: each move is a write.
        ports
            .limits
            .run_move_from(client_ip())
            .map_err(RunError::Limited)?;
        let action = form.parse().map_err(RunError::Problem)?;
        ports.runs.take(&token, &action).await
    }
    .await;
    end_move(taken, SendBack::Run(token))
}

/// Where the recipient's browser is sent after a move that did not go on.
#[cfg(feature = "ssr")]
enum SendBack {
    /// The run's own page, which shows where the run stands (with the reason) or why it ended,
    /// framed as its link allows.
    Run(crate::domain::run::RunToken),
    /// Before there is a run: a page with the reason, and a way back to the link's page when the
    /// link is known (its path and query).
    Link(Option<String>),
}

/// Ends every recipient's move the same way. A script gets the next step or the error (with its
/// status); a browser posting a plain form goes on to the run's page, or to a page saying why not.
/// A recipient never sees a server error page: a failure reads as the flow being unavailable.
#[cfg(feature = "ssr")]
fn end_move(
    result: Result<RunView, crate::ports::RunError>,
    back: SendBack,
) -> Result<RunView, AppError> {
    use super::request::{accepts_html, respond};
    use crate::domain::limits::RateLimit;
    use crate::domain::link::LinkRefusal;
    use crate::domain::query::encode_component;
    use crate::domain::run::{PageRefusal, RunProblem};
    use crate::ports::RunError;
    let html = accepts_html();
    let (error, refusal) = match result {
        Ok(view) => {
            if let (true, Some(token)) = (html, &view.token) {
                leptos_axum::redirect(&token.page());
            }
            return Ok(view);
        }
        Err(RunError::Problem(problem)) => (AppError::Run(problem), PageRefusal::Run(problem)),
        Err(RunError::Link(refusal)) => (AppError::Link(refusal), PageRefusal::Link(refusal)),
        // Too many moves leaves the run where it was (the same step, with the reason); too many
        // starts, no run at all.
        Err(RunError::Limited(limited)) => (
            limited.into(),
            match limited.limit {
                RateLimit::RunMoves => PageRefusal::Run(RunProblem::TooManyMoves),
                _ => PageRefusal::Link(LinkRefusal::TooManyStarts),
            },
        ),
        Err(RunError::Backend(err)) => {
            // Converting logs the cause; the recipient reads that it is passing (503).
            let _logged = AppError::from(err);
            let unavailable = LinkRefusal::Unavailable;
            (AppError::Link(unavailable), PageRefusal::Link(unavailable))
        }
    };
    if !html {
        return respond(Err(error));
    }
    let page = match (back, refusal) {
        (SendBack::Run(token), PageRefusal::Run(problem)) if !problem.ends_the_run() => {
            format!("{}?problem={}", token.page(), problem.code())
        }
        (SendBack::Run(token), _) => token.page(),
        (SendBack::Link(Some(link)), refusal) => {
            format!("{}?from={}", refusal.page(), encode_component(&link))
        }
        (SendBack::Link(None), refusal) => refusal.page(),
    };
    leptos_axum::redirect(&page);
    // The redirect is the answer: its status must stay a redirect; a wait still goes along.
    if let (Some(seconds), Some(response)) = (
        error.retry_after_seconds(),
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
    ) {
        response.insert_header(http::header::RETRY_AFTER, seconds.into());
    }
    Err(error)
}

/// A page of a flow's results (admins and publishers).
#[server(endpoint = "flow_results")]
pub async fn flow_results(
    flow: String,
    link: Option<String>,
    outcome: Option<String>,
    before: Option<i64>,
) -> Result<ResultsPage, AppError> {
    use super::request::*;
    use crate::domain::results::{ResultsQuery, RunOutcome};
    use crate::domain::Permission;
    respond(
        async move {
            let (ports, _user) = caller(Permission::ShareFlows).await?;
            let flow = flow_slug(&flow)?;
            let outcome = match outcome.as_deref().filter(|o| !o.is_empty()) {
                None => None,
                Some(raw) => Some(RunOutcome::parse(raw).ok_or_else(|| {
                    AppError::invalid(format!(
                        "There is no run state called {raw:?}: use finished, abandoned or in-progress."
                    ))
                })?),
            };
            let query = ResultsQuery {
                link: link.filter(|l| !l.is_empty()),
                outcome,
                before,
            };
            Ok(ports.runs.results(&flow, &query).await?)
        }
        .await,
    )
}
