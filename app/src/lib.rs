//! Flowshare's shared crate: domain types, server-function contracts and the reactive UI.
//! Compiled twice: with `ssr` into the server binary, with `hydrate` into the browser's wasm.

#![recursion_limit = "256"]

pub mod api;
pub mod domain;
pub mod error;
#[cfg(feature = "ssr")]
pub mod ports;
pub mod ui;

pub use ui::{shell, App};
