//! Recipients' pages: `GET /f/{application}/{flow}/{link}` (the link's own page, on the hot path),
//! `GET /r/{token}` (a run's current step) and `GET /refused/{code}` (why a link or run does not
//! work, where a refused first move is sent). None of them writes anything: link previews and mail
//! scanners use nothing up.
//!
//! A link's page is checked once, in full (through the link cache: address grammar, key version,
//! flow state, token, expiry), so revocation, key regeneration and expiry always hold. It shows
//! the flow's first step only, filled in: nothing of any later step is on the page. The verdict
//! goes to the render through context as a `RecipientPage`; the headers (status, a policy that
//! allows no script at all, `frame-ancestors`, `Cache-Control`) are set here from the same verdict.
//!
//! These pages carry no script: every step is a plain form. So a page that passed depends only on
//! its link's canonical address, and the first rendering is kept whole, with its gzip encoding
//! beside it: later requests get either without a Leptos render or a compression. Runs' and
//! refusals' pages are rendered per request, and gzipped when the browser takes it.
//!
//! Two things come before that (see `app::domain::link_pages` and `app::domain::run::resume`):
//! a browser that started a run on the link (its run cookie) is shown the step its run stands at,
//! rendered for it alone; and a real link that has ended goes where its application says, a
//! redirect or the refusal page with the application's own words. An open link's page carries the
//! application's preview for chat apps.

use super::headers::{player_policy, CONTENT_SECURITY_POLICY, NO_INDEX, X_ROBOTS_TAG};
use crate::links::cache::{CachedPage, Generation};
use crate::links::open::{CheckedLink, LinkRecord, Verdict};
use crate::links::LinkStore;
use crate::runs::RunStore;
use app::domain::link::LinkRefusal;
use app::domain::link_pages::ending::redirect_target;
use app::domain::link_pages::{Ending, EndingKind, LinkPreview};
use app::domain::run::{
    token_in, BackToLink, OwnWords, PageRefusal, Playing, RecipientPage, RunCookie, RunProblem,
    RunState, RunToken, RunView, StartFrom, StepViewKind,
};
use app::ports::{Ports, RunError};
use app::refusal::{Refusal, Refused};
use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, COOKIE, LOCATION,
    REFERRER_POLICY, SET_COOKIE, VARY,
};
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

/// The policy of a page that belongs to no real link: framed by nobody.
static FRAMED_BY_NOBODY: std::sync::LazyLock<HeaderValue> =
    std::sync::LazyLock::new(|| player_policy([]));

/// What the response says besides its body, decided by the verdict alone.
struct PageHeaders<'a> {
    status: StatusCode,
    record: Option<&'a LinkRecord>,
    /// Protected links and refusals must not be stored anywhere.
    no_store: bool,
}

impl PageHeaders<'_> {
    /// Sets the status, the policy, and `Cache-Control`.
    fn apply(&self, response: &mut Response) {
        *response.status_mut() = self.status;
        self.apply_policy(response);
    }

    fn apply_policy(&self, response: &mut Response) {
        let policy = match self.record {
            Some(record) => record.page_policy(|r| player_policy(r.embed_origins())),
            None => FRAMED_BY_NOBODY.clone(),
        };
        let headers = response.headers_mut();
        headers.insert(CONTENT_SECURITY_POLICY, policy);
        // An open link's page may stay in the recipient's browser, but asked again at every use
        // and never kept by a shared cache: revoking the link must end it everywhere at once.
        headers.insert(
            CACHE_CONTROL,
            HeaderValue::from_static(if self.no_store {
                "no-store"
            } else {
                "private, no-cache"
            }),
        );
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
    let gzip = accepts_gzip(&request);
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
            let refusal = PageRefusal::Link(LinkRefusal::Unavailable);
            return refusal_page(state, request, refusal, headers, Beside::default()).await;
        }
    };
    // This browser started a run on this link: it goes on where it was, whatever the link's
    // count says (the run was counted when it started), or the cookie is forgotten.
    let mut forget = None;
    if let Some((cookie, token)) = run_cookie(&request, state) {
        let link = match &verdict {
            Verdict::Open(checked) => Some(checked.record.clone()),
            Verdict::Refused { own, .. } => own.clone(),
        };
        if let Some(link) = link {
            match resume(state, &token, &link).await {
                Resumed::Run(run) => return resumed_page(state, request, run, &link).await,
                Resumed::Over => forget = Some(cookie.clear(request.uri().path())),
                // Not the link's own page instead: that could be its ending, for a run that goes on.
                Resumed::Unknown => {
                    let headers = PageHeaders {
                        status: Refusal::Unavailable.http_status(),
                        record: Some(&link),
                        no_store: true,
                    };
                    let refusal = PageRefusal::Link(LinkRefusal::Unavailable);
                    return refusal_page(state, request, refusal, headers, Beside::default()).await;
                }
            }
        }
    }
    let mut response = link_page(state, request, verdict, seen, gzip).await;
    if let Some(cookie) = forget {
        if let Ok(value) = HeaderValue::try_from(cookie) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

/// The link's own page for its verdict: its first step (kept whole once rendered), or why not.
async fn link_page(
    state: &PlayerState,
    request: Request,
    verdict: Verdict,
    seen: Generation,
    gzip: bool,
) -> Response {
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
            return refusal_page(
                state,
                request,
                PageRefusal::Link(refusal),
                headers,
                Beside::ended(),
            )
            .await;
        }
    };
    let headers = PageHeaders {
        status: StatusCode::OK,
        record: Some(&checked.record),
        no_store: checked.record.protected,
    };
    let key = checked.address.path_and_query();
    if let Some(page) = state.links.cache().page(&key) {
        return serve(&page, &headers, gzip);
    }
    let first = match first_step(&checked) {
        Ok(first) => first,
        Err(refusal) => {
            let headers = PageHeaders {
                status: refusal.refusal().http_status(),
                no_store: true,
                ..headers
            };
            return refusal_page(
                state,
                request,
                PageRefusal::Link(refusal),
                headers,
                Beside::default(),
            )
            .await;
        }
    };
    // What chat apps show under the link: the application's preview, nothing of the link's own.
    let beside = Beside {
        preview: Some(checked.record.preview()),
        ..Beside::default()
    };
    let mut rendered = render(state, request, RecipientPage(Ok(first)), beside).await;
    if rendered.status() != StatusCode::OK {
        // Not a page to keep; it still carries the link's policy and, if protected, no-store.
        headers.apply_policy(&mut rendered);
        return rendered;
    }
    let Some(page) = page_of(rendered).await else {
        return unavailable();
    };
    let page = Arc::new(page);
    if page.bytes <= MAX_PAGE_BYTES {
        state.links.cache().put_page(key, page.clone(), seen);
    }
    serve(&page, &headers, gzip)
}

/// What a run cookie came to on its link's page.
enum Resumed {
    /// The run goes on: its current step.
    Run(RunView),
    /// The cookie names no run that goes on here (finished, ended, or not this link's): forget it.
    Over,
    /// The run could not be read just now: "try again", and the cookie is kept for the next open.
    Unknown,
}

async fn resume(state: &PlayerState, token: &RunToken, link: &LinkRecord) -> Resumed {
    match state.runs.page(token).await {
        (Ok(run), Some(of)) if of.link_id == link.link_id => {
            if matches!(run.step.kind, StepViewKind::End) {
                Resumed::Over
            } else {
                Resumed::Run(run)
            }
        }
        (Err(RunError::Backend(err)), _) => {
            tracing::error!(error = %err, "resuming a run");
            Resumed::Unknown
        }
        _ => Resumed::Over,
    }
}

/// A resumed run's current step, at the link's own address (the token stays in the cookie, out
/// of the address bar), stored nowhere: it is this browser's alone.
async fn resumed_page(
    state: &PlayerState,
    request: Request,
    run: RunView,
    link: &LinkRecord,
) -> Response {
    crate::metrics::link_opened(Ok(()));
    let headers = PageHeaders {
        status: StatusCode::OK,
        record: Some(link),
        no_store: true,
    };
    let playing = Playing {
        run,
        start: None,
        problem: None,
    };
    step_page(state, request, playing, &headers).await
}

/// A run's step, rendered for this request alone.
async fn step_page(
    state: &PlayerState,
    request: Request,
    playing: Playing,
    headers: &PageHeaders<'_>,
) -> Response {
    let gzip = accepts_gzip(&request);
    let rendered = render(
        state,
        request,
        RecipientPage(Ok(playing)),
        Beside::default(),
    )
    .await;
    served_once(rendered, headers, gzip).await
}

/// The run token this browser keeps for the link it opens, if it sent one (a plain cookie only
/// where the deployment is not served over https).
fn run_cookie(request: &Request, state: &PlayerState) -> Option<(RunCookie, RunToken)> {
    let headers = request.headers().get_all(COOKIE);
    token_in(
        headers.iter().filter_map(|v| v.to_str().ok()),
        request.uri().path(),
        !state.ports.cookies.secure,
    )
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

/// `GET /r/{token}`: the step a run stands at, with the problem of the last move if the
/// recipient's post was sent back here with one (`?problem=…`, a closed set of codes). Never
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
                    PageRefusal::Link(LinkRefusal::Unavailable)
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
    match page {
        Ok(playing) => step_page(state, request, playing, &headers).await,
        Err(refusal) => refusal_page(state, request, refusal, headers, Beside::ended()).await,
    }
}

/// `GET /refused/{code}[?from={link}]`: why a first move on a link did not start a run, where the
/// recipient's post is sent. Any other code is a link that is not valid. `from` names
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
    let (mut record, mut beside) = (None, Beside::default());
    if let Some(link) = from {
        let (path, query) = link.split_once('?').unwrap_or((link.as_str(), ""));
        match state.links.check(path, query).await {
            Ok(Verdict::Open(checked)) => {
                if matches!(refusal, PageRefusal::Run(_)) {
                    beside.back = Some(BackToLink(checked.address.path_and_query()));
                }
                record = Some(checked.record);
            }
            Ok(Verdict::Refused {
                refusal: found,
                own,
            }) => {
                // The application's way forward only for the ending this check itself found:
                // the page's code is the client's to write, and a forged link has none.
                beside.ended = refusal == PageRefusal::Link(found);
                record = own;
            }
            Err(err) => tracing::error!(error = %err, "checking the link of a refusal page"),
        }
    }
    let headers = PageHeaders {
        status: refusal.refusal().http_status(),
        record: record.as_deref(),
        no_store: true,
    };
    refusal_page(state, request, refusal, headers, beside).await
}

/// Why a link or run does not work. A real link (`headers.record`) whose check found that it
/// ended (`beside.ended`) goes where its application says: a redirect, or this page with the
/// application's own words. Anything else (a link that is not valid above all) gets Flowshare's
/// own page.
async fn refusal_page(
    state: &PlayerState,
    request: Request,
    refusal: PageRefusal,
    headers: PageHeaders<'_>,
    mut beside: Beside,
) -> Response {
    let ending = match (refusal, headers.record.filter(|_| beside.ended)) {
        (PageRefusal::Link(refusal), Some(record)) => refusal
            .ending()
            .map(|kind| (kind, record.endings().get(kind))),
        _ => None,
    };
    match ending {
        Some((kind, Ending::Redirect { to, reason })) => return redirect_onward(to, *reason, kind),
        Some((_, Ending::Page { message, onward })) if !message.is_empty() || onward.is_some() => {
            beside.own_words = Some(OwnWords {
                message: message.clone(),
                onward: onward.clone(),
            });
        }
        _ => {}
    }
    let gzip = accepts_gzip(&request);
    let rendered = render(state, request, RecipientPage(Err(refusal)), beside).await;
    served_once(rendered, &headers, gzip).await
}

/// An ending's redirect: to the application's URL alone (with the reason when asked), never with
/// anything of the link. Its own headers, since the defaults skip redirects: no referrer (the
/// link's address must not reach the next site), stored nowhere, indexed by nobody.
fn redirect_onward(to: &str, reason: bool, kind: EndingKind) -> Response {
    let Some(location) =
        redirect_target(to, reason, kind).and_then(|target| HeaderValue::try_from(target).ok())
    else {
        tracing::error!(ending = kind.code(), "a stored ending's URL does not read");
        return unavailable();
    };
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    headers.insert(LOCATION, location);
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(X_ROBOTS_TAG, HeaderValue::from_static(NO_INDEX));
    response
}

/// What a page shows besides its verdict, each provided to the render when there.
#[derive(Default)]
struct Beside {
    /// The refusal is the ending the check of the page's link found: the application's way
    /// forward applies.
    ended: bool,
    /// A refused first move: the way back to the link's page.
    back: Option<BackToLink>,
    /// An ended link's application's own words.
    own_words: Option<OwnWords>,
    /// An open link's preview, for chat apps.
    preview: Option<LinkPreview>,
}

impl Beside {
    fn ended() -> Self {
        Self {
            ended: true,
            ..Self::default()
        }
    }
}

/// Renders the page with Leptos, the verdict and what goes beside it in context.
async fn render(
    state: &PlayerState,
    request: Request,
    opened: RecipientPage,
    beside: Beside,
) -> Response {
    let ports = state.ports.clone();
    let options = state.options.clone();
    let handler = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(ports.clone());
            provide_context(opened.clone());
            if let Some(back) = &beside.back {
                provide_context(back.clone());
            }
            if let Some(words) = &beside.own_words {
                provide_context(words.clone());
            }
            if let Some(preview) = &beside.preview {
                provide_context(preview.clone());
            }
        },
        move || app::recipient_shell(options.clone()),
    );
    handler(request).await
}

/// The rendered page's HTML, whole; `None` when it cannot be read.
async fn html_of(response: Response) -> Option<axum::body::Bytes> {
    // The page is our own rendering of a stored flow, bounded by what a definition may hold.
    let mut bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .ok()?;
    bytes.truncate(document_end(&bytes));
    Some(bytes)
}

/// The rendered page, whole, with its gzip encoding; `None` when it cannot be read.
async fn page_of(response: Response) -> Option<CachedPage> {
    html_of(response).await.map(CachedPage::new)
}

/// Where the document ends: Leptos appends its hydration state as scripts after `</html>`,
/// which a page that hydrates nothing (and whose policy would refuse them) does without.
fn document_end(html: &[u8]) -> usize {
    const END: &[u8] = b"</html>";
    html.windows(END.len())
        .rposition(|window| window == END)
        .map_or(html.len(), |at| at + END.len())
}

/// A page rendered for this request alone, sent as the browser takes it (compressed only then).
async fn served_once(rendered: Response, headers: &PageHeaders<'_>, gzip: bool) -> Response {
    // A rendering that failed is not this verdict's page.
    if rendered.status().is_server_error() {
        return unavailable();
    }
    let Some(html) = html_of(rendered).await else {
        return unavailable();
    };
    let page = if gzip {
        CachedPage::new(html)
    } else {
        CachedPage::plain(html)
    };
    serve(&page, headers, gzip)
}

fn serve(page: &CachedPage, headers: &PageHeaders<'_>, gzip: bool) -> Response {
    let mut response = match (&page.gzip, gzip) {
        (Some(encoded), true) => {
            let mut response = Response::new(Body::from(encoded.clone()));
            response
                .headers_mut()
                .insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            response
        }
        _ => Response::new(Body::from(page.html.clone())),
    };
    let map = response.headers_mut();
    map.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // Whether it came gzipped depended on the request's `Accept-Encoding`.
    map.insert(VARY, HeaderValue::from_static("accept-encoding"));
    headers.apply(&mut response);
    response
}

/// Whether the request takes a gzipped answer: `Accept-Encoding` names `gzip` (or, without
/// naming it, `*`) at a weight above zero.
fn accepts_gzip(request: &Request) -> bool {
    let (mut gzip, mut any) = (None, None);
    for coding in request
        .headers()
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default();
        let taken = !parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        if name.eq_ignore_ascii_case("gzip") {
            gzip = Some(taken);
        } else if name == "*" {
            any = Some(taken);
        }
    }
    gzip.or(any).unwrap_or(false)
}

/// The last segment of a page's path: its code, token or short code.
pub(super) fn last_segment(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, last)| last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(accept: Option<&str>) -> Request {
        let mut request = Request::builder().uri("/f/a/b/c");
        if let Some(accept) = accept {
            request = request.header(ACCEPT_ENCODING, accept);
        }
        request.body(Body::empty()).expect("a request")
    }

    #[test]
    fn what_follows_the_document_is_cut() {
        let page = b"<!DOCTYPE html><html><body><p>x</p></body></html><script>__RESOLVED_RESOURCES=[];</script>";
        assert_eq!(
            &page[..document_end(page)],
            b"<!DOCTYPE html><html><body><p>x</p></body></html>"
        );
        // The cut is at the last `</html>`, the document's own: nothing of the page is lost.
        let escaped = b"<html><p>&lt;/html&gt;</p></html>";
        assert_eq!(document_end(escaped), escaped.len());
        assert_eq!(document_end(b"no document"), 11);
    }

    #[test]
    fn gzip_is_sent_only_to_who_takes_it() {
        assert!(accepts_gzip(&request(Some("gzip, deflate, br, zstd"))));
        assert!(accepts_gzip(&request(Some("br;q=1.0, GZIP;q=0.5"))));
        assert!(accepts_gzip(&request(Some("*"))));
        assert!(!accepts_gzip(&request(Some("gzip;q=0, br"))));
        assert!(
            !accepts_gzip(&request(Some("gzip;q=0, *"))),
            "gzip named and refused"
        );
        assert!(!accepts_gzip(&request(Some("identity"))));
        assert!(!accepts_gzip(&request(Some("x-gzip-ish"))));
        assert!(!accepts_gzip(&request(None)));
    }

    #[tokio::test]
    async fn a_kept_page_is_served_as_it_is_or_gzipped_with_a_policy_that_runs_no_script() {
        let html = format!("<!DOCTYPE html><p>{}</p>", "Hello Ada. ".repeat(200));
        let page = CachedPage::new(html.clone().into());
        let headers = PageHeaders {
            status: StatusCode::OK,
            record: None,
            no_store: false,
        };
        let plain = serve(&page, &headers, false);
        let zipped = serve(&page, &headers, true);
        for response in [&plain, &zipped] {
            let policy = response
                .headers()
                .get(CONTENT_SECURITY_POLICY)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            assert!(policy.contains("script-src 'none'"), "{policy}");
            assert!(policy.ends_with("frame-ancestors 'none'"), "{policy}");
            assert_eq!(
                response
                    .headers()
                    .get(CACHE_CONTROL)
                    .and_then(|v| v.to_str().ok()),
                Some("private, no-cache"),
                "never kept by a shared cache"
            );
            assert_eq!(
                response.headers().get(VARY).and_then(|v| v.to_str().ok()),
                Some("accept-encoding")
            );
        }
        assert_eq!(plain.headers().get(CONTENT_ENCODING), None);
        assert_eq!(
            zipped
                .headers()
                .get(CONTENT_ENCODING)
                .and_then(|v| v.to_str().ok()),
            Some("gzip")
        );
        let bytes = |r: Response| async move {
            axum::body::to_bytes(r.into_body(), usize::MAX)
                .await
                .expect("body")
        };
        assert_eq!(bytes(plain).await, html.as_bytes());
        let encoded = bytes(zipped).await;
        assert!(encoded.len() < html.len() / 4, "{} bytes", encoded.len());
        let mut decoded = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(&encoded[..]),
            &mut decoded,
        )
        .expect("gzip");
        assert_eq!(decoded, html);
    }
}
