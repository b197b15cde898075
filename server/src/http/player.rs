//! Recipients' pages: `GET /f/{application}/{flow}/{link}` (the link's own page, on the hot path),
//! `GET /r/{token}` (a run's current step) and `GET /refused/{code}` (why a link or run does not
//! work, for browsers without JavaScript). None of them writes anything: link previews and mail
//! scanners use nothing up.
//!
//! A link's page is checked once, in full (through the link cache: address grammar, key version,
//! flow state, token, expiry), so revocation, key regeneration and expiry always hold. It shows
//! the flow's first step only, filled in: nothing of any later step is on the page. The verdict
//! goes to the render through context as a `RecipientPage`; the headers (status, CSP with this
//! response's nonce, `frame-ancestors`, `Cache-Control`) are set here from the same verdict.
//!
//! A page that passed depends only on its link's canonical address, apart from its nonce, so the
//! first rendering is kept cut at its nonce and later requests get it joined with a fresh one
//! instead of a full Leptos render. The nonce is drawn here, so it is known exactly and cannot be
//! planted: no text a recipient controls can contain a value drawn after it was written.

use super::headers::{player_policy, CONTENT_SECURITY_POLICY};
use crate::links::cache::CachedPage;
use crate::links::open::{CheckedLink, LinkRecord, Verdict};
use crate::links::LinkStore;
use crate::runs::RunStore;
use crate::security::nonce;
use app::domain::link::LinkRefusal;
use app::domain::run::{
    BackToLink, PageRefusal, Playing, RecipientPage, RunProblem, RunState, RunToken, RunView,
    StartFrom,
};
use app::ports::{Ports, RunError};
use app::refusal::{Refusal, Refused};
use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, StatusCode};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use std::sync::Arc;

#[derive(Clone)]
pub struct PlayerState {
    pub links: LinkStore,
    pub runs: RunStore,
    pub ports: Ports,
    pub options: LeptosOptions,
}

/// The largest page worth keeping; a flow's page is a few kilobytes. Larger ones are served, not kept.
const MAX_PAGE_BYTES: usize = 256 * 1024;

/// What the response says besides its body, decided by the verdict alone.
struct PageHeaders<'a> {
    status: StatusCode,
    record: Option<&'a LinkRecord>,
    /// Protected links and refusals must not be stored anywhere.
    no_store: bool,
}

impl PageHeaders<'_> {
    /// Sets the status, the policy with `nonce`, and `Cache-Control`.
    fn apply(&self, response: &mut Response, nonce: &str) {
        *response.status_mut() = self.status;
        self.apply_policy(response, nonce);
    }

    fn apply_policy(&self, response: &mut Response, nonce: &str) {
        let ancestors = self.record.into_iter().flat_map(LinkRecord::embed_origins);
        let headers = response.headers_mut();
        headers.insert(CONTENT_SECURITY_POLICY, player_policy(nonce, ancestors));
        if self.no_store {
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
}

fn unavailable() -> Response {
    (
        Refusal::Unavailable.http_status(),
        "Please try again in a moment.",
    )
        .into_response()
}

/// `GET /f/{application}/{flow}/{link}?…`: the link's page (routed in `front`).
pub async fn open_page(state: &PlayerState, request: Request) -> Response {
    // Read before the check: a page rendered from a record that an invalidation overtook is not kept.
    let seen = state.links.cache().generation();
    // Split, so the address is read in place while the check awaits (a request is not `Sync`).
    let (parts, body) = request.into_parts();
    let (path, query) = (parts.uri.path(), parts.uri.query().unwrap_or_default());
    let verdict = state.links.check(path, query).await;
    let request = Request::from_parts(parts, body);
    let verdict = match verdict {
        Ok(verdict) => verdict,
        Err(err) => {
            tracing::error!(error = %err, "opening a link");
            let headers = PageHeaders {
                status: Refusal::Unavailable.http_status(),
                record: None,
                no_store: true,
            };
            return refusal_page(
                state,
                request,
                PageRefusal::Link(LinkRefusal::FlowUnavailable),
                headers,
            )
            .await;
        }
    };
    let checked = match verdict {
        Verdict::Open(checked) => {
            crate::metrics::link_opened(Ok(()));
            checked
        }
        Verdict::Refused { refusal, own } => {
            crate::metrics::link_opened(Err(refusal));
            let headers = PageHeaders {
                status: refusal.refusal().http_status(),
                record: own.as_deref(),
                no_store: true,
            };
            return refusal_page(state, request, PageRefusal::Link(refusal), headers).await;
        }
    };
    let headers = PageHeaders {
        status: StatusCode::OK,
        record: Some(&checked.record),
        no_store: checked.record.protected,
    };
    let key = checked.address.path_and_query();
    if let Some(page) = state.links.cache().page(&key) {
        return serve(&page, &headers);
    }
    let first = match first_step(&checked) {
        Ok(first) => first,
        Err(refusal) => {
            let headers = PageHeaders {
                status: refusal.refusal().http_status(),
                no_store: true,
                ..headers
            };
            return refusal_page(state, request, PageRefusal::Link(refusal), headers).await;
        }
    };
    let nonce = nonce();
    let mut rendered = render(state, request, RecipientPage(Ok(first)), None, &nonce).await;
    if rendered.status() != StatusCode::OK {
        // Not a page to keep; it still carries the link's policy and, if protected, no-store.
        headers.apply_policy(&mut rendered, &nonce);
        return rendered;
    }
    let Some(page) = cut_at_nonce(rendered, &nonce).await else {
        return unavailable();
    };
    let page = Arc::new(page);
    if page.bytes <= MAX_PAGE_BYTES {
        state.links.cache().put_page(key, page.clone(), seen);
    }
    serve(&page, &headers)
}

/// The link's first step, filled in with its parameters: all a page that counts nothing shows.
fn first_step(checked: &CheckedLink) -> Result<Playing, LinkRefusal> {
    let definition = checked.record.definition()?;
    let params: Vec<(String, String)> = checked
        .params()
        .iter()
        .map(|p| (p.name().to_owned(), p.value().to_owned()))
        .collect();
    let step = RunState::new(&definition)
        .view(&definition, &params)
        .map_err(|_| LinkRefusal::FlowUnavailable)?;
    Ok(Playing {
        run: RunView {
            flow_name: checked.record.flow_name.clone(),
            token: None,
            step,
        },
        start: Some(StartFrom {
            path: checked.address.path(),
            query: checked.address.query(),
        }),
        problem: None,
    })
}

/// `GET /r/{token}`: the step a run stands at, with the problem of the last move if a browser
/// without JavaScript was sent back here with one (`?problem=…`, a closed set of codes). Never
/// cached anywhere: the token is the run's bearer secret.
pub async fn run_page(state: &PlayerState, request: Request) -> Response {
    let token = last_segment(request.uri().path()).to_owned();
    let problem = request
        .uri()
        .query()
        .and_then(|q| q.strip_prefix("problem="))
        .and_then(RunProblem::parse);
    let (shown, record) = match RunToken::parse(&token) {
        Ok(token) => state.runs.page(&token).await,
        Err(problem) => (Err(RunError::Problem(problem)), None),
    };
    let (page, status) = match shown {
        Ok(run) => (
            Ok(Playing {
                run,
                start: None,
                problem,
            }),
            StatusCode::OK,
        ),
        Err(err) => {
            let refusal = match err {
                RunError::Link(refusal) => PageRefusal::Link(refusal),
                RunError::Problem(problem) => PageRefusal::Run(problem),
                RunError::Limited(_) => PageRefusal::Link(LinkRefusal::TooManyStarts),
                RunError::Backend(err) => {
                    tracing::error!(error = %err, "showing a run");
                    PageRefusal::Link(LinkRefusal::FlowUnavailable)
                }
            };
            let status = refusal.refusal().http_status();
            (Err(refusal), status)
        }
    };
    let headers = PageHeaders {
        status,
        record: record.as_deref(),
        no_store: true,
    };
    let nonce = nonce();
    let mut response = render(state, request, RecipientPage(page), None, &nonce).await;
    headers.apply(&mut response, &nonce);
    response
}

/// `GET /refused/{code}[?from={link}]`: why a first move on a link did not start a run, where a
/// browser without JavaScript is sent. Any other code is a link that is not valid. `from` names
/// the link's page; when it is a real link, its application's origins may frame this page (so an
/// embedded flow says why inside its frame), and a problem with the move offers the link's page
/// again. Nothing about the link is written or counted.
pub async fn refused_page(state: &PlayerState, request: Request) -> Response {
    let refusal = PageRefusal::parse(last_segment(request.uri().path()))
        .unwrap_or(PageRefusal::Link(LinkRefusal::NotValid));
    let from = request.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(key, _)| key == "from")
            .map(|(_, link)| link.into_owned())
    });
    let (mut record, mut back) = (None, None);
    if let Some(link) = from {
        let (path, query) = link.split_once('?').unwrap_or((link.as_str(), ""));
        match state.links.check(path, query).await {
            Ok(Verdict::Open(checked)) => {
                if matches!(refusal, PageRefusal::Run(_)) {
                    back = Some(BackToLink(checked.address.path_and_query()));
                }
                record = Some(checked.record);
            }
            Ok(Verdict::Refused { own, .. }) => record = own,
            Err(err) => tracing::error!(error = %err, "checking the link of a refusal page"),
        }
    }
    let headers = PageHeaders {
        status: refusal.refusal().http_status(),
        record: record.as_deref(),
        no_store: true,
    };
    let nonce = nonce();
    let mut response = render(state, request, RecipientPage(Err(refusal)), back, &nonce).await;
    headers.apply(&mut response, &nonce);
    response
}

async fn refusal_page(
    state: &PlayerState,
    request: Request,
    refusal: PageRefusal,
    headers: PageHeaders<'_>,
) -> Response {
    let nonce = nonce();
    let mut response = render(state, request, RecipientPage(Err(refusal)), None, &nonce).await;
    headers.apply(&mut response, &nonce);
    response
}

/// Renders the page with Leptos, the verdict (and the way back, if any) and the nonce in context.
async fn render(
    state: &PlayerState,
    request: Request,
    opened: RecipientPage,
    back: Option<BackToLink>,
    nonce: &str,
) -> Response {
    let ports = state.ports.clone();
    let nonce = leptos::nonce::Nonce::from_value(nonce.to_owned());
    let options = state.options.clone();
    let handler = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(ports.clone());
            provide_context(opened.clone());
            if let Some(back) = &back {
                provide_context(back.clone());
            }
            provide_context(nonce.clone());
        },
        move || app::recipient_shell(options.clone()),
    );
    handler(request).await
}

/// The rendered page's HTML, cut wherever its nonce stands; `None` when it cannot be read.
async fn cut_at_nonce(response: Response, nonce: &str) -> Option<CachedPage> {
    // The page is our own rendering of a stored flow, bounded by what a definition may hold.
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .ok()?;
    let html = std::str::from_utf8(&bytes).ok()?;
    Some(CachedPage::new(
        html.split(nonce).map(str::to_owned).collect(),
    ))
}

fn serve(page: &CachedPage, headers: &PageHeaders<'_>) -> Response {
    let nonce = nonce();
    let mut response = Response::new(Body::from(page.pieces.join(nonce.as_str())));
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.apply(&mut response, &nonce);
    response
}

/// The last segment of a page's path: its code, token or short code.
pub(super) fn last_segment(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, last)| last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_served_copy_gets_its_own_nonce_in_page_and_policy() {
        let page = CachedPage::new(vec!["<script nonce=\"".into(), "\">x</script>".into()]);
        let headers = PageHeaders {
            status: StatusCode::OK,
            record: None,
            no_store: false,
        };
        let (a, b) = (serve(&page, &headers), serve(&page, &headers));
        let csp = |r: &Response| {
            r.headers()
                .get(CONTENT_SECURITY_POLICY)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .unwrap_or_default()
        };
        assert_ne!(csp(&a), csp(&b));
        let body_of = |r: Response| async move {
            let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
                .await
                .expect("body");
            String::from_utf8(bytes.to_vec()).expect("utf-8")
        };
        let policy_of_a = csp(&a);
        assert!(policy_of_a.contains("frame-ancestors 'none'"));
        assert_eq!(a.headers().get(CACHE_CONTROL), None);
        let html = body_of(a).await;
        let nonce = html
            .trim_start_matches("<script nonce=\"")
            .split('"')
            .next()
            .unwrap_or_default();
        assert!(
            nonce.len() >= 22 && policy_of_a.contains(&format!("'nonce-{nonce}'")),
            "{html} / {policy_of_a}"
        );
    }
}
