//! The server's integration tests, one module per capability, in one binary: each scenario runs
//! the whole application in-process (`server::testing`), on SQLite and PostgreSQL through
//! `app_tests!`. One binary links the server once instead of once per file. (`tests/metrics.rs`
//! stays a binary of its own: the metrics recorder is process-wide, so no other test may count
//! alongside it.)

mod api_v1;
mod applications;
mod campaigns;
mod console;
mod control_characters;
mod csrf;
mod hostile_strings;
mod inspect;
mod layout;
mod lifecycle;
mod limits;
mod link_pages;
mod links;
mod logs;
mod operations;
mod protection;
mod review;
mod runs;
mod secrets;
mod share;
mod sign_in;
mod store;
