//! The per-request context: the request id every response carries (in the
//! `x-request-id` header and in error bodies as `requestId`), and what the request
//! turned out to be (key name, workspace) for the journal.
//!
//! The `track` middleware picks the id (the caller's own, or a new `req_…`),
//! scopes the context around the inner service in a task-local so that
//! `ApiError::into_response` and the `Caller` extractor can reach it without
//! seeing the request, applies injected faults, sets the response header, logs
//! the request and journals API requests.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use rand::RngExt;
use rand::distr::Alphanumeric;
use tracing::Instrument;

use crate::faults;
use crate::journal::JournalEntry;
use crate::state::AppState;

pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest caller-supplied id we echo; anything longer is replaced.
const MAX_ECHOED_LEN: usize = 200;

/// What the auth step learned about the caller, for the journal.
#[derive(Clone, Debug, Default)]
pub struct CallerNote {
    pub key_name: Option<std::sync::Arc<str>>,
    pub workspace_id: Option<String>,
}

struct Context {
    id: String,
    caller: RefCell<CallerNote>,
}

tokio::task_local! {
    static CONTEXT: Context;
}

/// The id of the request being served, if called inside the middleware's scope.
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

/// A caller's id is echoed when it is printable ASCII of a sane length, so it can
/// go back into a header unchanged; otherwise we make our own.
fn accepted_caller_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?.trim();
    let usable = !text.is_empty()
        && text.len() <= MAX_ECHOED_LEN
        && text.bytes().all(|b| b.is_ascii_graphic());
    usable.then(|| text.to_owned())
}

/// Paths of the emulator's own control plane; never journaled or faulted.
pub fn is_control_path(path: &str) -> bool {
    path == "/_mock" || path.starts_with("/_mock/")
}

/// The envelope around every request: its id, the task-local context, an
/// injected fault if one matches (before auth, like a gateway), one log line
/// and, for API paths, a journal entry. One middleware rather than a stack of
/// them: each layer costs an allocation and a clone per request.
pub async fn track(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let id = request
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(accepted_caller_id)
        .unwrap_or_else(generate);
    let header = HeaderValue::from_str(&id).expect("ids are printable ASCII by construction");
    request
        .headers_mut()
        .insert(X_REQUEST_ID.clone(), header.clone());
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let api = !is_control_path(&path);
    let query = api
        .then(|| request.uri().query().map(str::to_owned))
        .flatten();
    let context = Context {
        id: id.clone(),
        caller: RefCell::default(),
    };
    // Events logged while serving (at debug level) carry the request's id.
    let span = tracing::debug_span!("request", request_id = %id);
    let (mut response, note) = CONTEXT
        .scope(context, async {
            let injected = match api {
                true => faults::intercept(&state, method.as_str(), &path).await,
                false => None,
            };
            let response = match injected {
                Some(response) => response,
                None => next.run(request).await,
            };
            let note = CONTEXT.with(|c| c.caller.borrow().clone());
            (response, note)
        })
        .instrument(span)
        .await;
    response.headers_mut().insert(X_REQUEST_ID.clone(), header);
    let took = started.elapsed();
    let status = response.status().as_u16();
    tracing::info!(
        method = %method,
        path = %path,
        status,
        ms = took.as_micros() as f64 / 1000.0,
        request_id = %id,
        key = note.key_name.as_deref().unwrap_or("-"),
        "request"
    );
    if api {
        state.record(JournalEntry::new(
            method.to_string(),
            path,
            query,
            status,
            id,
            note,
            took,
        ));
    }
    response
}
