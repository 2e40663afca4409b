//! The HTTP layer, the only part of the crate that knows axum: the envelope
//! every request passes through, the request context, auth, errors, query
//! parsing and the wire format. Below it, `domain`, `store`, `journal`,
//! `faults` and `page_token` know nothing of HTTP; data flows one way, from
//! here down.

pub mod auth;
pub mod body;
pub mod context;
pub mod envelope;
pub mod error;
pub mod query;
pub mod request_log;
pub mod unreadable;
pub mod wire;
