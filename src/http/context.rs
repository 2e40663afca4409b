//! The request being served, reachable from anywhere inside it without
//! seeing the request: its id (for `x-request-id` and error bodies) and what
//! the auth step learned of the caller (for the journal). The envelope scopes
//! it around the inner service in a task-local.

use std::cell::RefCell;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use axum::http::HeaderName;
use rand::RngExt;
use rand::distr::Alphanumeric;

use crate::http::error::ApiError;
use crate::journal::CallerNote;
use crate::state::AppState;

pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub(crate) struct Context {
    pub(crate) id: String,
    pub(crate) caller: RefCell<CallerNote>,
    /// The sandbox the envelope chose for the request.
    pub(crate) sandbox: Arc<AppState>,
    /// Sent by the demo page (`x-extend-mock-ui`): it watches, so it is not
    /// journaled, meets no fault and counts against no rate limit.
    pub(crate) observer: bool,
    /// The answer's bytes, when the handler that wrote them said so
    /// (`keep_answer`): the journal takes them without reading the body.
    pub(crate) answer: RefCell<Option<Bytes>>,
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

/// The state a handler works on: the sandbox the envelope chose for the
/// request (`sandboxes`), the server's own state unless a key or header
/// names another.
pub struct Sandbox(pub Arc<AppState>);

impl<S: Send + Sync> FromRequestParts<S> for Sandbox {
    type Rejection = ApiError;

    async fn from_request_parts(_: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        sandbox().map(Sandbox).ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!("a handler ran outside the envelope"))
        })
    }
}

/// Hands the journal the bytes of the answer being sent (a cheap clone), so
/// the envelope need not read the response body back.
pub fn keep_answer(body: &Bytes) {
    let _ = CONTEXT.try_with(|c| *c.answer.borrow_mut() = Some(body.clone()));
}

/// Whether the request comes from the demo page (see `Context::observer`).
pub fn is_observer() -> bool {
    CONTEXT.try_with(|c| c.observer).unwrap_or(false)
}

/// The request's sandbox, if called inside the envelope's scope.
pub fn sandbox() -> Option<Arc<AppState>> {
    CONTEXT.try_with(|c| Arc::clone(&c.sandbox)).ok()
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
