//! Signing in and out of the console.

use crate::domain::UserView;
use crate::error::AppError;
use leptos::prelude::*;

/// Where to go after signing in: only a path on this site, never another host (no open redirect).
pub fn safe_next(next: &str) -> &str {
    let local = next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\");
    let printable = next.bytes().all(|b| b.is_ascii_graphic());
    if local && printable && next.len() <= 2_000 {
        next
    } else {
        "/flows"
    }
}

#[server(endpoint = "login")]
pub async fn login(name: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use super::request::*;
    use crate::domain::query::encode_component;
    use crate::domain::UserName;
    use crate::ports::{SignIn, SignInAttempt};
    let result = async move {
        let ports = ports()?;
        let next = safe_next(next.as_deref().unwrap_or("/flows"));
        let parsed = UserName::parse(&name).ok();
        let client = client_ip();
        let device = device_token();
        // The address's budget first: a refused attempt costs no hashing and counts no failure.
        // The per-name budget is the accounts' to apply: only they know whether this browser is
        // known for the name, or this client already failed at it.
        let outcome = match (ports.limits.sign_in_from(client), &parsed) {
            (Err(limited), _) => SignIn::Limited(limited),
            (Ok(()), Some(name)) => {
                let attempt = SignInAttempt {
                    name,
                    password: &password,
                    client,
                    device: device.as_ref(),
                };
                ports.accounts.log_in(attempt, &*ports.limits).await?
            }
            // An unparseable name cannot belong to anyone: answer exactly as for a wrong password.
            (Ok(()), None) => SignIn::Refused,
        };
        let (error, why) = match outcome {
            SignIn::Welcome {
                session, device, ..
            } => {
                set_session_cookie(ports.cookies, Some(&session));
                set_device_cookie(ports.cookies, &device);
                return Ok(((), next.to_owned()));
            }
            SignIn::Refused => (AppError::BadCredentials, "failed=1".to_owned()),
            SignIn::Locked {
                retry_after_seconds,
            } => (
                AppError::SignInLocked(retry_after_seconds),
                format!("locked={retry_after_seconds}"),
            ),
            SignIn::Busy => (AppError::Busy, "busy=1".to_owned()),
            SignIn::Limited(limited) => (
                limited.into(),
                format!("limited={}", limited.retry_after_seconds),
            ),
        };
        // The form then says what went wrong; the name comes back too, so only the password needs
        // typing again.
        Err(FormError::Refused {
            error,
            back_to: format!(
                "/login?{why}&name={}&next={}",
                encode_component(&name),
                encode_component(next)
            ),
        })
    };
    respond(end_form(result.await))
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use super::request::*;
    let result = async move {
        let ports = ports()?;
        if let Some(token) = session_token() {
            ports.accounts.log_out(&token).await?;
        }
        set_session_cookie(ports.cookies, None);
        Ok::<_, FormError>(((), "/login".to_owned()))
    };
    respond(end_form(result.await))
}

/// The signed-in user, or `None`: the console layout asks this before showing anything.
#[server(endpoint = "current_user")]
pub async fn current_user() -> Result<Option<UserView>, AppError> {
    use super::request::*;
    respond(
        async move {
            let ports = ports()?;
            match session_token() {
                Some(token) => Ok(ports.accounts.session_user(&token).await?),
                None => Ok(None),
            }
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next("/flows?q=ord"), "/flows?q=ord");
        for hostile in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "flows",
            "/a\r\nSet-Cookie: x",
            "",
        ] {
            assert_eq!(safe_next(hostile), "/flows", "{hostile:?}");
        }
    }
}
