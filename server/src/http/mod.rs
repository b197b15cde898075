//! The HTTP edge. `front` is the service every connection is served by: it answers the health
//! checks for load balancers (`health`), stamps every other request with its id, log span and
//! timing (`observe`) and who the client is for the rate limits (`client_ip`), adds the security
//! headers (`headers`), refuses cross-site state changes made with a session (`csrf`), and sends
//! recipients' pages to their plain handlers here: the link's page, a run's and a refusal's
//! (`player`) and short-link redirects (`short`). Everything else (the console's Leptos pages
//! and server functions, the API, a flow's results as CSV in `export`) is routed by axum, set up
//! in `crate::startup`.

pub mod assets;
pub mod client_ip;
pub mod csrf;
pub mod export;
pub mod front;
pub mod headers;
pub mod health;
pub mod observe;
pub mod player;
pub mod previews;
pub mod short;
