//! What the console's pages are given to show, as the backend fills them: read models, each for
//! the signed-in user who asked (never a secret, never a handle they may not hold). The rules
//! they follow are the domain's; the ports return these.

pub mod applications;
pub mod inspection;
pub mod shared_links;

pub use applications::{ApplicationSummary, FlowChoice, LinkPagesView};
pub use inspection::{InspectedParam, LinkDetails, LinkInspection};
pub use shared_links::{LinkHandle, SharedLink, CHART_DAYS};
