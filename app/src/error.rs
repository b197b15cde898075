//! The one error type that crosses from server to browser. Each variant is a row of the table of
//! refusals (`crate::refusal`), which gives its HTTP status, and carries the sentence a person
//! reads; internal causes are logged on the server and never sent.

use crate::refusal::{Refusal, Refused};
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("Wrong user name or password.")]
    BadCredentials,
    /// Too many failed sign-ins for one user name; the number is seconds to wait.
    #[error("Too many failed sign-ins for this user name. Try again in {}.", wait_text(*.0))]
    SignInLocked(u64),
    /// A rate the server holds clients to was reached; the number is seconds to wait.
    #[error("Too many {} in a short time. Try again in {}.", .0.what(), wait_text(*.1))]
    RateLimited(crate::domain::limits::RateLimit, u64),
    /// Every slot for expensive work (checking passwords) is taken; nothing was tried.
    #[error("The server is busy right now. Please try again in a moment.")]
    Busy,
    /// Refused for a reason of the table's (a flow not found, a link already revoked, a field
    /// against its rule, …); the sentence says what happened or what to change.
    #[error("{1}")]
    Refused(Refusal, String),
    /// A request that could not be read at all (a missing or undecodable argument): the caller's
    /// fault, never the server's.
    #[error("The request could not be read: {0}")]
    Malformed(String),
    /// A recipient's link does not (or no longer) work.
    #[error("{} {}", .0.title(), .0.explanation())]
    Link(crate::domain::link::LinkRefusal),
    /// A recipient's move in a run was not taken; the run is unchanged.
    #[error("{0}")]
    Run(crate::domain::run::RunProblem),
    #[error("{}", crate::refusal::INTERNAL)]
    Internal,
    /// The request never got a proper answer (network down, server restarting).
    #[error("The server could not be reached ({0}). Check your connection and try again.")]
    Unreachable(String),
}

/// "40 seconds", "1 minute", "15 minutes": a wait as a person says it (rounded up).
pub fn wait_text(seconds: u64) -> String {
    match seconds {
        0..=1 => "1 second".to_owned(),
        2..=59 => format!("{seconds} seconds"),
        _ => match seconds.div_ceil(60) {
            1 => "1 minute".to_owned(),
            minutes => format!("{minutes} minutes"),
        },
    }
}

impl AppError {
    /// Any refusal, as the table and its own sentence say it.
    pub fn refused(err: &impl Refused) -> Self {
        match err.refusal() {
            Refusal::Internal => Self::Internal,
            refusal => Self::Refused(refusal, err.sentence()),
        }
    }

    /// Input that was understood but refused; `message` says what to change.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Refused(Refusal::InvalidField, message.into())
    }

    /// The one sentence for a flow that does not exist (or a slug that cannot name one).
    pub fn no_such_flow(slug: &str) -> Self {
        Self::Refused(
            Refusal::FlowNotFound,
            format!("There is no flow called {slug:?}."),
        )
    }

    /// The one sentence for an application that does not exist.
    pub fn no_such_application(slug: &str) -> Self {
        Self::Refused(
            Refusal::ApplicationNotFound,
            format!("There is no application called {slug:?}."),
        )
    }

    /// Seconds the caller should wait before trying again (the `Retry-After` header), if any.
    pub fn retry_after_seconds(&self) -> Option<u64> {
        match self {
            Self::SignInLocked(seconds) | Self::RateLimited(_, seconds) => Some(*seconds),
            Self::Busy => Some(1),
            _ => None,
        }
    }

    /// The HTTP status a server function answers with when it fails this way: its row's.
    pub fn status(&self) -> u16 {
        self.refusal().status()
    }
}

impl Refused for AppError {
    fn refusal(&self) -> Refusal {
        match self {
            Self::Unauthenticated => Refusal::SignInNeeded,
            Self::BadCredentials => Refusal::WrongCredentials,
            Self::SignInLocked(_) => Refusal::SignInLocked,
            Self::RateLimited(..) => Refusal::RateLimited,
            Self::Busy => Refusal::Busy,
            Self::Refused(refusal, _) => *refusal,
            Self::Malformed(_) => Refusal::InvalidBody,
            Self::Link(refusal) => refusal.refusal(),
            Self::Run(problem) => problem.refusal(),
            Self::Internal => Refusal::Internal,
            Self::Unreachable(_) => Refusal::Unreachable,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // A server function's own arguments were missing or failed to decode. The server
            // function never ran, so the status is set here (server_fn would answer 500).
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::MissingArg(msg) => {
                Self::malformed(&msg)
            }
            // On the server a body that does not decode is the request's; in the browser it
            // would be the answer's, and falls to the last arm.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(msg) => Self::malformed(&msg),
            ServerFnErrorErr::Request(msg) | ServerFnErrorErr::Response(msg) => {
                Self::Unreachable(msg)
            }
            other => Self::Unreachable(other.to_string()),
        }
    }
}

impl AppError {
    fn malformed(decoder_said: &str) -> Self {
        let err = Self::Malformed(malformed_sentence(decoder_said));
        #[cfg(feature = "ssr")]
        set_status(&err);
        err
    }
}

/// The response's status (and `Retry-After`) for `err`: the one place a server function's
/// failure becomes its HTTP answer, whether the function ran or its request could not be read.
#[cfg(feature = "ssr")]
pub fn set_status(err: &AppError) {
    use http::header::HeaderValue;
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(err.refusal().http_status());
        if let Some(seconds) = err.retry_after_seconds() {
            response.insert_header(http::header::RETRY_AFTER, HeaderValue::from(seconds));
        }
    }
}

/// What a decoder said about a request, cut to one short line: it names the field and what was
/// wrong, but can quote the caller's input, which is not repeated at length.
fn malformed_sentence(msg: &str) -> String {
    const MOST: usize = 200;
    let line: String = msg
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MOST)
        .collect();
    if msg.chars().count() > MOST {
        format!("{line}…")
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::limits::RateLimit;

    #[test]
    fn every_error_maps_to_its_status() {
        assert_eq!(AppError::Unauthenticated.status(), 401);
        assert_eq!(
            AppError::Refused(Refusal::RoleForbids, "x".into()).status(),
            403
        );
        assert_eq!(AppError::no_such_flow("x").status(), 404);
        assert_eq!(AppError::invalid("x").status(), 422);
        assert_eq!(AppError::Malformed("x".into()).status(), 400);
        assert_eq!(AppError::Internal.status(), 500);
        assert_eq!(AppError::SignInLocked(30).status(), 429);
        assert_eq!(AppError::RateLimited(RateLimit::SignIns, 3).status(), 429);
        assert_eq!(AppError::Busy.status(), 503);
    }

    #[test]
    fn a_reached_rate_says_what_and_how_long_to_wait() {
        let limited = AppError::RateLimited(RateLimit::LinkGenerations, 90);
        assert_eq!(
            limited.to_string(),
            "Too many links generated in a short time. Try again in 2 minutes."
        );
        assert_eq!(limited.retry_after_seconds(), Some(90));
        assert_eq!(AppError::Busy.retry_after_seconds(), Some(1));
        assert_eq!(AppError::Internal.retry_after_seconds(), None);
    }

    #[test]
    fn a_locked_sign_in_says_how_long_to_wait() {
        assert_eq!(
            AppError::SignInLocked(30).to_string(),
            "Too many failed sign-ins for this user name. Try again in 30 seconds."
        );
        assert_eq!(wait_text(1), "1 second");
        assert_eq!(wait_text(60), "1 minute");
        assert_eq!(wait_text(61), "2 minutes");
        assert_eq!(wait_text(900), "15 minutes");
    }

    #[test]
    fn internal_errors_say_nothing_about_their_cause() {
        assert!(!AppError::Internal
            .to_string()
            .to_lowercase()
            .contains("sql"));
    }

    #[test]
    fn an_undecodable_request_is_the_callers_fault_and_said_in_one_short_line() {
        let err = AppError::from_server_fn_error(ServerFnErrorErr::Args(format!(
            "invalid digit in `at`: {}\n{}",
            "x".repeat(500),
            "more"
        )));
        assert_eq!(err.status(), 400);
        let text = err.to_string();
        assert!(text.starts_with("The request could not be read: invalid digit in `at`"));
        assert!(!text.contains('\n') && text.chars().count() < 260, "{text}");
    }
}
