//! The request id every response carries, in the `x-request-id` header and in error
//! bodies as `requestId`. The middleware picks it (the caller's own, or a new
//! `req_…`), scopes it around the inner service in a task-local so that
//! `ApiError::into_response` can read it without seeing the request, and sets
//! the response header.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use rand::RngExt;
use rand::distr::Alphanumeric;

pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest caller-supplied id we echo; anything longer is replaced.
const MAX_ECHOED_LEN: usize = 200;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being served, if called inside the middleware's scope.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// A new id in the API's own shape, `req_` and 24 letters and digits.
pub fn generate() -> String {
    let suffix: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(24)
        .map(char::from)
        .collect();
    format!("req_{suffix}")
}

/// A caller's id is echoed when it is printable ASCII of a sane length, so it can
/// go back into a header unchanged; otherwise we make our own.
fn accepted_caller_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?.trim();
    let usable = !text.is_empty()
        && text.len() <= MAX_ECHOED_LEN
        && text.bytes().all(|b| b.is_ascii_graphic());
    usable.then(|| text.to_owned())
}

pub async fn assign(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(accepted_caller_id)
        .unwrap_or_else(generate);
    let header = HeaderValue::from_str(&id).expect("ids are printable ASCII by construction");
    // The trace span reads it from the request, handlers from the task-local.
    request
        .headers_mut()
        .insert(X_REQUEST_ID.clone(), header.clone());
    let mut response = REQUEST_ID.scope(id, next.run(request)).await;
    response.headers_mut().insert(X_REQUEST_ID.clone(), header);
    response
}
