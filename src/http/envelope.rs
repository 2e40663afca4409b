//! The envelope around every request: the `track` middleware picks the
//! request id (the caller's own, or a new `req_…`), scopes the request
//! context (`context.rs`) around the inner service so that error bodies and
//! the `Caller` extractor can reach it, applies injected faults, sets the
//! `x-request-id` header, logs the request and journals API requests.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::faults::{is_control_path, is_steering_call};
use crate::http::context::{self, CONTEXT, Context, X_REQUEST_ID};
use crate::http::error::ApiError;
use crate::http::request_log::{self, RequestLine};
use crate::journal::{BODY_KEPT, JournalEntry, redact_secrets};
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
    let observer = server.is_ui_request(request.headers());
    let journaled = !observer && (api || is_steering_call(method.as_str(), &path));
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
        observer,
        answer: RefCell::default(),
    };
    // What the journal keeps of the request: a small JSON body, read here
    // and handed on unchanged.
    let (request, request_body) = match journaled && state.journal_keeps_bodies() {
        true => keep_request_body(request).await,
        false => (request, None),
    };
    // Events logged while serving (at debug level) carry the request's id.
    let span = tracing::debug_span!("request", request_id = %id);
    let (mut response, (note, answer)) = CONTEXT
        .scope(context, async {
            let injected = match (api, chosen) {
                (true, Ok(_)) if observer => None,
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
            let answer = CONTEXT.with(|c| c.answer.take());
            (response, (note, answer))
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
    if journaled {
        // A successful GET's answer is not kept: it is what the API serves
        // again, and keeping a thousand pages alive costs the hot path about
        // a tenth of its rate (measured; BENCHMARKS.md).
        let worth = method != Method::GET || status >= 400;
        let (kept, response_body) = match (state.journal_keeps_bodies() && worth, answer) {
            (false, _) => (response, None),
            (true, Some(bytes)) if bytes.len() <= BODY_KEPT => (response, Some(bytes)),
            (true, Some(_)) => (response, None),
            (true, None) => keep_response_body(response).await,
        };
        response = kept;
        let mut entry = JournalEntry::new(method.to_string(), path, query, status, id, note, took);
        entry.request_body = request_body.and_then(redact_secrets);
        entry.response_body = response_body.and_then(redact_secrets);
        state.record(entry);
    }
    response
}

/// The header the demo page sends on its own requests (see `Context::observer`).
pub const OBSERVER_HEADER: &str = "x-extend-mock-ui";

/// A JSON request body of at most `BODY_KEPT` bytes (by its
/// `content-length`), read and put back; any other body is left streaming.
async fn keep_request_body(request: Request) -> (Request, Option<Bytes>) {
    let headers = request.headers();
    let small = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .is_some_and(|n| n > 0 && n <= BODY_KEPT);
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    if !(small && json) {
        return (request, None);
    }
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, BODY_KEPT).await {
        Ok(bytes) => (
            Request::from_parts(parts, Body::from(bytes.clone())),
            Some(bytes),
        ),
        // The client broke off; the handler sees an empty body and says so.
        Err(_) => (Request::from_parts(parts, Body::empty()), None),
    }
}

/// The answer's body when it is known to be at most `BODY_KEPT` bytes
/// (every JSON answer is one buffer: no copy), put back unchanged.
async fn keep_response_body(response: Response) -> (Response, Option<Bytes>) {
    use axum::body::HttpBody as _;
    let fits = response
        .body()
        .size_hint()
        .exact()
        .is_some_and(|n| n <= BODY_KEPT as u64);
    if !fits {
        return (response, None);
    }
    let (parts, body) = response.into_parts();
    match axum::body::to_bytes(body, BODY_KEPT).await {
        Ok(bytes) => (
            Response::from_parts(parts, Body::from(bytes.clone())),
            Some(bytes),
        ),
        Err(_) => (Response::from_parts(parts, Body::empty()), None),
    }
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
