//! The `/_mock/` router: the emulator's own surface for test suites, never under
//! the API's paths. Seed and read the state, read the request journal, inject
//! faults, and check readiness. Every change is all-or-nothing: a bad body is a
//! 400 naming the problem and leaves the state exactly as it was.

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
const REQUEST_BODY: &str = "request body";

/// Large enough for a fixture document of a few hundred thousand runs.
const BODY_LIMIT: usize = 512 * 1024 * 1024;

pub fn router(server: &Arc<Server>) -> Router<Arc<Server>> {
    let state = &server.default;
    let health = Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi));
    if !state.settings.control_plane {
        return health;
    }
    let admin = Router::new()
        .route("/fixtures", get(get_fixtures).put(put_fixtures))
        .route("/processor_runs", post(add_runs))
        .route("/processor_runs/{id}/finish", post(finish_run))
        .route("/processor_runs/{id}/fail", post(fail_run))
        .route("/processor_runs/{id}/hold", post(hold_run))
        .route("/rules", get(list_rules).post(add_rule).delete(clear_rules))
        .route("/reset", post(reset))
        .route(
            "/webhooks/deliveries",
            get(list_deliveries).delete(clear_deliveries),
        )
        .route("/webhooks/deliveries/{id}", get(show_delivery))
        .route("/webhooks/deliveries/{id}/redeliver", post(redeliver))
        .route("/webhooks/test", post(test_event))
        .route("/sandboxes", get(list_sandboxes).post(create_sandbox))
        .route("/sandboxes/{name}", get(show_sandbox).delete(drop_sandbox))
        .route("/requests", get(list_requests).delete(clear_requests))
        .route("/requests/{request_id}", get(show_request))
        .route("/ui", get(crate::ui::page))
        .route("/ui/{asset}", get(crate::ui::asset))
        .route(
            "/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
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

/// With `--admin-token`, every control path but health needs it as a bearer
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

async fn get_fixtures(Sandbox(state): Sandbox) -> Result<Response, ApiError> {
    // Serialized under the read lock, straight from the store.
    let body =
        serde_json::to_vec(&fixtures::export(&state.store())).map_err(anyhow::Error::from)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

async fn put_fixtures(
    Sandbox(state): Sandbox,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let mut document: Document = parse_body(body)?;
    state.mint_keys(&mut document);
    // Built and checked with no lock held; a bad document returns here.
    let next = fixtures::build_store(vec![(REQUEST_BODY.to_owned(), document)])
        .map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    state.replace_store(next);
    tracing::info!("fixtures replaced through /_mock/fixtures");
    Ok(Json(counts(&state)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AddRuns {
    processor_runs: Vec<ProcessorRun>,
}

async fn add_runs(
    Sandbox(state): Sandbox,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let AddRuns { processor_runs } = parse_body(body)?;
    let added = state.add_runs(processor_runs).map_err(|(i, reason)| {
        ApiError::InvalidRequest(format!("request body: processorRuns[{i}]: {reason}"))
    })?;
    let mut answer = counts(&state);
    answer["added"] = json!(added);
    Ok((StatusCode::CREATED, Json(answer)))
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

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FinishRun {
    /// Served exactly as given; derived from the run's config when absent.
    output: Option<JsonObject>,
    credits: Option<f64>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FailRun {
    failure_reason: Option<String>,
    failure_message: Option<String>,
}

/// Ends a `PROCESSING` or `PENDING` run now, whatever its time or marker,
/// and answers its full object as the API now serves it.
fn end_run(
    state: &AppState,
    id: &str,
    verb: &str,
    change: RunChange,
) -> Result<Response, ApiError> {
    let workspace = state.change_store(|store| {
        let workspace = store
            .run_workspace(id)
            .ok_or_else(|| ApiError::RunNotFound(id.to_owned()))?
            .to_owned();
        let run = store
            .get(&workspace, id)
            .map_err(|_| ApiError::RunNotFound(id.to_owned()))?;
        if let Some(output) = &change.output {
            crate::openapi::check_output(run.processor_type, output)
                .map_err(|e| ApiError::InvalidRequest(format!("{REQUEST_BODY}: output: {e}")))?;
        }
        if !matches!(run.status, RunStatus::Processing | RunStatus::Pending) {
            return Err(ApiError::InvalidRequest(format!(
                "Processor run `{id}` is {}; only a PROCESSING or PENDING run can be {verb}",
                run.status
            )));
        }
        let change = RunChange {
            updated_at: Some(state.now().max(run.updated_at)),
            ..change
        };
        store
            .update(&workspace, id, change)
            .map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
        Ok(workspace)
    })?;
    tracing::info!(run = %id, "{verb} through /_mock/");
    crate::webhooks::run_ended(state, &workspace, id);
    full_run_body(state, &workspace, id)
        .map(|body| ([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

async fn finish_run(
    Sandbox(state): Sandbox,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let FinishRun { output, credits } = optional_body(body)?;
    let change = RunChange {
        status: Some(RunStatus::Processed),
        credits: Some(credits.unwrap_or(1.0)),
        output,
        ..RunChange::default()
    };
    end_run(&state, &id, "finished", change)
}

async fn fail_run(
    Sandbox(state): Sandbox,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let FailRun {
        failure_reason,
        failure_message,
    } = optional_body(body)?;
    let reason = failure_reason.unwrap_or_else(|| DEFAULT_FAILURE.to_owned());
    let message = failure_message.unwrap_or_else(|| failure_message_for(&reason));
    let change = RunChange {
        status: Some(RunStatus::Failed),
        failure: Some((reason, message)),
        ..RunChange::default()
    };
    end_run(&state, &id, "failed", change)
}

/// Keeps a run `PROCESSING` past its time, until it is finished, failed,
/// cancelled or deleted (or the state is reset).
async fn hold_run(Sandbox(state): Sandbox, Path(id): Path<String>) -> Result<Response, ApiError> {
    let workspace = {
        let store = state.store();
        let workspace = store
            .run_workspace(&id)
            .ok_or_else(|| ApiError::RunNotFound(id.clone()))?
            .to_owned();
        let status = store
            .get(&workspace, &id)
            .map_err(|_| ApiError::RunNotFound(id.clone()))?
            .status;
        if !matches!(status, RunStatus::Processing | RunStatus::Pending) {
            return Err(ApiError::InvalidRequest(format!(
                "Processor run `{id}` is {status}; only a PROCESSING or PENDING run can be held"
            )));
        }
        state.lifecycle.hold(&id);
        workspace
    };
    tracing::info!(run = %id, "held through /_mock/");
    full_run_body(&state, &workspace, &id)
        .map(|body| ([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

async fn list_rules(Sandbox(state): Sandbox) -> Json<Value> {
    let rules = state
        .rules
        .lock()
        .expect("a thread panicked holding the rules");
    Json(json!({"success": true, "rules": rules.list()}))
}

async fn add_rule(
    Sandbox(state): Sandbox,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let spec: RuleSpec = parse_body(body)?;
    let rule = state
        .rules
        .lock()
        .expect("a thread panicked holding the rules")
        .add(spec)
        .map_err(|reason| ApiError::InvalidRequest(format!("{REQUEST_BODY}: {reason}")))?;
    tracing::info!(rule = %rule.id, "rule added through /_mock/rules");
    Ok((
        StatusCode::CREATED,
        Json(json!({"success": true, "rule": rule})),
    ))
}

async fn clear_rules(Sandbox(state): Sandbox) -> Json<Value> {
    let cleared = state
        .rules
        .lock()
        .expect("a thread panicked holding the rules")
        .clear();
    Json(json!({"success": true, "cleared": cleared}))
}

/// `?endpointId=…&eventId=…&eventType=…&runId=…&state=…`, each optional.
fn delivery_filter(raw: Option<&str>) -> Result<impl Fn(&Delivery) -> bool, ApiError> {
    let mut wanted: Vec<(String, String)> = Vec::new();
    for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        if !["endpointId", "eventId", "eventType", "runId", "state"].contains(&name.as_ref()) {
            return Err(ApiError::InvalidRequest(format!(
                "Unknown query parameter `{name}`; deliveries filter by endpointId, eventId, \
                 eventType, runId and state, and page with limit and after"
            )));
        }
        if name == "state" && !["pending", "delivered", "failed", "dropped"].contains(&&*value) {
            return Err(ApiError::InvalidRequest(format!(
                "Invalid query parameter `state`: `{value}` is not pending, delivered, failed or \
                 dropped"
            )));
        }
        wanted.push((name.into_owned(), value.into_owned()));
    }
    Ok(move |d: &Delivery| {
        wanted.iter().all(|(name, value)| match name.as_str() {
            "endpointId" => d.endpoint_id == *value,
            "eventId" => d.event_id == *value,
            "eventType" => d.event_type.as_str() == value,
            "runId" => d.run_id.as_deref() == Some(value),
            _ => json!(d.state) == json!(value),
        })
    })
}

/// Deliveries a page of `GET /_mock/webhooks/deliveries` holds unless
/// `limit` says otherwise, and the most it may say.
const DELIVERY_PAGE: usize = 100;
const DELIVERY_PAGE_MAX: usize = 1000;

/// `?limit=` and `?after=dlv_N` of the deliveries list, taken out of the
/// query before the filters read it.
fn delivery_page(raw: Option<&str>) -> Result<(usize, u64, String), ApiError> {
    let mut limit = DELIVERY_PAGE;
    let mut after = 0;
    let mut rest = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        match name.as_ref() {
            "limit" => {
                limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=DELIVERY_PAGE_MAX).contains(n))
                    .ok_or_else(|| {
                        ApiError::InvalidRequest(format!(
                            "Invalid query parameter `limit`: `{value}` is not a whole number \
                             from 1 to {DELIVERY_PAGE_MAX}"
                        ))
                    })?;
            }
            "after" => {
                after = value
                    .strip_prefix("dlv_")
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| {
                        ApiError::InvalidRequest(format!(
                            "Invalid query parameter `after`: `{value}` is not a delivery id \
                             (`dlv_` and a number); pass the page's `nextAfter`"
                        ))
                    })?;
            }
            _ => {
                rest.append_pair(&name, &value);
            }
        }
    }
    Ok((limit, after, rest.finish()))
}

/// `GET /_mock/webhooks/deliveries`: the deliveries kept, oldest first, with
/// their attempts, a page at a time (`limit`, 100 by default; `after` the
/// last id of the page before, which `nextAfter` gives).
async fn list_deliveries(
    Sandbox(state): Sandbox,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let (limit, after, filters) = delivery_page(raw.as_deref())?;
    let keep = delivery_filter(Some(&filters))?;
    let (deliveries, more, counts) = state.webhooks.page(keep, after, limit);
    let mut answer = json!({
        "deliveries": deliveries,
        "dropped": counts.forgotten,
        "capacity": crate::webhooks::outbox::KEPT,
        "pending": counts.pending,
        "overflowed": counts.overflowed,
    });
    if more && let Some(last) = deliveries.last() {
        answer["nextAfter"] = json!(last.id);
    }
    Ok(Json(answer))
}

/// One delivery, with the body it sends (`body`, as JSON).
async fn show_delivery(
    Sandbox(state): Sandbox,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let delivery = state
        .webhooks
        .get(&id)
        .ok_or_else(|| ApiError::DeliveryNotFound(id.clone()))?;
    let mut answer = json!(delivery);
    answer["body"] = serde_json::from_slice(&delivery.body).map_err(anyhow::Error::from)?;
    Ok(Json(answer))
}

async fn clear_deliveries(Sandbox(state): Sandbox) -> Json<Value> {
    let cleared = state.webhooks.clear_finished();
    Json(json!({"success": true, "cleared": cleared}))
}

/// Sends a delivery's event again (same `eventId` and body, signed anew)
/// as a new delivery behind the endpoint's queue.
async fn redeliver(
    Sandbox(state): Sandbox,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let old = state
        .webhooks
        .get(&id)
        .ok_or_else(|| ApiError::DeliveryNotFound(id.clone()))?;
    if state.store().endpoint_by_id(&old.endpoint_id).is_none() {
        return Err(ApiError::InvalidRequest(format!(
            "Delivery `{id}` went to endpoint `{}`, which no longer exists",
            old.endpoint_id
        )));
    }
    let event = crate::webhooks::events::Event {
        endpoint_id: old.endpoint_id,
        event_id: old.event_id,
        event_type: old.event_type,
        run_id: old.run_id,
        body: old.body,
    };
    let delivery = state.webhooks.push(event, state.now(), Some(id));
    tracing::info!(delivery = %delivery.id, "redelivery through /_mock/webhooks");
    Ok((StatusCode::CREATED, Json(json!(delivery))))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TestEvent {
    endpoint_id: String,
    run_id: Option<String>,
}

/// Sends one endpoint the event of a run's end now, whatever it
/// subscribed to: the run given, or the workspace's latest PROCESSED or
/// FAILED run.
async fn test_event(
    Sandbox(state): Sandbox,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let TestEvent {
        endpoint_id,
        run_id,
    } = parse_body(body)?;
    let (workspace, run_id) = {
        let store = state.store();
        let endpoint = store
            .endpoint_by_id(&endpoint_id)
            .ok_or_else(|| ApiError::EndpointNotFound(endpoint_id.clone()))?;
        let workspace = endpoint.workspace_id.clone();
        let run_id = match run_id {
            Some(id) => id,
            None => store.latest_ended_run(&workspace).ok_or_else(|| {
                ApiError::InvalidRequest(format!(
                    "Workspace `{workspace}` has no PROCESSED or FAILED run to send; \
                         give `runId`"
                ))
            })?,
        };
        (workspace, run_id)
    };
    let events = crate::webhooks::events::run_end(&state, &workspace, &run_id, Some(&endpoint_id));
    if events.is_empty() {
        return Err(ApiError::InvalidRequest(format!(
            "request body: runId: run `{run_id}` of workspace `{workspace}` does not exist or \
             has not ended (PROCESSED or FAILED)"
        )));
    }
    let deliveries: Vec<Delivery> = events
        .into_iter()
        .map(|event| state.webhooks.push(event, state.now(), Some("test".into())))
        .collect();
    Ok((
        StatusCode::CREATED,
        Json(json!({"success": true, "deliveries": deliveries})),
    ))
}

/// A sandbox as the control plane shows it: its name, its keys (the tokens
/// to give the code under test) and what it holds.
fn describe(state: &AppState) -> Value {
    let mut answer = counts(state);
    answer["sandbox"] = json!(state.sandbox_name().unwrap_or(sandboxes::DEFAULT));
    answer["apiKeys"] = json!(state.store().keys());
    answer
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SandboxQuery {
    name: Option<String>,
}

/// `POST /_mock/sandboxes[?name=…]`: a fixture document in (none: the
/// server's own start-up fixtures), the sandbox's keys out. Built off the
/// async workers: a large seed takes a while.
async fn create_sandbox(
    State(server): State<Arc<Server>>,
    query: Result<Query<SandboxQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Query(SandboxQuery { name }) = query.map_err(|e| {
        ApiError::InvalidRequest(format!("{}; sandboxes take `name` only", e.body_text()))
    })?;
    let bytes = body.map_err(|e| ApiError::InvalidRequest(format!("{REQUEST_BODY}: {e}")))?;
    let document = match bytes.iter().all(u8::is_ascii_whitespace) {
        true => None,
        false => Some(sandboxes::parse_document(&bytes)?),
    };
    let state = tokio::task::spawn_blocking(move || server.create(name, document))
        .await
        .map_err(anyhow::Error::from)??;
    Ok((StatusCode::CREATED, Json(describe(&state))))
}

async fn list_sandboxes(State(server): State<Arc<Server>>) -> Json<Value> {
    let all: Vec<Value> = server.list().iter().map(|s| describe(s)).collect();
    Json(json!({"success": true, "sandboxes": all}))
}

async fn show_sandbox(
    State(server): State<Arc<Server>>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let state = server
        .get(&name)
        .ok_or_else(|| ApiError::SandboxNotFound(name.clone()))?;
    Ok(Json(describe(&state)))
}

async fn drop_sandbox(
    State(server): State<Arc<Server>>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    server.drop_sandbox(&name)?;
    Ok(Json(json!({"success": true, "dropped": name})))
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

/// `?method=GET&path=/processor_runs&status=400`, each optional.
fn journal_filter(raw: Option<&str>) -> Result<JournalFilter, ApiError> {
    let mut filter = JournalFilter::default();
    for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        match name.as_ref() {
            "method" => filter.method = Some(value.into_owned()),
            "path" => filter.path = Some(value.into_owned()),
            "keyName" => filter.key_name = Some(value.into_owned()),
            "workspaceId" => filter.workspace_id = Some(value.into_owned()),
            "requestId" => filter.request_id = Some(value.into_owned()),
            "status" => {
                filter.status = Some(value.parse().map_err(|_| {
                    ApiError::InvalidRequest(format!(
                        "Invalid query parameter `status`: `{value}` is not an HTTP status"
                    ))
                })?)
            }
            other => {
                return Err(ApiError::InvalidRequest(format!(
                    "Unknown query parameter `{other}`; the journal filters by method, path, \
                     status, keyName, workspaceId and requestId"
                )));
            }
        }
    }
    Ok(filter)
}

async fn list_requests(
    Sandbox(state): Sandbox,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let filter = journal_filter(raw.as_deref())?;
    let (requests, dropped, capacity) =
        state.journal(|j| (j.matching(&filter), j.dropped(), j.capacity()));
    Ok(Json(json!({
        "requests": requests,
        "dropped": dropped,
        "capacity": capacity,
    })))
}

/// One journal entry with the bodies kept (`requestBody`, `responseBody`:
/// JSON as JSON, other text as a string; absent when not kept).
async fn show_request(
    Sandbox(state): Sandbox,
    Path(request_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let entry = state
        .journal(|j| j.by_request_id(&request_id))
        .ok_or_else(|| ApiError::RequestNotFound(request_id.clone()))?;
    let mut answer = json!(entry);
    let readable = |bytes: &Bytes| {
        serde_json::from_slice::<Value>(bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
    };
    if let Some(body) = &entry.request_body {
        answer["requestBody"] = readable(body);
    }
    if let Some(body) = &entry.response_body {
        answer["responseBody"] = readable(body);
    }
    Ok(Json(answer))
}

async fn clear_requests(Sandbox(state): Sandbox) -> Json<Value> {
    let cleared = state.journal(|j| j.clear());
    Json(json!({ "success": true, "cleared": cleared }))
}

async fn list_faults(Sandbox(state): Sandbox) -> Json<Value> {
    let faults = state.faults(|f| f.active().to_vec());
    Json(json!({ "faults": faults }))
}

async fn add_fault(
    Sandbox(state): Sandbox,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let spec: FaultSpec = parse_body(body)?;
    let spec = spec
        .checked()
        .map_err(|reason| ApiError::InvalidRequest(format!("{REQUEST_BODY}: {reason}")))?;
    let fault = state.add_fault(spec);
    Ok((StatusCode::CREATED, Json(json!(fault))))
}

async fn clear_faults(Sandbox(state): Sandbox) -> Json<Value> {
    let cleared = state.faults(|f| f.clear());
    Json(json!({ "success": true, "cleared": cleared }))
}
