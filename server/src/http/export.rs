//! `GET /flows/{slug}/results.csv`: all of a flow's results as CSV, for admins and publishers (the
//! session cookie; a browser's Export CSV is a plain link). Streamed a batch of runs at a time, so
//! memory stays flat however many runs there are. Never stored by a cache: answers are
//! recipients' data.

use crate::runs::results::CsvExport;
use crate::runs::RunStore;
use app::api::request::session_token_in;
use app::domain::{FlowSlug, Permission};
use app::ports::Ports;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, COOKIE};
use http::{HeaderMap, HeaderValue, StatusCode};
use std::sync::Arc;

#[derive(Clone)]
pub struct ExportState {
    pub ports: Ports,
    pub runs: RunStore,
}

const SERVER_FAULT: &str =
    "Something went wrong on the server. It has been logged; please try again.";
const NO_SUCH_FLOW: &str = "There is no such flow.";

fn refused(status: StatusCode, message: &'static str) -> Response {
    (status, [(CACHE_CONTROL, "no-store")], message).into_response()
}

pub async fn results_csv(
    State(state): State<Arc<ExportState>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let name = state.ports.cookies.cookie_name();
    let token = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|header| session_token_in(header, name));
    let user = match token {
        Some(token) => state.ports.accounts.session_user(&token).await,
        None => Ok(None),
    };
    match user {
        Ok(Some(user)) if user.role.allows(Permission::ShareFlows) => {}
        Ok(Some(_)) => {
            return refused(
                StatusCode::FORBIDDEN,
                "Your role does not allow this: only admins and publishers can export results.",
            )
        }
        Ok(None) => return refused(StatusCode::UNAUTHORIZED, "Please sign in to continue."),
        Err(err) => {
            tracing::error!(error = %err, "checking the session of an export");
            return refused(StatusCode::INTERNAL_SERVER_ERROR, SERVER_FAULT);
        }
    }
    let Ok(flow) = FlowSlug::parse(&slug) else {
        return refused(StatusCode::NOT_FOUND, NO_SUCH_FLOW);
    };
    let export = match state.runs.export(&flow).await {
        Ok(Some(export)) => export,
        Ok(None) => return refused(StatusCode::NOT_FOUND, NO_SUCH_FLOW),
        Err(err) => {
            tracing::error!(error = %err, "starting an export");
            return refused(StatusCode::INTERNAL_SERVER_ERROR, SERVER_FAULT);
        }
    };
    let disposition = format!("attachment; filename=\"{}-results.csv\"", flow.as_str());
    let mut response = Response::new(Body::from_stream(chunks(export)));
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    response
}

/// The header, then a chunk per batch of runs. A failure midway (the status is already sent)
/// aborts the response, so the download fails visibly instead of leaving a shorter file that
/// looks whole; it is logged.
fn chunks(
    export: CsvExport,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send {
    let header = export.header();
    futures_util::stream::unfold((Some(header), export), |(header, mut export)| async move {
        if let Some(header) = header {
            return Some((Ok(header), (None, export)));
        }
        match export.next_chunk().await? {
            Ok(chunk) => Some((Ok(chunk), (None, export))),
            Err(err) => {
                tracing::error!(error = %err, "exporting results");
                Some((
                    Err(std::io::Error::other("the export failed")),
                    (None, export),
                ))
            }
        }
    })
}
