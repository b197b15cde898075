//! An application's link pages: how its links look where they are shared (previews) and where
//! they lead once they have ended (endings). Set per application by an admin; the recipients'
//! pages read them from the link's record.

pub mod ending;
pub mod form;
pub mod preview;

pub use ending::{Ending, EndingKind, Endings};
pub use form::{CheckedLinkPages, EndingForm, LinkPagesField, LinkPagesForm};
pub use preview::{LinkPreview, PreviewSettings};
