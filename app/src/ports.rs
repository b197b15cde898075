//! What the console needs from the backend, as traits. `server` implements them with sqlx and
//! hands them in through Leptos context; `app` never names a database and never holds a key.

use crate::domain::api_key::{ApiKeySummary, NewApiKey};
use crate::domain::application_form::{ApplicationField, ApplicationForm};
use crate::domain::audit::{AuditPage, Decision, DetailsProblem};
use crate::domain::campaign::{
    Campaign, CampaignSummary, NewCampaign, RowProblem, UploadJob, UploadProgress,
};
use crate::domain::link::{LinkAddress, LinkRefusal};
use crate::domain::link_pages::preview::ImageRefusal;
use crate::domain::link_pages::{LinkPagesField, LinkPagesForm};
use crate::domain::results::{ResultsPage, ResultsQuery};
use crate::domain::run::{Move, RunProblem, RunToken, RunView};
use crate::domain::share::{GeneratedLink, ShareRequest};
use crate::domain::{
    AccessProtection, FlowDetails, FlowPage, FlowQuery, FlowSlug, ShareBlocker, UserName, UserView,
};
use crate::refusal::{Refusal, Refused};
use crate::views::{ApplicationSummary, FlowChoice, LinkPagesView};
use crate::views::{LinkInspection, SharedLink};
use async_trait::async_trait;
use std::sync::Arc;

/// A backend failure. Its cause is for the server log only; callers turn it into [`AppError::Internal`].
///
/// [`AppError::Internal`]: crate::error::AppError::Internal
#[derive(Debug, thiserror::Error)]
#[error("{context}: {source}")]
pub struct BackendError {
    pub context: &'static str,
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl BackendError {
    pub fn new(
        context: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            context,
            source: source.into(),
        }
    }
}

/// An opaque session token as the browser holds it in its cookie.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(pub String);

// Deliberately not derived: a token in a log line is a stolen session.
impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(…)")
    }
}

/// A browser's device cookie as it holds it: proof, checked by the backend alone, that this
/// browser signed in as some user before. Opaque here; never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceToken(pub String);

// Deliberately not derived: a cookie in a log line could be replayed to spend, and lock, this
// browser's own sign-in budget.
impl std::fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceToken(…)")
    }
}

/// One sign-in attempt: what the form sent and where it came from. (No `Debug`: it holds a password.)
#[derive(Clone, Copy)]
pub struct SignInAttempt<'a> {
    pub name: &'a UserName,
    pub password: &'a str,
    pub client: ClientIp,
    /// The browser's device cookie, if it sent one (for whichever name it was issued).
    pub device: Option<&'a DeviceToken>,
}

/// What a sign-in attempt came to.
#[derive(Debug)]
pub enum SignIn {
    /// The password was right: a new session, and a device cookie that makes this browser known
    /// for this name (it replaces any device cookie the browser held).
    Welcome {
        user: UserView,
        session: SessionToken,
        device: DeviceToken,
    },
    /// Wrong password, or no such user (the two are never told apart).
    Refused,
    /// Too many failed attempts: by this browser (its device cookie), by this client at this
    /// name, or at this name by clients without its device cookie; the password was not checked.
    Locked { retry_after_seconds: u64 },
    /// A client that already failed at this name tried again too often (the per-name budget);
    /// the password was not checked.
    Limited(Limited),
    /// Every password-checking slot is taken; nothing was checked or counted.
    Busy,
}

#[async_trait]
pub trait Accounts: Send + Sync {
    /// Checks a password, unless a lock or `limits`' per-name budget refuses the attempt first;
    /// on success opens a session and returns its token with a fresh device cookie. A browser
    /// whose device cookie is valid for the name is held only to its own failures.
    async fn log_in(
        &self,
        attempt: SignInAttempt<'_>,
        limits: &dyn RateLimits,
    ) -> Result<SignIn, BackendError>;
    /// The user a live session belongs to; `None` for unknown or expired tokens.
    async fn session_user(&self, token: &SessionToken) -> Result<Option<UserView>, BackendError>;
    async fn log_out(&self, token: &SessionToken) -> Result<(), BackendError>;
}

#[async_trait]
pub trait FlowCatalog: Send + Sync {
    async fn search(&self, query: &FlowQuery) -> Result<FlowPage, BackendError>;
    /// The flow and the applications available to it; the caller decides what the user may do with it.
    async fn details(&self, slug: &FlowSlug) -> Result<FlowDetails, CatalogError>;
}

/// Why the flow catalog could not answer.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("there is no flow called {0:?}")]
    NoSuchFlow(String),
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl Refused for CatalogError {
    fn refusal(&self) -> Refusal {
        match self {
            Self::NoSuchFlow(_) => Refusal::FlowNotFound,
            Self::Backend(_) => Refusal::Internal,
        }
    }
}

/// Why the backend refused to generate a link.
#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    #[error("there is no flow called {0:?}")]
    FlowNotFound(String),
    #[error("{}", .0.message())]
    Blocked(ShareBlocker),
    #[error("application {0:?} is not available to this flow")]
    NotAvailable(String),
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl Refused for ShareError {
    fn refusal(&self) -> Refusal {
        match self {
            Self::FlowNotFound(_) => Refusal::FlowNotFound,
            Self::Blocked(_) => Refusal::FlowNotShareable,
            Self::NotAvailable(_) => Refusal::ApplicationNotAvailable,
            Self::Backend(_) => Refusal::Internal,
        }
    }
}

/// Why the backend refused to revoke a link.
#[derive(Debug, thiserror::Error)]
pub enum RevokeError {
    #[error("{}", DetailsProblem::NoSuchLink.message())]
    NoSuchLink,
    /// Publishers may revoke only the links they generated.
    #[error("{}", DetailsProblem::NotYourLink.message())]
    NotYourLink,
    #[error("{}", DetailsProblem::AlreadyRevoked.message())]
    AlreadyRevoked,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl RevokeError {
    /// The Details tab's code for it, sent back to the page (`None`: not the person's to fix).
    pub fn problem(&self) -> Option<DetailsProblem> {
        match self {
            Self::NoSuchLink => Some(DetailsProblem::NoSuchLink),
            Self::NotYourLink => Some(DetailsProblem::NotYourLink),
            Self::AlreadyRevoked => Some(DetailsProblem::AlreadyRevoked),
            Self::Backend(_) => None,
        }
    }
}

impl Refused for RevokeError {
    fn refusal(&self) -> Refusal {
        match self.problem() {
            Some(problem) => problem.refusal(),
            None => Refusal::Internal,
        }
    }
}

#[async_trait]
pub trait Sharing: Send + Sync {
    /// Generates, signs (when protected), shortens (when asked) and stores one link. Checks the flow
    /// and the application itself, whatever the dialog showed.
    async fn generate(
        &self,
        by: &UserView,
        request: &ShareRequest,
    ) -> Result<GeneratedLink, ShareError>;
    /// A flow's links, newest first, as `viewer` may see and act on them.
    async fn shared_links(
        &self,
        flow: &FlowSlug,
        viewer: &UserView,
    ) -> Result<Vec<SharedLink>, BackendError>;
    async fn revoke(&self, link_id: &str, by: &UserView) -> Result<(), RevokeError>;
    /// What a pasted link is and why it would be refused now, as `viewer` may know it; counts
    /// nothing, and inspecting someone else's link is audited.
    async fn inspect(
        &self,
        pasted: &str,
        viewer: &UserView,
    ) -> Result<LinkInspection, BackendError>;
}

/// Recipients' runs through flows, walked on the server. Public: the link or the run's token is
/// the only authority, no session.
#[async_trait]
pub trait Runs: Send + Sync {
    /// The recipient's first move on a link's first step: checks the link in full, takes one of
    /// `limits`' starts of it (only once it is found good, so forged addresses never use up a real
    /// link's budget), and counts the start and creates the run in one transaction, exactly
    /// against the link's limit. A move that does not fit the first step counts nothing.
    async fn start(
        &self,
        address: LinkAddress,
        first: &Move,
        limits: &dyn RateLimits,
    ) -> Result<RunView, RunError>;
    /// Takes one move in the run: one read, one conditional write.
    async fn take(&self, token: &RunToken, action: &Move) -> Result<RunView, RunError>;
    /// A page of a flow's runs, newest first, with their answers (for the Details tab).
    async fn results(
        &self,
        flow: &FlowSlug,
        query: &ResultsQuery,
    ) -> Result<ResultsPage, CatalogError>;
}

/// Why a run did not start or move.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The link does not work (or no longer: revoked, key regenerated, flow withdrawn).
    #[error("{}", .0.title())]
    Link(LinkRefusal),
    /// The move did not fit the run; the run is unchanged and, unless the problem ends it, goes on.
    #[error(transparent)]
    Problem(RunProblem),
    /// The link is good but was started too often just now.
    #[error("too many starts of this link")]
    Limited(Limited),
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl Refused for RunError {
    fn refusal(&self) -> Refusal {
        match self {
            Self::Link(refusal) => refusal.refusal(),
            Self::Problem(problem) => problem.refusal(),
            Self::Limited(_) => Refusal::RateLimited,
            Self::Backend(_) => Refusal::Internal,
        }
    }
}

/// Why a publication or review was refused; the message is for the person who asked.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("{}", .0.message())]
    Refused(DetailsProblem),
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl Refused for ReviewError {
    fn refusal(&self) -> Refusal {
        match self {
            Self::Refused(problem) => problem.refusal(),
            Self::Backend(_) => Refusal::Internal,
        }
    }
}

/// The approval workflow.
#[async_trait]
pub trait Reviews: Send + Sync {
    async fn publish(&self, flow: &FlowSlug, by: &UserView) -> Result<(), ReviewError>;
    async fn review(
        &self,
        flow: &FlowSlug,
        decision: Decision,
        comment: &str,
        by: &UserView,
    ) -> Result<(), ReviewError>;
    async fn review_comment(&self, flow: &FlowSlug) -> Result<String, BackendError>;
}

/// The audit log, for admins: newest first, searched by any of its fields.
#[async_trait]
pub trait AuditLog: Send + Sync {
    async fn page(&self, text: &str, page: u32) -> Result<AuditPage, BackendError>;
}

/// Why an application change was refused.
#[derive(Debug, thiserror::Error)]
pub enum ApplicationError {
    #[error("there is no application {0:?}")]
    NoSuchApplication(String),
    /// Every refused field of an application form.
    #[error("refused fields: {0:?}")]
    Invalid(Vec<ApplicationField>),
    /// An application (by slug) that the flow does not offer.
    #[error("application {0:?} is not available to this flow")]
    NotAvailable(String),
    /// Every refused field of a link pages form.
    #[error("refused fields: {0:?}")]
    InvalidLinkPages(Vec<LinkPagesField>),
    #[error("{0}")]
    Image(#[from] ImageRefusal),
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl Refused for ApplicationError {
    fn refusal(&self) -> Refusal {
        match self {
            Self::NoSuchApplication(_) => Refusal::ApplicationNotFound,
            Self::Invalid(_) | Self::InvalidLinkPages(_) | Self::Image(_) => Refusal::InvalidField,
            Self::NotAvailable(_) => Refusal::ApplicationNotAvailable,
            Self::Backend(_) => Refusal::Internal,
        }
    }

    fn sentence(&self) -> String {
        match self {
            Self::Invalid(fields) => fields
                .iter()
                .map(|f| f.message())
                .collect::<Vec<_>>()
                .join(" "),
            Self::InvalidLinkPages(fields) => fields
                .iter()
                .map(|f| f.message())
                .collect::<Vec<_>>()
                .join(" "),
            Self::Image(refusal) => refusal.to_string(),
            Self::Backend(_) => crate::refusal::INTERNAL.to_owned(),
            other => crate::refusal::sentence(&other.to_string()),
        }
    }
}

/// One application's new access protection for a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectionChange {
    pub application: String,
    pub protection: AccessProtection,
}

/// Applications, for admins.
#[async_trait]
pub trait Applications: Send + Sync {
    async fn list(&self) -> Result<Vec<ApplicationSummary>, BackendError>;
    /// A new key; returns the new key version.
    async fn regenerate_key(
        &self,
        application: &FlowSlug,
        by: &UserView,
    ) -> Result<u32, ApplicationError>;
    /// Creates (`creating`) or edits an application; `Invalid` names every refused field.
    async fn save(
        &self,
        form: &ApplicationForm,
        creating: bool,
        by: &UserView,
    ) -> Result<FlowSlug, ApplicationError>;
    /// Saves a flow's protection per application, all or nothing.
    async fn save_protections(
        &self,
        flow: &FlowSlug,
        changes: &[ProtectionChange],
        by: &UserView,
    ) -> Result<(), ApplicationError>;
    /// An application's link pages (preview and endings) as their form shows them.
    async fn link_pages(&self, application: &FlowSlug) -> Result<LinkPagesView, ApplicationError>;
    /// Saves an application's preview texts and endings; `InvalidLinkPages` names every refused field.
    async fn save_link_pages(
        &self,
        application: &FlowSlug,
        form: &LinkPagesForm,
        by: &UserView,
    ) -> Result<(), ApplicationError>;
    /// Sets (the image's bytes, checked here) or removes (`None`) an application's preview image.
    async fn set_preview_image(
        &self,
        application: &FlowSlug,
        image: Option<&[u8]>,
        by: &UserView,
    ) -> Result<(), ApplicationError>;
    /// The Interaction flows (at most 500, by name), each marked when available to `application`.
    async fn flow_choices(
        &self,
        application: Option<&FlowSlug>,
    ) -> Result<Vec<FlowChoice>, BackendError>;
}

/// How session cookies are issued.
#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    /// Set the `Secure` attribute: on whenever the console is served over https.
    pub secure: bool,
    pub max_age_seconds: u64,
}

impl CookiePolicy {
    /// The session cookie's name over http and over https.
    pub const NAMES: [&'static str; 2] = ["flowshare_session", "__Host-flowshare_session"];
    /// The device cookie's name over http and over https.
    pub const DEVICE_NAMES: [&'static str; 2] = ["flowshare_device", "__Host-flowshare_device"];
    /// How long a browser stays known after signing in (the device cookie's `Max-Age`, and the
    /// expiry the backend signs into it). Every sign-in renews it.
    pub const DEVICE_MAX_AGE_SECONDS: u64 = 365 * 24 * 60 * 60;

    /// Over https the cookie is `__Host-` prefixed: browsers then accept it only with `Secure`,
    /// `Path=/` and no `Domain`, so a sibling subdomain cannot plant a session of its choosing.
    pub fn cookie_name(self) -> &'static str {
        Self::NAMES[usize::from(self.secure)]
    }

    /// Prefixed like the session cookie: a sibling subdomain cannot overwrite a browser's device
    /// cookie and so make it a stranger to the lock.
    pub fn device_cookie_name(self) -> &'static str {
        Self::DEVICE_NAMES[usize::from(self.secure)]
    }
}

/// The address a request came from, as the server's edge worked it out: the peer, or what a
/// configured trusted proxy says in `X-Forwarded-For`. Every request carries one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientIp(pub std::net::IpAddr);

/// A rate was reached: what to say, and how long until the next try is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub limit: crate::domain::limits::RateLimit,
    pub retry_after_seconds: u64,
}

/// The rates clients are held to. A check naming several budgets takes from them in order, the
/// client's first, and stops at the first that refuses (so a client refused by a later budget has
/// still spent a try of its own: it did try).
pub trait RateLimits: Send + Sync {
    /// A recipient starting a flow, before the link is looked at (per client).
    fn run_start_from(&self, client: ClientIp) -> Result<(), Limited>;
    /// A start of `link`, once it was found good (per link, from all clients together).
    fn run_start_of(&self, link: &crate::domain::link::LinkId) -> Result<(), Limited>;
    /// A recipient's move in a run, a start included (per client): each one is a write.
    fn run_move_from(&self, client: ClientIp) -> Result<(), Limited>;
    /// A sign-in attempt, per client: every attempt, before anything else.
    fn sign_in_from(&self, client: ClientIp) -> Result<(), Limited>;
    /// Another sign-in attempt at `name` by a client without a device cookie for it that has
    /// already failed at it (the accounts ask, once they know): never a known browser's nor a
    /// first try, so flooding a name cannot refuse them. Keyed by the parsed name, so spelling
    /// variants (spaces around it, case) share one budget.
    fn sign_in_again(&self, name: &UserName) -> Result<(), Limited>;
    /// A console user generating a link.
    fn link_generation(&self, user: &UserView) -> Result<(), Limited>;
    /// A console user generating `links` links at once (a bulk upload): one unit of the budget
    /// per 100, as an API batch is charged.
    fn bulk_link_generation(&self, user: &UserView, links: usize) -> Result<(), Limited>;
}

/// Why a campaign was not saved, deleted or bulk-generated.
#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error("there is no campaign {0:?}")]
    NotFound(String),
    #[error("a campaign with the slug {0:?} exists already; choose another name")]
    Taken(String),
    /// Publishers may delete only the campaigns they saved.
    #[error("only admins and the publisher who saved it can delete this campaign")]
    NotYours,
    /// The campaign's flow or application refuses links now (or never existed).
    #[error(transparent)]
    Share(ShareError),
    /// The uploaded file as a whole cannot be read (its encoding, its header, its size).
    #[error("{0}")]
    BadFile(String),
    /// Rows that cannot make a link, each by its line; nothing was generated.
    #[error("{} rows cannot make a link", .0.len())]
    BadRows(Vec<RowProblem>),
    /// A bulk upload that is not (or no longer) there for this user.
    #[error("there is no such upload (uploads are kept for an hour)")]
    NoSuchUpload,
    /// One upload at a time per user.
    #[error("an upload of yours is still running; wait for it to finish")]
    UploadRunning,
    /// The server holds as many uploads as it keeps; older ones go as their hour ends.
    #[error("the server is holding as many uploads as it keeps; try again in a few minutes")]
    UploadsFull,
    #[error("too many links generated in a short time")]
    Limited(Limited),
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl Refused for CampaignError {
    fn refusal(&self) -> Refusal {
        match self {
            Self::NotFound(_) => Refusal::CampaignNotFound,
            Self::Taken(_) => Refusal::NameTaken,
            Self::NotYours => Refusal::NotYourCampaign,
            Self::Share(err) => err.refusal(),
            Self::BadFile(_) => Refusal::InvalidFile,
            Self::BadRows(_) => Refusal::InvalidRows,
            Self::NoSuchUpload => Refusal::UploadNotFound,
            Self::UploadRunning => Refusal::UploadRunning,
            Self::UploadsFull => Refusal::Busy,
            Self::Limited(_) => Refusal::RateLimited,
            Self::Backend(_) => Refusal::Internal,
        }
    }
}

impl From<ShareError> for CampaignError {
    fn from(err: ShareError) -> Self {
        match err {
            ShareError::Backend(err) => Self::Backend(err),
            other => Self::Share(other),
        }
    }
}

/// Campaigns: saved share presets, and links made from them in bulk.
#[async_trait]
pub trait Campaigns: Send + Sync {
    /// Saves a campaign, after checking its flow and application as the Share dialog would.
    async fn save(&self, by: &UserView, campaign: &NewCampaign) -> Result<Campaign, CampaignError>;
    /// A flow's campaigns, by name, with their links counted.
    async fn of_flow(&self, flow: &FlowSlug) -> Result<Vec<CampaignSummary>, BackendError>;
    /// Deletes a campaign; its links stay as they are.
    async fn delete(&self, by: &UserView, slug: &FlowSlug) -> Result<(), CampaignError>;
    /// Checks every row of an uploaded CSV (one recipient a row, columns are parameter names)
    /// and, when all are good and `budget` allows that many links, starts making them.
    async fn upload(
        &self,
        by: &UserView,
        campaign: &FlowSlug,
        csv: &[u8],
        budget: &(dyn Fn(usize) -> Result<(), Limited> + Send + Sync),
    ) -> Result<UploadJob, CampaignError>;
    /// How far an upload of `by`'s has got.
    async fn upload_progress(
        &self,
        by: &UserView,
        job: &str,
    ) -> Result<UploadProgress, CampaignError>;
}

/// Why an API key was not made or revoked.
#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error("there is no live key with the prefix {0:?}")]
    NotFound(String),
    #[error("there is no application {0:?} to limit the key to")]
    NoSuchApplication(String),
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl Refused for ApiKeyError {
    fn refusal(&self) -> Refusal {
        match self {
            Self::NotFound(_) => Refusal::ApiKeyNotFound,
            // A field of the new key's form names an application that is not there.
            Self::NoSuchApplication(_) => Refusal::InvalidField,
            Self::Backend(_) => Refusal::Internal,
        }
    }
}

/// API keys, as admins manage them in the console.
#[async_trait]
pub trait ApiKeys: Send + Sync {
    /// Every key, newest first, revoked ones included (never a secret).
    async fn list(&self) -> Result<Vec<ApiKeySummary>, BackendError>;
    /// Makes a key and answers its secret: the only time it is ever seen.
    async fn create(&self, by: &UserView, key: &NewApiKey) -> Result<String, ApiKeyError>;
    async fn revoke(&self, by: &UserView, prefix: &str) -> Result<(), ApiKeyError>;
}

/// Everything the server functions reach the backend through, provided as one context value.
#[derive(Clone)]
pub struct Ports {
    pub accounts: Arc<dyn Accounts>,
    pub flows: Arc<dyn FlowCatalog>,
    pub sharing: Arc<dyn Sharing>,
    pub runs: Arc<dyn Runs>,
    pub reviews: Arc<dyn Reviews>,
    pub audit: Arc<dyn AuditLog>,
    pub applications: Arc<dyn Applications>,
    pub campaigns: Arc<dyn Campaigns>,
    pub api_keys: Arc<dyn ApiKeys>,
    pub limits: Arc<dyn RateLimits>,
    pub cookies: CookiePolicy,
    /// The console's origin as browsers reach it (`--public-url`): where systems call the API.
    pub public_origin: Arc<str>,
}
