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

use axum::body::Bytes;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// A JSON answer whose bytes are already written, handed to the journal
/// as they are (`context::keep_answer`), so it need not read them back.
pub fn json_response(body: impl Into<Bytes>) -> Response {
    let body: Bytes = body.into();
    context::keep_answer(&body);
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}
