//! Server functions: the console's only way to the backend. Each is a thin wrapper that finds the
//! caller's session, asks the role table, and calls a port; the logic sits in plain functions
//! beside it so tests can drive it with an in-memory backend.

pub mod applications;
pub mod auth;
pub mod flows;
pub mod links;
pub mod protection;
pub mod review;
pub mod share;

#[cfg(feature = "ssr")]
pub mod request;
