//! The envelope around every request: the `track` middleware picks the
//! request id (the caller's own, or a new `req_…`), scopes the request
//! context (`context.rs`) around the inner service so that error bodies and
//! the `Caller` extractor can reach it, applies injected faults, sets the
//! `x-request-id` header, logs the request and journals API requests.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::faults::{is_control_path, is_steering_call};
use crate::http::context::{self, CONTEXT, Context, X_REQUEST_ID};
use crate::http::error::ApiError;
use crate::http::request_log::{self, RequestLine};
use crate::journal::JournalEntry;
use crate::sandboxes::Server;
use crate::state::AppState;

/// Longest caller-supplied id we echo; anything longer is replaced.
const MAX_ECHOED_LEN: usize = 200;

/// A caller's id is echoed when it is printable ASCII of a sane length, so it can
/// go back into a header unchanged; otherwise we make our own.
fn accepted_caller_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?.trim();
    let usable = !text.is_empty()
        && text.len() <= MAX_ECHOED_LEN
        && text.bytes().all(|b| b.is_ascii_graphic());
    usable.then(|| text.to_owned())
}

/// The envelope around every request: its id, the task-local context, an
/// injected fault if one matches (before auth, like a gateway), one log line
/// and, for API paths, a journal entry. One middleware rather than a stack of
/// them: each layer costs an allocation and a clone per request.
pub async fn track(
    State(server): State<Arc<Server>>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let id = request
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(accepted_caller_id)
        .unwrap_or_else(context::generate);
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
    // The sandbox first: faults, the journal and the handler are its own.
    let chosen = match (api, path.starts_with("/_download/")) {
        (true, false) => Ok(server.for_api(request.headers())),
        (true, true) => server.for_download(request.uri().query()),
        (false, _) => server.for_control(request.headers()),
    };
    let state = match &chosen {
        Ok(state) => Arc::clone(state),
        Err(_) => Arc::clone(&server.default),
    };
    let context = Context {
        id: id.clone(),
        caller: RefCell::default(),
        sandbox: Arc::clone(&state),
    };
    // Events logged while serving (at debug level) carry the request's id.
    let span = tracing::debug_span!("request", request_id = %id);
    let (mut response, note) = CONTEXT
        .scope(context, async {
            let injected = match (api, chosen) {
                (true, Ok(_)) => intercept(&state, method.as_str(), &path).await,
                (true, Err(refusal)) => Some(refusal.into_response()),
                (false, chosen) => crate::control::admin_refusal(&state, &path, request.headers())
                    .or(chosen.err())
                    .map(IntoResponse::into_response),
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
    if tracing::enabled!(target: request_log::TARGET, tracing::Level::INFO) {
        request_log::write(&RequestLine {
            method: method.as_str(),
            path: &path,
            status,
            took,
            request_id: &id,
            key: note.key_name.as_deref().unwrap_or("-"),
        });
    }
    if api || is_steering_call(method.as_str(), &path) {
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

/// The answer an injected fault gives an API request, if one matches: after
/// its delay, its status; or, for a delay-only fault, `None` after the wait so
/// the request is served normally. The lock is released before the delay.
async fn intercept(state: &AppState, method: &str, path: &str) -> Option<Response> {
    let fault = state.take_fault(method, path)?;
    if let Some(delay) = fault.delay_ms {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let status = fault.status.and_then(|s| StatusCode::from_u16(s).ok())?;
    Some(
        ApiError::Injected {
            status,
            retry_after: fault.retry_after,
        }
        .into_response(),
    )
}
