//! Downloads for admins and publishers (the session cookie; a browser's download is a plain
//! link), never stored by a cache:
//! - `GET /flows/{slug}/results.csv`: all of a flow's results as CSV, streamed a batch of runs at
//!   a time, so memory stays flat however many runs there are (answers are recipients' data);
//! - `GET /campaigns/uploads/{job}/links.csv`: an upload's rows with their links, for the user who
//!   uploaded them (links are credentials).

use crate::runs::results::CsvExport;
use crate::runs::RunStore;
use app::api::request::session_token_in;
use app::domain::{FlowSlug, Permission, UserView};
use app::error::AppError;
use app::ports::Ports;
use app::refusal::{Refusal, Refused};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, COOKIE};
use http::{HeaderMap, HeaderValue};
use std::sync::Arc;

#[derive(Clone)]
pub struct ExportState {
    pub ports: Ports,
    pub runs: RunStore,
    pub campaigns: crate::campaigns::CampaignStore,
}

/// A refusal as the console says it (the table's status, the refusal's sentence), as plain text.
fn refused(err: AppError) -> Response {
    let status = err.refusal().http_status();
    (status, [(CACHE_CONTROL, "no-store")], err.to_string()).into_response()
}

/// The signed-in admin or publisher downloading, or the refusal to answer.
async fn downloader(state: &ExportState, headers: &HeaderMap) -> Result<UserView, Response> {
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
        Ok(Some(user)) if user.role.allows(Permission::ShareFlows) => Ok(user),
        Ok(Some(_)) => Err(refused(AppError::Refused(
            Refusal::RoleForbids,
            "Your role does not allow this: only admins and publishers can download it.".into(),
        ))),
        Ok(None) => Err(refused(AppError::Unauthenticated)),
        Err(err) => {
            tracing::error!(error = %err, "checking the session of a download");
            Err(refused(AppError::Internal))
        }
    }
}

/// A whole CSV file to download as `filename`.
fn csv_download(body: Body, filename: &str) -> Response {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    response
}

pub async fn upload_links_csv(
    State(state): State<Arc<ExportState>>,
    Path(job): Path<String>,
    headers: HeaderMap,
) -> Response {
    let user = match downloader(&state, &headers).await {
        Ok(user) => user,
        Err(refusal) => return refusal,
    };
    let Some(upload) = state.campaigns.upload_of(&user, &job) else {
        return refused(AppError::Refused(
            Refusal::UploadNotFound,
            "There is no such upload of yours (uploads are kept for an hour).".into(),
        ));
    };
    match upload.links_csv() {
        Some(csv) => csv_download(Body::from(csv), &format!("{}-links.csv", upload.campaign)),
        None => refused(AppError::Refused(
            Refusal::UploadRunning,
            "This upload's links are not all made (or were not made): nothing to download.".into(),
        )),
    }
}

pub async fn results_csv(
    State(state): State<Arc<ExportState>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(refusal) = downloader(&state, &headers).await {
        return refusal;
    }
    let Ok(flow) = FlowSlug::parse(&slug) else {
        return refused(AppError::no_such_flow(&slug));
    };
    let export = match state.runs.export(&flow).await {
        Ok(Some(export)) => export,
        Ok(None) => return refused(AppError::no_such_flow(&slug)),
        Err(err) => {
            tracing::error!(error = %err, "starting an export");
            return refused(AppError::Internal);
        }
    };
    csv_download(
        Body::from_stream(chunks(export)),
        &format!("{}-results.csv", flow.as_str()),
    )
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
