//! The public pages as plain axum handlers: the recipient's page (`player`), short-link redirects
//! (`short`), a flow's results as CSV (`export`), the security headers every response carries (`headers`), the cross-site check on
//! every state-changing request made with a session (`csrf`), and who the client is for the rate
//! limits (`client_ip`), each request's id, log span and timing (`observe`), and the health checks
//! for load balancers (`health`). The console's pages and server functions are Leptos's, routed in
//! `crate::startup`.

pub mod client_ip;
pub mod csrf;
pub mod export;
pub mod headers;
pub mod health;
pub mod observe;
pub mod player;
pub mod short;
