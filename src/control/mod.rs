//! The `/_mock/` router: the emulator's own surface for test suites, never under
//! the API's paths. Seed and read the state, read the request journal, inject
//! faults, and check readiness. Every change is all-or-nothing: a bad body is a
//! 400 naming the problem and leaves the state exactly as it was.
//!
//! Here: the router, the admin check, the large-body gate, health, the
//! OpenAPI document and reset. Beside it, one module per concern:
//! `documents` (fixtures in and out, runs added), `runs` (finish, fail,
//! hold, rules), `webhooks` (deliveries, redelivery, test events),
//! `sandbox_admin` (`/_mock/sandboxes`), `journal` (requests and faults),
//! `workflows` (approving or rejecting a workflow run in review).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::domain::{JsonObject, ProcessorRun, RunStatus};
use crate::faults::FaultSpec;
use crate::fixtures::{self, Document};
use crate::http::auth::bearer_token;
use crate::http::context::Sandbox;
use crate::http::error::ApiError;
use crate::journal::JournalFilter;
use crate::lifecycle::{DEFAULT_FAILURE, failure_message as failure_message_for};
use crate::routes::processor_runs::full_run_body;
use crate::rules::RuleSpec;
use crate::sandboxes::{self, Server};
use crate::state::AppState;
use crate::store::RunChange;
use crate::webhooks::Delivery;

/// How errors about a control request's body name it.
mod documents;
mod journal;
mod runs;
mod sandbox_admin;
mod webhooks;
mod workflows;

const REQUEST_BODY: &str = "request body";

/// Large enough for a fixture document of a few hundred thousand runs.
const BODY_LIMIT: usize = 512 * 1024 * 1024;

pub fn router(server: &Arc<Server>) -> Router<Arc<Server>> {
    let state = &server.default;
    let health = Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .route("/docs", get(|| crate::home::doc(None)))
        .route("/docs/{page}", get(|page| crate::home::doc(Some(page))));
    if !state.settings.control_plane {
        return health;
    }
    let admin = Router::new()
        .route(
            "/fixtures",
            get(documents::get_fixtures).put(documents::put_fixtures),
        )
        .route("/processor_runs", post(documents::add_runs))
        .route("/processor_runs/{id}/finish", post(runs::finish_run))
        .route("/processor_runs/{id}/fail", post(runs::fail_run))
        .route("/processor_runs/{id}/hold", post(runs::hold_run))
        .route("/workflow_runs/{id}/approve", post(workflows::approve))
        .route("/workflow_runs/{id}/reject", post(workflows::reject))
        .route(
            "/rules",
            get(runs::list_rules)
                .post(runs::add_rule)
                .delete(runs::clear_rules),
        )
        .route("/reset", post(reset))
        .route(
            "/webhooks/deliveries",
            get(webhooks::list_deliveries).delete(webhooks::clear_deliveries),
        )
        .route("/webhooks/deliveries/{id}", get(webhooks::show_delivery))
        .route(
            "/webhooks/deliveries/{id}/redeliver",
            post(webhooks::redeliver),
        )
        .route("/webhooks/test", post(webhooks::test_event))
        .route(
            "/sandboxes",
            get(sandbox_admin::list_sandboxes).post(sandbox_admin::create_sandbox),
        )
        .route(
            "/sandboxes/{name}",
            get(sandbox_admin::show_sandbox).delete(sandbox_admin::drop_sandbox),
        )
        .route(
            "/requests",
            get(journal::list_requests).delete(journal::clear_requests),
        )
        .route("/requests/{request_id}", get(journal::show_request))
        .route("/ui", get(crate::ui::page))
        .route("/ui/{asset}", get(crate::ui::asset))
        .route(
            "/faults",
            get(journal::list_faults)
                .post(journal::add_fault)
                .delete(journal::clear_faults),
        )
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(server),
            large_body_turn,
        ));
    health.merge(admin)
}

/// A body up to this size is read as it comes; a larger one waits its turn.
const LARGE_BODY: u64 = 1024 * 1024;

/// Bodies over `LARGE_BODY` (or of unknown length) are read one turn at a
/// time (`--max-large-bodies` at once), into one buffer of their declared
/// size rather than one that grows by doubling and a copy at the end, and
/// the turn is held until the answer is made (parsing and building take
/// their own memory). So a few large fixture documents at once cost about
/// their size each, and no more of them are in memory than there are turns.
async fn large_body_turn(
    State(server): State<Arc<Server>>,
    request: Request,
    next: Next,
) -> Response {
    use axum::body::HttpBody;

    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let chunked = request.headers().contains_key(header::TRANSFER_ENCODING);
    let large = match declared {
        Some(length) => length > LARGE_BODY,
        None => chunked,
    };
    if !large {
        return next.run(request).await;
    }
    if declared.is_some_and(|length| length > BODY_LIMIT as u64) {
        return too_large().into_response();
    }
    let Ok(_turn) = Arc::clone(&server.large_bodies).acquire_owned().await else {
        return next.run(request).await;
    };
    let (parts, mut body) = request.into_parts();
    let mut bytes = Vec::with_capacity(declared.map_or(LARGE_BODY as usize, |n| n as usize));
    // A client that stops sending must not keep the turn: the same deadline
    // as for a request's head, between one piece of the body and the next.
    let patience = server.default.settings.header_timeout;
    loop {
        let next_frame = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx));
        let Ok(frame) = tokio::time::timeout(patience, next_frame).await else {
            return ApiError::InvalidRequest(format!(
                "{REQUEST_BODY}: nothing arrived for {} s (--header-timeout); a large body \
                 must keep coming",
                patience.as_secs_f64()
            ))
            .into_response();
        };
        let Some(frame) = frame else { break };
        let Ok(frame) = frame else {
            return ApiError::InvalidRequest(format!(
                "{REQUEST_BODY}: the connection ended before the whole body arrived"
            ))
            .into_response();
        };
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > BODY_LIMIT {
                return too_large().into_response();
            }
            bytes.extend_from_slice(&data);
        }
    }
    let request = Request::from_parts(parts, axum::body::Body::from(bytes));
    let response = next.run(request).await;
    release_memory();
    response
}

/// A large body and what was parsed from it are freed by now: hand their
/// memory back to the system at once, rather than whenever the allocator
/// next tidies up (with mimalloc that can wait for the next busy moment;
/// measured in BENCHMARKS.md, "Large bodies").
fn release_memory() {
    #[cfg(feature = "mimalloc")]
    // SAFETY: `mi_collect` takes no pointers and may be called from any thread.
    unsafe {
        libmimalloc_sys::mi_collect(true)
    }
}

fn too_large() -> ApiError {
    ApiError::TooLarge(format!(
        "{REQUEST_BODY}: larger than the control plane takes ({} MiB)",
        BODY_LIMIT >> 20
    ))
}

/// With `--admin-token`, every control path but health, the OpenAPI document,
/// the docs, the home page and the demo page's files needs it as a bearer
/// token (one `Authorization` header, this token). Health stays open so Docker
/// and harnesses can poll readiness. Checked by the envelope before routing,
/// so a wrong method or an unknown path under `/_mock/` is a 401 too: no 405
/// and `Allow` to map the routes by without the token.
pub fn admin_refusal(state: &AppState, path: &str, headers: &HeaderMap) -> Option<ApiError> {
    let expected = state.settings.admin_token.as_deref()?;
    // The page's own files hold no data; the page asks for the token and
    // sends it with every request it makes.
    if path == "/_mock/health"
        || path == "/_mock/openapi.json"
        || path == "/_mock/ui"
        || path.starts_with("/_mock/ui/")
        || path == "/"
        || path == "/_mock/docs"
        || path.starts_with("/_mock/docs/")
    {
        return None;
    }
    let single = headers.get_all(header::AUTHORIZATION).iter().count() == 1;
    if single && bearer_token(headers).ok() == Some(expected) {
        return None;
    }
    Some(ApiError::Unauthorized(
        "The control plane needs `Authorization: Bearer <admin token>` \
         (this server runs with --admin-token)"
            .into(),
    ))
}

/// Parses a JSON body; the error names the field (`processorRuns[2].status`).
fn parse_body<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let bytes = body.map_err(|e| ApiError::InvalidRequest(format!("{REQUEST_BODY}: {e}")))?;
    fixtures::parse_json(REQUEST_BODY, &bytes).map_err(|e| ApiError::InvalidRequest(e.to_string()))
}

/// Readiness for Docker health checks and test harnesses: answers once the
/// store is loaded and the listener is up, which is the only time it can answer.
async fn health(Sandbox(state): Sandbox) -> Json<Value> {
    let runs = state.store().run_count();
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "processorRuns": runs,
    }))
}

/// `GET /_mock/openapi.json`: served like `/health`, to anyone, even with
/// the control plane off (it describes the server, it changes nothing).
async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::DOCUMENT,
    )
        .into_response()
}

fn counts(state: &AppState) -> Value {
    let store = state.store();
    json!({
        "success": true,
        "organizations": store.organizations().len(),
        "workspaces": store.workspace_count(),
        "apiKeys": store.keys().len(),
        "processorRuns": store.run_count(),
        "processors": store.processors().len(),
        "files": store.files().len(),
    })
}

/// An optional body: nothing (or only white space) is the empty object.
fn optional_body<T: DeserializeOwned + Default>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    match &body {
        Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => Ok(T::default()),
        _ => parse_body(body),
    }
}

/// What `POST /_mock/reset` can reset; by default the state and the rules.
const RESETTABLE: &[&str] = &["state", "journal", "faults", "rules", "deliveries"];

/// `POST /_mock/reset`, or `?what=state,journal,faults,rules` (or `all`) to
/// choose; the answer says what was reset, with the counts.
async fn reset(Sandbox(state): Sandbox, RawQuery(raw): RawQuery) -> Result<Json<Value>, ApiError> {
    let mut what: Vec<&'static str> = vec!["state", "rules"];
    for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if name != "what" {
            return Err(ApiError::InvalidRequest(format!(
                "Unknown query parameter `{name}`; reset takes `what` ({} or all)",
                RESETTABLE.join(", ")
            )));
        }
        what.clear();
        for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if part == "all" {
                what = RESETTABLE.to_vec();
                continue;
            }
            let known = RESETTABLE.iter().find(|r| **r == part).ok_or_else(|| {
                ApiError::InvalidRequest(format!(
                    "Invalid query parameter `what`: `{part}` is not one of {} or all",
                    RESETTABLE.join(", ")
                ))
            })?;
            if !what.contains(known) {
                what.push(known);
            }
        }
    }
    if what.contains(&"state") {
        state.reset()?;
    }
    if what.contains(&"journal") {
        state.journal(|j| j.clear());
    }
    if what.contains(&"faults") {
        state.faults(|f| f.clear());
    }
    if what.contains(&"deliveries") {
        state.webhooks.clear();
    }
    if what.contains(&"rules") {
        state
            .rules
            .lock()
            .expect("a thread panicked holding the rules")
            .clear();
    }
    tracing::info!(reset = %what.join(","), "reset through /_mock/reset");
    let mut answer = counts(&state);
    answer["reset"] = json!(what);
    Ok(Json(answer))
}
