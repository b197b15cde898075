//! Flowshare's shared crate: domain types, server-function contracts and the reactive UI.
//! Compiled twice: with `ssr` into the server binary, with `hydrate` into the browser's wasm.

#![recursion_limit = "256"]

pub mod api;
pub mod domain;
pub mod error;
#[cfg(feature = "ssr")]
pub mod ports;
pub mod refusal;
pub mod site_files;
pub mod ui;
pub mod views;

pub use ui::{recipient_shell, shell, App};

/// Called by the wasm entry point. The islands are exported from this crate, and a crate nothing
/// refers to is left out at link time; this reference keeps it (and so every island) in the bundle.
pub fn keep_islands_linked() {}
