//! The public pages as plain axum handlers: the recipient's page (`player`), short-link redirects
//! (`short`), the security headers every response carries (`headers`), and the cross-site check on
//! every state-changing request made with a session (`csrf`). The console's pages and
//! server functions are Leptos's, routed in `crate::startup`.

pub mod csrf;
pub mod headers;
pub mod player;
pub mod short;
