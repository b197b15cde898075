//! Every refusal Flowshare answers, in one table: the HTTP status, the stable name (the API's
//! problem `type`, `/api/v1/problems/{name}`) and the short title of each kind. The console's
//! server functions, the HTTP API and the recipients' pages all take their status from here, so
//! the same fact gets the same status wherever it is asked.
//!
//! Each port refuses with an enum of its own (`crate::ports`), the domain with its own
//! (`LinkRefusal`, `RunProblem`, `DetailsProblem`); each says which row it is through
//! [`Refused`], in a `match` the compiler checks is exhaustive. The sentence a person reads is the
//! refusal's own `Display`, except for [`Refusal::Internal`], whose cause is for the log only.

use crate::domain::audit::DetailsProblem;
use crate::domain::link::LinkRefusal;
use crate::domain::run::{PageRefusal, RunProblem};
use serde::{Deserialize, Serialize};

/// One kind of refusal: a row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumIter)]
pub enum Refusal {
    // Who is asking.
    /// No live session.
    SignInNeeded,
    /// A wrong user name or password (never told apart).
    WrongCredentials,
    /// Too many failed sign-ins for one name.
    SignInLocked,
    /// The signed-in user's role does not allow it.
    RoleForbids,
    /// Asked for by a page of another site, where only the console's own pages may ask.
    CrossSite,
    MissingApiKey,
    UnknownApiKey,
    RevokedApiKey,
    ExpiredApiKey,
    /// The API key lacks the scope the call needs.
    MissingScope,
    /// The API key is limited to other applications.
    ApplicationNotAllowed,

    // What the request names, and whose it is.
    FlowNotFound,
    ApplicationNotFound,
    LinkNotFound,
    CampaignNotFound,
    /// A bulk upload that is not (or no longer) kept for this user.
    UploadNotFound,
    ApiKeyNotFound,
    /// Publishers act only on the links they made (and a key on the links it made).
    NotYourLink,
    /// Publishers delete only the campaigns they saved.
    NotYourCampaign,

    // The state the request finds.
    AlreadyRevoked,
    /// The flow is not published and approved, or not shareable now.
    FlowNotShareable,
    /// A flow's publication or review in the wrong state.
    WrongReviewState,
    /// A name (slug) someone else has.
    NameTaken,
    /// An upload of this user's is still running.
    UploadRunning,
    IdempotencyKeyInUse,

    // The request itself.
    /// Not readable at all: not the shape the call takes.
    InvalidBody,
    BodyTooLarge,
    /// A field against its rule; the sentence names the field.
    InvalidField,
    /// Rows (of a batch or an upload) that cannot make a link; nothing was made.
    InvalidRows,
    /// An uploaded file that cannot be read as a whole.
    InvalidFile,
    /// An application the flow does not offer.
    ApplicationNotAvailable,
    IdempotencyKeyReused,

    // A recipient's link and run.
    /// Altered or made up.
    LinkNotValid,
    /// Revoked, expired or used up: it worked once and no longer does.
    LinkGone,
    /// The link's flow is withdrawn or being updated.
    FlowUnavailable,
    RunNotFound,
    /// The run is over (idle too long, or its link's time is up).
    RunEnded,
    /// A move made on a step the run is no longer at (a replay, another tab).
    MoveOutOfTurn,
    /// A move that does not fit its step (no such choice, an answer too long).
    MoveRefused,

    // How much and how fast.
    RateLimited,
    /// Every slot for this kind of work is taken; nothing was tried.
    Busy,

    // Not the caller's doing.
    Internal,
    /// The store did not answer a recipient (a link's page, a run's, a move): nothing to do but
    /// try again (the console and the API say [`Refusal::Internal`]; a recipient is told it is
    /// passing, as `LinkRefusal::Unavailable`).
    Unavailable,
    /// The server was not reached (said only in the browser).
    Unreachable,
}

impl Refusal {
    /// The HTTP status every surface answers this refusal with.
    pub fn status(self) -> u16 {
        use Refusal as R;
        match self {
            R::SignInNeeded
            | R::WrongCredentials
            | R::MissingApiKey
            | R::UnknownApiKey
            | R::RevokedApiKey
            | R::ExpiredApiKey => 401,
            R::RoleForbids
            | R::CrossSite
            | R::MissingScope
            | R::ApplicationNotAllowed
            | R::NotYourLink
            | R::NotYourCampaign
            | R::LinkNotValid => 403,
            R::FlowNotFound
            | R::ApplicationNotFound
            | R::LinkNotFound
            | R::CampaignNotFound
            | R::UploadNotFound
            | R::ApiKeyNotFound
            | R::FlowUnavailable
            | R::RunNotFound => 404,
            R::AlreadyRevoked
            | R::FlowNotShareable
            | R::WrongReviewState
            | R::NameTaken
            | R::UploadRunning
            | R::IdempotencyKeyInUse
            | R::MoveOutOfTurn => 409,
            R::LinkGone | R::RunEnded => 410,
            R::InvalidBody => 400,
            R::BodyTooLarge => 413,
            R::InvalidField
            | R::InvalidRows
            | R::InvalidFile
            | R::ApplicationNotAvailable
            | R::IdempotencyKeyReused
            | R::MoveRefused => 422,
            R::SignInLocked | R::RateLimited => 429,
            R::Internal => 500,
            R::Unreachable => 502,
            R::Busy | R::Unavailable => 503,
        }
    }

    /// [`Refusal::status`] as the server answers it.
    #[cfg(feature = "ssr")]
    pub fn http_status(self) -> http::StatusCode {
        http::StatusCode::from_u16(self.status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The stable name: the API's problem `type` ends with it, and scripts branch on it.
    pub fn name(self) -> &'static str {
        use Refusal as R;
        match self {
            R::SignInNeeded => "sign-in-needed",
            R::WrongCredentials => "wrong-credentials",
            R::SignInLocked => "sign-in-locked",
            R::RoleForbids => "role-forbids",
            R::CrossSite => "cross-site",
            R::MissingApiKey => "missing-api-key",
            R::UnknownApiKey => "unknown-api-key",
            R::RevokedApiKey => "revoked-api-key",
            R::ExpiredApiKey => "expired-api-key",
            R::MissingScope => "missing-scope",
            R::ApplicationNotAllowed => "application-not-allowed",
            R::FlowNotFound => "flow-not-found",
            R::ApplicationNotFound => "application-not-found",
            R::LinkNotFound => "link-not-found",
            R::CampaignNotFound => "campaign-not-found",
            R::UploadNotFound => "upload-not-found",
            R::ApiKeyNotFound => "api-key-not-found",
            R::NotYourLink => "not-your-link",
            R::NotYourCampaign => "not-your-campaign",
            R::AlreadyRevoked => "already-revoked",
            R::FlowNotShareable => "flow-not-shareable",
            R::WrongReviewState => "wrong-review-state",
            R::NameTaken => "name-taken",
            R::UploadRunning => "upload-running",
            R::IdempotencyKeyInUse => "idempotency-key-in-use",
            R::InvalidBody => "invalid-body",
            R::BodyTooLarge => "body-too-large",
            R::InvalidField => "invalid-field",
            R::InvalidRows => "invalid-rows",
            R::InvalidFile => "invalid-file",
            R::ApplicationNotAvailable => "application-not-available",
            R::IdempotencyKeyReused => "idempotency-key-reused",
            R::LinkNotValid => "link-not-valid",
            R::LinkGone => "link-gone",
            R::FlowUnavailable => "flow-unavailable",
            R::RunNotFound => "run-not-found",
            R::RunEnded => "run-ended",
            R::MoveOutOfTurn => "move-out-of-turn",
            R::MoveRefused => "move-refused",
            R::RateLimited => "rate-limited",
            R::Busy => "busy",
            R::Internal => "internal",
            R::Unavailable => "unavailable",
            R::Unreachable => "unreachable",
        }
    }

    /// A short title, the same for every refusal of this kind.
    pub fn title(self) -> &'static str {
        use Refusal as R;
        match self {
            R::SignInNeeded => "Sign-in needed",
            R::WrongCredentials => "Wrong user name or password",
            R::SignInLocked => "Sign-in locked for a while",
            R::RoleForbids => "Not allowed for this role",
            R::CrossSite => "Not from the console",
            R::MissingApiKey => "API key missing",
            R::UnknownApiKey => "Unknown API key",
            R::RevokedApiKey => "API key revoked",
            R::ExpiredApiKey => "API key expired",
            R::MissingScope => "Scope missing",
            R::ApplicationNotAllowed => "Application not allowed for this key",
            R::FlowNotFound => "Flow not found",
            R::ApplicationNotFound => "Application not found",
            R::LinkNotFound => "Link not found",
            R::CampaignNotFound => "Campaign not found",
            R::UploadNotFound => "Upload not found",
            R::ApiKeyNotFound => "API key not found",
            R::NotYourLink => "Not your link",
            R::NotYourCampaign => "Not your campaign",
            R::AlreadyRevoked => "Link already revoked",
            R::FlowNotShareable => "Flow not shareable",
            R::WrongReviewState => "Not in a state for this",
            R::NameTaken => "Name taken",
            R::UploadRunning => "Upload still running",
            R::IdempotencyKeyInUse => "Idempotency-Key in use",
            R::InvalidBody => "Invalid body",
            R::BodyTooLarge => "Body too large",
            R::InvalidField => "Invalid field",
            R::InvalidRows => "Invalid rows",
            R::InvalidFile => "Invalid file",
            R::ApplicationNotAvailable => "Application not available to the flow",
            R::IdempotencyKeyReused => "Idempotency-Key used for another request",
            R::LinkNotValid => "Link not valid",
            R::LinkGone => "Link no longer works",
            R::FlowUnavailable => "Flow not available",
            R::RunNotFound => "Run not found",
            R::RunEnded => "Run ended",
            R::MoveOutOfTurn => "Step already left",
            R::MoveRefused => "Step not taken",
            R::RateLimited => "Too many requests",
            R::Busy => "Server busy",
            R::Internal => "Server fault",
            R::Unavailable => "Try again in a moment",
            R::Unreachable => "Server not reached",
        }
    }
}

/// What every refusal says, on any surface, about the kind of refusal it is.
pub trait Refused: std::fmt::Display {
    /// Its row in the table.
    fn refusal(&self) -> Refusal;

    /// The sentence a person reads: its own words, as one sentence; never an internal cause.
    fn sentence(&self) -> String {
        match self.refusal() {
            Refusal::Internal => INTERNAL.to_owned(),
            _ => sentence(&self.to_string()),
        }
    }
}

/// What every surface says of a fault of its own: logged, never explained.
pub const INTERNAL: &str =
    "Something went wrong on the server. It has been logged; please try again.";

/// A refusal as a sentence: capitalised, with one full stop.
pub fn sentence(reason: &str) -> String {
    let reason = reason.trim_end_matches('.');
    let mut chars = reason.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect::<String>() + "."
    })
}

impl Refused for LinkRefusal {
    fn refusal(&self) -> Refusal {
        match self {
            Self::NotValid => Refusal::LinkNotValid,
            Self::Disabled | Self::Expired | Self::UsedUp => Refusal::LinkGone,
            Self::FlowUnavailable => Refusal::FlowUnavailable,
            Self::TooManyStarts => Refusal::RateLimited,
            Self::Unavailable => Refusal::Unavailable,
        }
    }
}

impl std::fmt::Display for LinkRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.title(), self.explanation())
    }
}

impl Refused for RunProblem {
    fn refusal(&self) -> Refusal {
        match self {
            Self::NoSuchRun => Refusal::RunNotFound,
            Self::RunExpired => Refusal::RunEnded,
            Self::NotCurrentStep
            | Self::Finished
            | Self::AtFirstStep
            | Self::FlowChanged
            | Self::TooManySteps => Refusal::MoveOutOfTurn,
            Self::NoSuchChoice
            | Self::ChoiceMissing
            | Self::InputMissing
            | Self::InputTooLong
            | Self::InputNotText
            | Self::NotAQuestion
            | Self::BadForm => Refusal::MoveRefused,
            Self::TooManyMoves => Refusal::RateLimited,
        }
    }
}

impl Refused for PageRefusal {
    fn refusal(&self) -> Refusal {
        match self {
            Self::Link(refusal) => refusal.refusal(),
            Self::Run(problem) => problem.refusal(),
        }
    }
}

impl std::fmt::Display for PageRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.title(), self.explanation())
    }
}

impl Refused for crate::domain::share::ShareInputError {
    fn refusal(&self) -> Refusal {
        use crate::domain::share::ShareInputError as E;
        match self {
            // A name that cannot be a flow's names none, as the API says too.
            E::BadFlow(_) => Refusal::FlowNotFound,
            E::NoApplication | E::BadApplication(_) | E::Params(_) => Refusal::InvalidField,
        }
    }
}

impl Refused for DetailsProblem {
    fn refusal(&self) -> Refusal {
        match self {
            Self::AlreadyPublished | Self::NotPublished => Refusal::WrongReviewState,
            Self::CommentRequired | Self::CommentTooLong | Self::CommentControlCharacter => {
                Refusal::InvalidField
            }
            Self::NoSuchFlow => Refusal::FlowNotFound,
            Self::NoSuchLink => Refusal::LinkNotFound,
            Self::NotYourLink => Refusal::NotYourLink,
            Self::AlreadyRevoked => Refusal::AlreadyRevoked,
            Self::NoSuchCampaign => Refusal::CampaignNotFound,
            Self::NotYourCampaign => Refusal::NotYourCampaign,
        }
    }
}

impl std::fmt::Display for DetailsProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn every_refusal_has_an_error_status_and_a_name_of_its_own() {
        let mut names = std::collections::HashSet::new();
        for refusal in Refusal::iter() {
            assert!((400..600).contains(&refusal.status()), "{refusal:?}");
            assert!(names.insert(refusal.name()), "{refusal:?} shares its name");
            assert!(
                refusal
                    .name()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{refusal:?}: a name is lower-case words joined by hyphens"
            );
            assert!(!refusal.title().is_empty());
        }
    }

    #[test]
    fn a_fact_has_one_status_whoever_asks() {
        // The console's Details tab and the API's revoke say "already revoked" alike.
        assert_eq!(DetailsProblem::AlreadyRevoked.refusal().status(), 409);
        assert_eq!(DetailsProblem::NoSuchLink.refusal().status(), 404);
        assert_eq!(DetailsProblem::NotYourLink.refusal().status(), 403);
    }

    #[test]
    fn recipients_refusals_keep_their_statuses() {
        assert_eq!(LinkRefusal::NotValid.refusal().status(), 403);
        assert_eq!(LinkRefusal::Disabled.refusal().status(), 410);
        assert_eq!(LinkRefusal::Expired.refusal().status(), 410);
        assert_eq!(LinkRefusal::UsedUp.refusal().status(), 410);
        assert_eq!(LinkRefusal::FlowUnavailable.refusal().status(), 404);
        assert_eq!(LinkRefusal::TooManyStarts.refusal().status(), 429);
        assert_eq!(LinkRefusal::Unavailable.refusal().status(), 503);
        for problem in RunProblem::iter() {
            assert!(
                (400..500).contains(&problem.refusal().status()),
                "{problem:?}"
            );
        }
        assert_eq!(RunProblem::NoSuchRun.refusal().status(), 404);
        assert_eq!(RunProblem::RunExpired.refusal().status(), 410);
        assert_eq!(RunProblem::TooManyMoves.refusal().status(), 429);
    }

    #[test]
    fn an_internal_fault_never_says_its_cause() {
        struct Leaky;
        impl std::fmt::Display for Leaky {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("database error: password authentication failed for user app")
            }
        }
        impl Refused for Leaky {
            fn refusal(&self) -> Refusal {
                Refusal::Internal
            }
        }
        assert_eq!(Leaky.sentence(), INTERNAL);
    }

    #[test]
    fn a_refusal_reads_as_one_sentence() {
        assert_eq!(
            sentence("there is no flow \"x\""),
            "There is no flow \"x\"."
        );
        assert_eq!(sentence("Already said."), "Already said.");
        assert_eq!(sentence(""), "");
    }
}
