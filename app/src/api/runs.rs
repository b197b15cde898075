//! A recipient's moves through a flow, and a flow's results for the console.
//!
//! `start_run` and `run_step` take what every step's plain HTML form posts (see
//! [`StepForm`](crate::domain::run::StepForm)), so a flow runs to its end without JavaScript: a
//! browser posting a form is sent on to the run's page (`/r/{token}`), or to a page saying why
//! not; the player island posts the same fields with fetch and gets the next step as JSON.

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
    let started = async {
        let ports = ports().map_err(|_| RunError::Link(LinkRefusal::FlowUnavailable))?;
        let first = form.parse().map_err(RunError::Problem)?;
        let query = query.strip_prefix('?').unwrap_or(&query);
        let address =
            LinkAddress::parse(&path, query).map_err(|_| RunError::Link(LinkRefusal::NotValid))?;
        ports
            .limits
            .run_start_from(client_ip())
            .map_err(RunError::Limited)?;
        ports.runs.start(address, &first, &*ports.limits).await
    }
    .await;
    end_move(started, None)
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
    let token = RunToken::parse(&token);
    let taken = async {
        let ports = ports().map_err(|_| RunError::Link(LinkRefusal::FlowUnavailable))?;
        let token = token.as_ref().map_err(|p| RunError::Problem(*p))?;
        let action = form.parse().map_err(RunError::Problem)?;
        ports.runs.take(token, &action).await
    }
    .await;
    end_move(taken, token.ok())
}

/// Ends every recipient's move the same way. A script gets the next step or the error (with its
/// status); a browser posting a plain form goes on to the run's page, back to it with the problem
/// named, or to a page saying why the run cannot go on. A recipient never sees a server error
/// page: a failure reads as the flow being unavailable for a moment.
#[cfg(feature = "ssr")]
fn end_move(
    result: Result<RunView, crate::ports::RunError>,
    run: Option<crate::domain::run::RunToken>,
) -> Result<RunView, AppError> {
    use super::request::{accepts_html, respond};
    use crate::domain::link::LinkRefusal;
    use crate::domain::run::Refusal;
    use crate::ports::RunError;
    let html = accepts_html();
    let refused = |refusal: Refusal| {
        if html {
            leptos_axum::redirect(&refusal.page());
        }
        match refusal {
            Refusal::Link(refusal) => AppError::Link(refusal),
            Refusal::Run(problem) => AppError::Run(problem),
        }
    };
    let error = match result {
        Ok(view) => {
            if let (true, Some(token)) = (html, &view.token) {
                leptos_axum::redirect(&token.page());
            }
            return Ok(view);
        }
        Err(RunError::Problem(problem)) => match run {
            Some(token) if !problem.ends_the_run() => {
                if html {
                    leptos_axum::redirect(&format!("{}?problem={}", token.page(), problem.code()));
                }
                AppError::Run(problem)
            }
            _ => refused(Refusal::Run(problem)),
        },
        Err(RunError::Link(refusal)) => refused(Refusal::Link(refusal)),
        Err(RunError::Limited(limited)) => {
            if html {
                leptos_axum::redirect(&Refusal::Link(LinkRefusal::TooManyStarts).page());
            }
            limited.into()
        }
        Err(RunError::Backend(err)) => {
            let _logged = AppError::from(err);
            refused(Refusal::Link(LinkRefusal::FlowUnavailable))
        }
    };
    if html {
        // The redirect above is the answer; its status must stay a redirect.
        return Err(error);
    }
    respond(Err(error))
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
                    AppError::Invalid(format!(
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
