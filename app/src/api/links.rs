//! Opening a shared link for a recipient (public: no session). Besides the flow, this decides the
//! page's status and security headers: the refusal's status, `Cache-Control: no-store` for
//! protected links, and a Content-Security-Policy whose `frame-ancestors` lists exactly the
//! application's allowed embed origins.

use crate::domain::link::{LinkRefusal, PlayerFlow};
use crate::error::AppError;
use leptos::prelude::*;

#[server(endpoint = "open_link")]
pub async fn open_link(
    application: String,
    flow: String,
    link: String,
) -> Result<Result<PlayerFlow, LinkRefusal>, AppError> {
    use super::request::*;
    use crate::ports::OpenedLink;
    use http::header::{HeaderName, HeaderValue, CACHE_CONTROL};
    use http::StatusCode;
    use leptos_axum::ResponseOptions;

    let ports = ports()?;
    let query = use_context::<http::request::Parts>()
        .and_then(|p| p.uri.query().map(str::to_owned))
        .unwrap_or_default();
    let opened = ports
        .links
        .open(&application, &flow, &link, &query)
        .await
        .map_err(AppError::from);
    let Some(response) = use_context::<ResponseOptions>() else {
        return opened.map(|o| o.outcome);
    };
    let nonce = leptos::nonce::use_nonce()
        .map(|n| n.to_string())
        .unwrap_or_default();
    let (ancestors, no_store) = match &opened {
        Ok(o) if !o.frame_ancestors.is_empty() => (o.frame_ancestors.join(" "), o.no_store),
        Ok(o) => ("'none'".to_owned(), o.no_store),
        Err(_) => ("'none'".to_owned(), true),
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors {ancestors}"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(HeaderName::from_static("content-security-policy"), value);
    }
    if no_store {
        response.insert_header(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let status = match &opened {
        Ok(OpenedLink {
            outcome: Err(refusal),
            ..
        }) => refusal.status(),
        Ok(_) => 200,
        Err(err) => err.status(),
    };
    response.set_status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    opened.map(|o| o.outcome)
}

/// Counts a recipient starting the flow: the player calls this when they act on its first step,
/// so link previews and mail scanners that only fetch the page never use up a link.
/// `path` and `query` are the page's own location.
#[server(endpoint = "start_flow")]
pub async fn start_flow(path: String, query: String) -> Result<Result<(), LinkRefusal>, AppError> {
    use super::request::*;
    respond(
        async move {
            let ports = ports()?;
            let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
            let ["f", application, flow, link] = parts.as_slice() else {
                return Ok(Err(LinkRefusal::NotValid));
            };
            Ok(ports
                .links
                .start(application, flow, link, query.trim_start_matches('?'))
                .await?)
        }
        .await,
    )
}
