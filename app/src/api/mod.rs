//! Server functions: the console's only way to the backend, and the recipients' moves through a
//! flow (`runs`: starting a run, taking a step), which plain HTML forms post to as well. Each finds the caller's session, asks the role table (`Role::allows`), calls
//! a port from `crate::ports` and maps its answer to a value or an `AppError`. They are tested
//! through the real router over both engines (`server/tests/`), each role against each action.

pub mod api_keys;
pub mod applications;
pub mod auth;
pub mod campaigns;
pub mod flows;
pub mod protection;
pub mod review;
pub mod runs;
pub mod share;

#[cfg(feature = "ssr")]
pub mod request;
