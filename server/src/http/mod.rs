//! The public pages as plain axum handlers: the recipient's page (`player`), short-link redirects
//! (`short`), and the security headers every response carries (`headers`). The console's pages and
//! server functions are Leptos's, routed in `crate::startup`.

pub mod headers;
pub mod player;
pub mod short;
