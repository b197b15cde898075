//! What Flowshare talks about, independent of storage and screens: flows, applications,
//! console users and the queries over them. Every type here is parsed once, then trusted.

pub mod api_key;
pub mod application;
pub mod application_form;
pub mod audit;
pub mod campaign;
pub mod definition;
pub mod flow;
pub mod limits;
pub mod link;
pub mod link_pages;
pub mod params;
pub mod query;
pub mod results;
pub mod run;
pub mod share;
pub mod slug;
pub mod text;
pub mod user;

pub use application::{AccessProtection, ApplicationKind, Availability, Expiry, ExpiryUnit};
pub use definition::{DefinitionError, FlowDefinition};
pub use flow::{
    ApprovalStatus, FlowDetails, FlowSummary, FlowType, PublicationStatus, ShareBlocker,
};
pub use query::{FlowPage, FlowQuery, SearchText, SortDirection, SortKey, PAGE_SIZE};
pub use slug::{FlowSlug, SlugError};
pub use user::{Permission, Role, UserName, UserNameError, UserView};
