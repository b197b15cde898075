//! The server side of a server-function call: the ports from context, the caller's cookies
//! (session and device), and the single place where an [`AppError`] becomes an HTTP status.

use crate::domain::{Permission, UserView};
use crate::error::AppError;
use crate::ports::{BackendError, CookiePolicy, DeviceToken, Ports, SessionToken};
use http::header::{HeaderValue, COOKIE, SET_COOKIE};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

impl From<BackendError> for AppError {
    fn from(err: BackendError) -> Self {
        tracing::error!(error = %err, "backend failure");
        AppError::Internal
    }
}

/// A flow's slug from a request; anything that cannot be one names no flow.
pub fn flow_slug(raw: &str) -> Result<crate::domain::FlowSlug, AppError> {
    crate::domain::FlowSlug::parse(raw).map_err(|_| AppError::no_such_flow(raw))
}

/// An application's slug from a request; anything that cannot be one names no application.
pub fn application_slug(raw: &str) -> Result<crate::domain::FlowSlug, AppError> {
    crate::domain::FlowSlug::parse(raw).map_err(|_| AppError::no_such_application(raw))
}

/// Each port's refusals as the person who asked reads them: the table gives the status
/// (`crate::refusal`), the refusal its sentence. Rates and busy slots keep their own variants,
/// which carry how long to wait.
macro_rules! refused_into_app_error {
    ($($port:ty),* $(,)?) => {$(
        impl From<$port> for AppError {
            fn from(err: $port) -> Self {
                use crate::refusal::{Refusal, Refused};
                if err.refusal() == Refusal::Internal {
                    tracing::error!(error = %err, "backend failure");
                }
                AppError::refused(&err)
            }
        }
    )*};
}

refused_into_app_error!(
    crate::ports::CatalogError,
    crate::ports::ShareError,
    crate::ports::RevokeError,
    crate::ports::ApplicationError,
    crate::ports::ApiKeyError,
    crate::ports::ReviewError,
);

impl From<crate::ports::CampaignError> for AppError {
    fn from(err: crate::ports::CampaignError) -> Self {
        use crate::ports::CampaignError;
        match err {
            CampaignError::UploadsFull => AppError::Busy,
            CampaignError::Limited(limited) => limited.into(),
            CampaignError::Backend(err) => err.into(),
            CampaignError::Share(crate::ports::ShareError::Backend(err)) => err.into(),
            other => AppError::refused(&other),
        }
    }
}

pub use crate::refusal::sentence;

impl From<crate::ports::Limited> for AppError {
    fn from(limited: crate::ports::Limited) -> Self {
        AppError::RateLimited(limited.limit, limited.retry_after_seconds)
    }
}

pub fn ports() -> Result<Ports, AppError> {
    use_context::<Ports>().ok_or_else(|| {
        tracing::error!("server function called without the backend ports in context");
        AppError::Internal
    })
}

/// The session token from the request's `Cookie` header, if any: only under the name this
/// server issues (see [`CookiePolicy::cookie_name`]).
pub fn session_token() -> Option<SessionToken> {
    let name = use_context::<Ports>()?.cookies.cookie_name();
    request_cookie(name).map(SessionToken)
}

/// The browser's device cookie, if it sent one under the name this server issues.
pub fn device_token() -> Option<DeviceToken> {
    let name = use_context::<Ports>()?.cookies.device_cookie_name();
    request_cookie(name).map(DeviceToken)
}

fn request_cookie(name: &str) -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|header| cookie_in(header, name))
        .map(str::to_owned)
}

/// Where the request came from. The server's edge puts it on every request; without one (a
/// misconfigured embedding) every caller shares one budget rather than escaping the limits.
pub fn client_ip() -> crate::ports::ClientIp {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<crate::ports::ClientIp>().copied())
        .unwrap_or(crate::ports::ClientIp(
            std::net::Ipv4Addr::UNSPECIFIED.into(),
        ))
}

/// Whether the caller is a browser navigating (a plain form post) rather than script code.
pub fn accepts_html() -> bool {
    use_context::<http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    })
}

/// Finds the cookie called `cookie` in one `Cookie` header value (`a=1; flowshare_session=…; b=2`).
pub fn session_token_in(header: &str, cookie: &str) -> Option<SessionToken> {
    cookie_in(header, cookie).map(|value| SessionToken(value.to_owned()))
}

/// The value of the cookie called `cookie` in one `Cookie` header value; an empty one is none.
pub fn cookie_in<'h>(header: &'h str, cookie: &str) -> Option<&'h str> {
    header.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == cookie && !value.is_empty()).then_some(value)
    })
}

/// The signed-in user, who must hold `permission`. Fails with 401 without a live session, 403 without the role.
pub async fn authorize(
    ports: &Ports,
    token: Option<SessionToken>,
    permission: Permission,
) -> Result<UserView, AppError> {
    let token = token.ok_or(AppError::Unauthenticated)?;
    let user = ports
        .accounts
        .session_user(&token)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if user.role.allows(permission) {
        Ok(user)
    } else {
        Err(AppError::Refused(
            crate::refusal::Refusal::RoleForbids,
            format!(
                "Your role does not allow this: a {} cannot do that.",
                user.role
            ),
        ))
    }
}

/// The ports and the signed-in user, who must hold `permission`: how most server functions begin.
pub async fn caller(permission: Permission) -> Result<(Ports, UserView), AppError> {
    let ports = ports()?;
    let user = authorize(&ports, session_token(), permission).await?;
    Ok((ports, user))
}

/// Sets the response status from a failed result: every server function ends through here.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(err) = &result {
        set_status(err);
    }
    result
}

pub use crate::error::set_status;

pub fn set_session_cookie(policy: CookiePolicy, token: Option<&SessionToken>) {
    set_cookie(&session_cookie(policy, token));
}

/// Makes this browser known for the name it just signed in as (see [`device_cookie`]).
pub fn set_device_cookie(policy: CookiePolicy, token: &DeviceToken) {
    set_cookie(&device_cookie(policy, token));
}

/// Keeps a run's token in this browser for the link at `link_path` (see
/// [`crate::domain::run::RunCookie`]), as the page that posted (its `Origin`, else the `Host`) is served.
pub fn set_run_cookie(link_path: &str, token: &crate::domain::run::RunToken) {
    let served_secure = use_context::<Ports>().is_some_and(|ports| ports.cookies.secure);
    let parts = use_context::<http::request::Parts>();
    let origin = parts.as_ref().and_then(|parts| {
        let header = |name| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .filter(|v| *v != "null")
        };
        header(http::header::ORIGIN)
            .or_else(|| header(http::header::HOST))
            .or_else(|| parts.uri.authority().map(|a| a.as_str()))
    });
    let cookie = crate::domain::run::RunCookie::for_origin(served_secure, origin);
    set_cookie(&cookie.set(link_path, token));
}

fn set_cookie(set: &str) {
    let Some(response) = use_context::<ResponseOptions>() else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(set) {
        response.append_header(SET_COOKIE, value);
    }
}

/// The `Set-Cookie` value that stores `token`, or clears the cookie when there is none.
pub fn session_cookie(policy: CookiePolicy, token: Option<&SessionToken>) -> String {
    let name = policy.cookie_name();
    match token {
        Some(token) => cookie(name, &token.0, policy.max_age_seconds, policy),
        None => cookie(name, "", 0, policy),
    }
}

/// The `Set-Cookie` value that stores a device cookie. It outlives sessions (signing out keeps
/// it: the browser stays known) and, like the session, is `HttpOnly` (no script can read it to
/// send elsewhere) and `SameSite=Lax` (another site's form cannot make the browser guess with
/// it, and lock it).
pub fn device_cookie(policy: CookiePolicy, token: &DeviceToken) -> String {
    cookie(
        policy.device_cookie_name(),
        &token.0,
        CookiePolicy::DEVICE_MAX_AGE_SECONDS,
        policy,
    )
}

fn cookie(name: &str, value: &str, max_age_seconds: u64, policy: CookiePolicy) -> String {
    let secure = if policy.secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{secure}")
}

/// Why a plain HTML form's post did not do what it asked.
pub enum FormError {
    /// Something the person can fix. A browser goes back to `back_to`: the form's page with a
    /// query that refills what was typed and names what was wrong. A script caller gets `error`.
    Refused { error: AppError, back_to: String },
    /// Anything else, answered as an error to every caller.
    Failed(AppError),
}

impl From<AppError> for FormError {
    fn from(err: AppError) -> Self {
        Self::Failed(err)
    }
}

impl From<BackendError> for FormError {
    fn from(err: BackendError) -> Self {
        Self::Failed(err.into())
    }
}

impl From<crate::ports::ApplicationError> for FormError {
    fn from(err: crate::ports::ApplicationError) -> Self {
        Self::Failed(err.into())
    }
}

/// Ends every plain form's post the same way, so each works without JavaScript: when it worked a
/// browser goes on to the page given with the value, when refused back to the form (see
/// [`FormError`]); a script caller gets the value or the error itself.
pub fn end_form<T: Default>(result: Result<(T, String), FormError>) -> Result<T, AppError> {
    match result {
        Ok((value, then)) => {
            if accepts_html() {
                leptos_axum::redirect(&then);
            }
            Ok(value)
        }
        Err(FormError::Refused { back_to, .. }) if accepts_html() => {
            leptos_axum::redirect(&back_to);
            Ok(T::default())
        }
        Err(FormError::Refused { error, .. } | FormError::Failed(error)) => Err(error),
    }
}

/// Why an action on a flow's Details tab did not happen.
pub enum DetailsRefusal {
    /// Something the person can fix (wrong state, missing comment, someone else's link).
    Problem(crate::domain::audit::DetailsProblem),
    Error(AppError),
}

impl From<AppError> for DetailsRefusal {
    fn from(err: AppError) -> Self {
        Self::Error(err)
    }
}

/// The Details tab's forms go back to the flow's page, with a problem code when refused (a closed
/// set: never free text someone could put in a URL).
pub fn back_to_flow(slug: &str, result: Result<(), DetailsRefusal>) -> Result<(), AppError> {
    use crate::domain::query::encode_component;
    let page = format!("/flows/{}", encode_component(slug));
    end_form(match result {
        Ok(()) => Ok(((), page)),
        Err(DetailsRefusal::Problem(problem)) => Err(FormError::Refused {
            error: AppError::refused(&problem),
            back_to: format!("{page}?problem={}", problem.code()),
        }),
        Err(DetailsRefusal::Error(err)) => Err(FormError::Failed(err)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let name = "flowshare_session";
        assert_eq!(
            session_token_in("a=1; flowshare_session=abc; b=2", name),
            Some(SessionToken("abc".into()))
        );
        assert_eq!(session_token_in("flowshare_session=", name), None);
        assert_eq!(session_token_in("other_flowshare_session=abc", name), None);
        assert_eq!(
            session_token_in("flowshare_session=abc", "__Host-flowshare_session"),
            None,
            "over https a cookie without the prefix could have been planted by a sibling site"
        );
    }

    #[test]
    fn session_cookies_are_http_only_and_same_site() {
        let policy = CookiePolicy {
            secure: true,
            max_age_seconds: 60,
        };
        let set = session_cookie(policy, Some(&SessionToken("t".into())));
        assert_eq!(
            set,
            "__Host-flowshare_session=t; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure"
        );
        let insecure = CookiePolicy {
            secure: false,
            ..policy
        };
        assert!(!session_cookie(insecure, None).contains("Secure"));
        assert!(session_cookie(insecure, None).starts_with("flowshare_session=;"));
        assert!(session_cookie(insecure, None).contains("Max-Age=0"));
    }

    #[test]
    fn device_cookies_are_long_lived_http_only_same_site_and_prefixed_over_https() {
        let token = DeviceToken("d".into());
        let https = CookiePolicy {
            secure: true,
            max_age_seconds: 60,
        };
        assert_eq!(
            device_cookie(https, &token),
            "__Host-flowshare_device=d; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000; Secure"
        );
        let http = CookiePolicy {
            secure: false,
            ..https
        };
        assert_eq!(
            device_cookie(http, &token),
            "flowshare_device=d; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000"
        );
        assert_eq!(
            cookie_in(
                "flowshare_session=s; flowshare_device=d",
                "flowshare_device"
            ),
            Some("d")
        );
        assert_eq!(
            format!("{token:?}"),
            "DeviceToken(…)",
            "never in a log line"
        );
    }
}
