//! The request being served, reachable from anywhere inside it without
//! seeing the request: its id (for `x-request-id` and error bodies) and what
//! the auth step learned of the caller (for the journal). The envelope scopes
//! it around the inner service in a task-local.

use std::cell::RefCell;

use axum::http::HeaderName;
use rand::RngExt;
use rand::distr::Alphanumeric;

use crate::journal::CallerNote;

pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub(crate) struct Context {
    pub(crate) id: String,
    pub(crate) caller: RefCell<CallerNote>,
}

tokio::task_local! {
    pub(crate) static CONTEXT: Context;
}

/// The id of the request being served, if called inside the envelope's scope.
pub fn current() -> Option<String> {
    CONTEXT.try_with(|c| c.id.clone()).ok()
}

/// Records what the auth step learned; a no-op outside a request.
pub fn note_caller(update: impl FnOnce(&mut CallerNote)) {
    let _ = CONTEXT.try_with(|c| update(&mut c.caller.borrow_mut()));
}

/// A new id in the API's own shape, `req_` and 24 letters and digits.
pub fn generate() -> String {
    let mut id = String::with_capacity(28);
    id.push_str("req_");
    id.extend(
        rand::rng()
            .sample_iter(Alphanumeric)
            .take(24)
            .map(char::from),
    );
    id
}
