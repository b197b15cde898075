//! Flowshare's server: the store over SQLite or PostgreSQL, the secrets, the web application and
//! the `flowshare` command line that runs them.

pub mod accounts;
pub mod api_keys;
pub mod api_v1;
pub mod applications;
pub mod audit_log;
pub mod backend;
pub mod campaigns;
pub mod cli;
pub mod configuration;
pub mod db;
pub mod demo;
pub mod flows;
pub mod http;
pub mod import;
pub mod links;
pub mod metrics;
pub mod runs;
pub mod security;
pub mod startup;
/// Test databases and the in-process application, for this crate's tests and benchmarks only
/// (the `testing` feature, which its dev-dependency on itself turns on).
#[cfg(any(test, feature = "testing"))]
#[doc(hidden)]
pub mod testing;
