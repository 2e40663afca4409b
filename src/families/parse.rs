//! Parse runs: `/parse_runs` (list, create, retrieve, cancel, delete), the
//! sync `POST /parse`, and the signed link of `responseType=url`. A parse run
//! is a resource of its own (SPEC Part 6), not a processor run: it has no
//! processor and no legacy view. It lives like the other runs, though: made
//! `PROCESSING`, ended by the lifecycle after `--processing-time`, steered by
//! the same markers (`__fail__`, `__hold__`, `__slow__` in the file's url or
//! name) and by rules that name a file (`fileNameContains`).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::runs::{object_field, string_field};
use crate::domain::{
    JsonObject, PagedResource, ParseRunSource, Position, RunStatus, Timestamp, check_file_name,
    clip_text, detect_type,
};
use crate::full_run::parse::{ParseInput, parse_output, text_pages};
use crate::http::auth::Caller;
use crate::http::body::{invalid_field, json_body};
use crate::http::context::Sandbox;
use crate::http::error::ApiError;
use crate::http::query::{page_token, parse_parse_run_query};
use crate::lifecycle::{Marker, Outcome, failure_message};
use crate::links::LinkScope;
use crate::routes::processor_runs::{check_priority, clean_metadata, name_from_url};
use crate::rules::RuleOutcome;
use crate::state::AppState;
use crate::store::parse_runs::ParseRun;

/// What a bare `__fail__` ends a parse run with, as the API documents it.
const DEFAULT_FAILURE: (&str, &str) = (
    "FILE_TYPE_NOT_SUPPORTED",
    "File type not supported for parsing.",
);

/// How long an `outputUrl` lasts, as the API documents it.
const LINK_SECONDS: i64 = 15 * 60;

fn not_found(id: &str) -> ApiError {
    ApiError::Missing(format!("Parse run `{id}` not found"))
}

/// `responseType`: `json` (the default: the output inline) or `url`.
fn response_type(raw: Option<&str>) -> Result<bool, ApiError> {
    let mut url = false;
    for (key, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if key == "responseType" {
            url = match value.as_ref() {
                "json" => false,
                "url" => true,
                other => {
                    return Err(ApiError::InvalidRequest(format!(
                        "query parameter `responseType`: `{other}` is not one of `json`, `url`"
                    )));
                }
            };
        }
    }
    Ok(url)
}

/// The run's output: as a rule or the control plane pinned it, else made.
fn output_of(run: &ParseRun) -> Value {
    match &run.output {
        Some(given) if !given.is_empty() => Value::Object(JsonObject::clone(given)),
        _ => Value::Object(parse_output(&ParseInput {
            run_id: &run.id,
            file_name: &run.file_name,
            page_count: run.page_count,
            text: run.text.as_deref(),
            config: &run.config,
        })),
    }
}

fn link_scope<'a>(state: &'a AppState, run: &'a ParseRun, expires: i64) -> LinkScope<'a> {
    LinkScope {
        kind: "parse_output",
        sandbox: state.sandbox_name(),
        life: state.life(),
        workspace_id: &run.workspace_id,
        id: &run.id,
        expires,
    }
}

/// `failureReason` and `failureMessage`, `null` unless it failed.
fn failure(run: &ParseRun) -> (Option<&String>, Option<&String>) {
    run.failure
        .as_ref()
        .map_or((None, None), |(r, m)| (Some(r), Some(m)))
}

/// `metrics` and `usage`, once it has ended PROCESSED.
fn metrics(run: &ParseRun) -> (Value, Value) {
    match (run.status, run.ended_at) {
        (RunStatus::Processed, Some(ended)) => {
            let ms = (ended.unix_nanos() - run.created_at.unix_nanos()).max(0) as f64 / 1e6;
            (
                json!({"processingTimeMs": ms, "pageCount": run.page_count}),
                json!({"credits": run.credits.unwrap_or(0.0)}),
            )
        }
        _ => (Value::Null, Value::Null),
    }
}

/// `ParseRun`: every key the SDK types declare, `null` where empty. With
/// `url`, the output is left out and `outputUrl` signed to serve it.
pub(crate) fn run_object(state: &AppState, run: &ParseRun, url: Option<&str>) -> Value {
    let processed = run.status == RunStatus::Processed;
    let (metrics, usage) = metrics(run);
    let (output, output_url) = match (processed, url) {
        (false, _) => (Value::Null, Value::Null),
        (true, None) => (output_of(run), Value::Null),
        (true, Some(base)) => {
            let expires = Timestamp::now().unix_nanos() / 1_000_000_000 + LINK_SECONDS;
            let signature = state
                .signer
                .sign_bytes(&link_scope(state, run, expires).payload());
            let in_sandbox = state
                .sandbox_name()
                .map(|s| format!("sandbox={s}&"))
                .unwrap_or_default();
            let link = format!(
                "{base}/_parse_output/{}?{in_sandbox}expires={expires}&signature={signature}",
                run.id
            );
            (Value::Null, json!(link))
        }
    };
    let mut out = Map::new();
    out.insert("object".into(), json!("parse_run"));
    out.insert("id".into(), json!(run.id));
    out.insert("batchId".into(), json!(run.batch_id));
    out.insert("file".into(), Value::Object(run.file.clone()));
    out.insert("status".into(), json!(run.status.as_str()));
    let (reason, message) = failure(run);
    out.insert("failureReason".into(), json!(reason));
    out.insert("failureMessage".into(), json!(message));
    out.insert("metadata".into(), json!(run.metadata));
    out.insert("output".into(), output);
    out.insert("outputUrl".into(), output_url);
    out.insert("metrics".into(), metrics);
    out.insert("config".into(), Value::Object(run.config.clone()));
    out.insert("usage".into(), usage);
    Value::Object(out)
}

/// `ParseRunSummary`: no output, url or config; with its times.
fn summary(run: &ParseRun) -> Value {
    let (metrics, usage) = metrics(run);
    let (reason, message) = failure(run);
    json!({
        "object": "parse_run",
        "id": run.id,
        "batchId": run.batch_id,
        "file": run.file,
        "status": run.status.as_str(),
        "failureReason": reason,
        "failureMessage": message,
        "metadata": run.metadata,
        "metrics": metrics,
        "usage": usage,
        "createdAt": run.created_at.to_rfc3339(),
        "updatedAt": run.updated_at.to_rfc3339(),
    })
}

/// The run of the workspace as an answer, read under the read lock.
fn answer(
    state: &AppState,
    workspace_id: &str,
    id: &str,
    url: Option<&str>,
) -> Result<Value, ApiError> {
    let store = state.store();
    let run = store
        .parse_runs
        .get(workspace_id, id)
        .ok_or_else(|| not_found(id))?;
    Ok(run_object(state, run, url))
}

/// One of `allowed`, if the key is there.
fn one_of(
    object: &JsonObject,
    key: &str,
    at: &str,
    allowed: &[&str],
) -> Result<Option<String>, ApiError> {
    match string_field(object, key, at)? {
        Some(value) if !allowed.contains(&value.as_str()) => Err(invalid_field(
            at,
            format!("`{value}` is not one of {}", allowed.join(", ")),
        )),
        other => Ok(other),
    }
}

/// The config used: as given, checked where the API's enums are known,
/// with `target`, `chunkingStrategy.type` and `engine` filled in.
fn read_config(given: Option<&JsonObject>) -> Result<JsonObject, ApiError> {
    let mut config = given.cloned().unwrap_or_default();
    let target = one_of(&config, "target", "config.target", &["markdown", "spatial"])?;
    let mut chunking = match object_field(&config, "chunkingStrategy", "config.chunkingStrategy")? {
        Some(c) => c.clone(),
        None => JsonObject::new(),
    };
    let kind = one_of(
        &chunking,
        "type",
        "config.chunkingStrategy.type",
        &["page", "document", "section"],
    )?;
    if target.as_deref() == Some("spatial") && kind.as_deref() == Some("section") {
        return Err(invalid_field(
            "config.chunkingStrategy.type",
            "`section` is not supported with `target: spatial`",
        ));
    }
    string_field(&config, "engine", "config.engine")?;
    chunking.insert("type".into(), json!(kind.unwrap_or_else(|| "page".into())));
    config.insert(
        "target".into(),
        json!(target.unwrap_or_else(|| "markdown".into())),
    );
    config.insert("chunkingStrategy".into(), Value::Object(chunking));
    if config.get("engine").is_none_or(Value::is_null) {
        config.insert("engine".into(), json!("parse_performance"));
    }
    Ok(config)
}

/// One parse run, read from a create body and planned: what to store and
/// how it ends.
pub(crate) struct PlannedParse {
    pub(crate) run: ParseRun,
    end: Option<(std::time::Duration, Outcome)>,
}

/// What made a parse run, besides a call of its own.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Origin<'a> {
    Api,
    /// A batch (`batchId`, `source` `BATCH_PARSER_RUN`).
    Batch(&'a str),
    /// A workflow run's PARSE step (`source` `WORKFLOW_RUN`).
    Workflow(&'a str),
}

/// Reads `{file, config?, metadata?, dataRetention?}` (a batch's input has
/// its file and metadata, and the batch's config and priority).
pub(crate) fn plan(
    state: &AppState,
    workspace_id: &str,
    body: &JsonObject,
    origin: Origin<'_>,
) -> Result<PlannedParse, ApiError> {
    let batch = match origin {
        Origin::Batch(id) => Some(id),
        _ => None,
    };
    let file = object_field(body, "file", "file")?
        .ok_or_else(|| invalid_field("file", "is required: `{url, name?}` or `{id}`"))?;
    let url = string_field(file, "url", "file.url")?;
    let file_id = string_field(file, "id", "file.id")?;
    let name = string_field(file, "name", "file.name")?;
    // Only a batch's inputs may be text, as the SDKs declare them.
    let text = string_field(file, "text", "file.text")?;
    if text.is_some() && batch.is_none() {
        return Err(invalid_field(
            "file.text",
            "is not taken here; give `url` or `id`",
        ));
    }
    let config = read_config(object_field(body, "config", "config")?)?;
    let metadata = match body.get("metadata").filter(|m| !m.is_null()) {
        None => None,
        Some(Value::Object(m)) => Some(clean_metadata(m.clone())?),
        Some(_) => return Err(invalid_field("metadata", "must be an object")),
    };
    if let Some(retention) = object_field(body, "dataRetention", "dataRetention")? {
        one_of(
            retention,
            "mode",
            "dataRetention.mode",
            &["workspace_default", "zero"],
        )?;
    }
    if let Some(priority) = body.get("priority").filter(|p| !p.is_null()) {
        match priority {
            Value::Number(n) => check_priority(Some(n))?,
            other => {
                return Err(invalid_field(
                    "priority",
                    format!("`{other}` is not a whole number from 1 to 100"),
                ));
            }
        }
    }
    let id = state.new_id("pr_");
    let now = state.now();
    let made_file = |file_name: &str, kind: Option<&str>, pages: Option<u32>| {
        super::object::named_file_summary(state.new_id("file_"), file_name, kind, pages, now)
    };
    let (file_name, file_object, page_count, text, marker_text) = match (url, file_id, text) {
        (None, None, Some(text)) => {
            if text.trim().is_empty() {
                return Err(invalid_field("file.text", "must not be empty"));
            }
            let file_name = name.unwrap_or_else(|| "raw_text.txt".to_owned());
            check_file_name(&file_name).map_err(|e| invalid_field("file.name", e))?;
            let object = made_file(&file_name, Some("TXT"), None);
            let marker = format!("{text} {file_name}");
            (file_name, object, 1, Some(clip_text(&text)), marker)
        }
        (Some(url), None, None) => {
            let file_name = match name {
                Some(name) => name,
                None => name_from_url(&url).ok_or_else(|| {
                    invalid_field(
                        "file.url",
                        format!("`{url}` is not an http(s) URL with a path"),
                    )
                })?,
            };
            check_file_name(&file_name).map_err(|e| invalid_field("file.name", e))?;
            let kind = detect_type(&file_name, b"").map(|t| t.as_str());
            // A paged file gets 1 to 6 pages, from its run's id.
            let paged = matches!(kind, Some("PDF" | "DOCX"));
            let pages = match paged {
                true => 1 + (id.bytes().map(u32::from).sum::<u32>() % 6),
                false => 1,
            };
            let object = made_file(&file_name, kind, paged.then_some(pages));
            let marker = format!("{url} {file_name}");
            (file_name, object, pages, None, marker)
        }
        (None, Some(file_id), None) => {
            let store = state.store();
            let stored = store
                .file(workspace_id, &file_id)
                .ok_or_else(|| ApiError::FileNotFound(file_id.clone()))?;
            let object = super::object::stored_file_summary(stored)?;
            let file_name = stored.name.clone();
            (
                file_name.clone(),
                object,
                stored.page_count,
                stored.text().map(clip_text),
                file_name,
            )
        }
        _ => {
            return Err(invalid_field(
                "file",
                match batch {
                    Some(_) => "give exactly one of `url`, `id` or `text`",
                    None => "give exactly one of `url` or `id`",
                },
            ));
        }
    };
    // A text's form feeds are its pages too.
    let page_count = text
        .as_deref()
        .map_or(page_count, |t| page_count.max(text_pages(t)));
    let base = state.settings.processing_time;
    let processed = |output: Option<Arc<JsonObject>>| Outcome::Processed {
        credits_thousandths: 1000 * u64::from(page_count.max(1)),
        output,
    };
    let failed = |reason: String, message: Option<String>| Outcome::Failed {
        message: message.unwrap_or_else(|| match reason.as_str() {
            r if r == DEFAULT_FAILURE.0 => DEFAULT_FAILURE.1.to_owned(),
            other => failure_message(other),
        }),
        reason,
    };
    let rule = || {
        let rules = state
            .rules
            .lock()
            .expect("a thread panicked holding the rules");
        // Rules that name a processor are for processor runs.
        rules.matching("", &file_name).map(|r| r.outcome())
    };
    let end = match Marker::find(&marker_text) {
        Some(Marker::Hold) => None,
        Some(Marker::Slow) => Some((base * 10, processed(None))),
        Some(Marker::Fail(reason)) => Some((
            base,
            failed(reason.unwrap_or_else(|| DEFAULT_FAILURE.0.to_owned()), None),
        )),
        None => match rule() {
            Some(RuleOutcome::Hold) => None,
            Some(RuleOutcome::Fail { reason, message }) => Some((base, failed(reason, message))),
            Some(RuleOutcome::Output(output)) => Some((base, processed(Some(Arc::new(output))))),
            None => Some((base, processed(None))),
        },
    };
    let run = ParseRun {
        id,
        workspace_id: workspace_id.to_owned(),
        status: RunStatus::Processing,
        file: file_object,
        file_name,
        page_count,
        text,
        config,
        metadata,
        source: match origin {
            Origin::Api => ParseRunSource::Api,
            Origin::Batch(_) => ParseRunSource::BatchParserRun,
            Origin::Workflow(_) => ParseRunSource::WorkflowRun,
        },
        source_id: match origin {
            Origin::Api => None,
            Origin::Batch(id) | Origin::Workflow(id) => Some(id.to_owned()),
        },
        batch_id: batch.map(str::to_owned),
        output: None,
        failure: None,
        credits: None,
        created_at: now,
        updated_at: now,
        ended_at: None,
    };
    Ok(PlannedParse { run, end })
}

/// Stores planned runs in one change of the store and schedules their
/// ends; their ids.
pub(crate) fn start(
    state: &AppState,
    workspace_id: &str,
    planned: Vec<PlannedParse>,
    also: impl FnOnce(&mut crate::store::Store),
) -> Vec<String> {
    let ids: Vec<String> = planned.iter().map(|p| p.run.id.clone()).collect();
    state.change_store(|store| {
        for PlannedParse { run, end } in planned {
            let id = run.id.clone();
            store.parse_runs.insert(run);
            if let Some((delay, outcome)) = end {
                state
                    .lifecycle
                    .schedule_parse(state.epoch(), workspace_id, &id, delay, outcome);
            }
        }
        also(store);
    });
    ids
}

/// `POST /parse_runs`: the run, `PROCESSING`, at once.
pub async fn create(
    Sandbox(state): Sandbox,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    let body: JsonObject = json_body(body)?;
    let planned = plan(&state, ws, &body, Origin::Api)?;
    let id = start(&state, ws, vec![planned], |_| {}).remove(0);
    tracing::debug!(key = %caller.key_name, workspace = %ws, run = %id, "created a parse run");
    answer(&state, ws, &id, None).map(Json)
}

/// `POST /parse`: the same run, answered once it has ended (with
/// `responseType` as for a retrieve); past `--sync-timeout` a 504 naming it.
pub async fn create_sync(
    Sandbox(state): Sandbox,
    caller: Caller,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    let url = response_type(raw.as_deref())?;
    let body: JsonObject = json_body(body)?;
    let planned = plan(&state, ws, &body, Origin::Api)?;
    let id = start(&state, ws, vec![planned], |_| {}).remove(0);
    super::until_ended(&state, &id, || {
        state
            .store()
            .parse_runs
            .get(ws, &id)
            .is_some_and(|r| r.status == RunStatus::Processing)
    })
    .await?;
    let base = crate::routes::files::base_url(&headers);
    answer(&state, ws, &id, url.then_some(base.as_str())).map(Json)
}

/// `GET /parse_runs/{id}?responseType=json|url`.
pub async fn retrieve(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let url = response_type(raw.as_deref())?;
    let base = crate::routes::files::base_url(&headers);
    answer(
        &state,
        &caller.workspace_id,
        &id,
        url.then_some(base.as_str()),
    )
    .map(Json)
}

/// `GET /parse_runs`: newest first, filtered, in signed pages.
pub async fn list(
    Sandbox(state): Sandbox,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let ws = caller.workspace_id.as_str();
    let page = state.list_page(ws, "parse_runs", raw.as_deref(), |store| {
        let query =
            parse_parse_run_query(raw.as_deref(), ws, &state.signer, state.settings.paging)?;
        let (page, more) = store.parse_runs.page(
            ws,
            &query.filters,
            query.paging.after.as_ref(),
            query.paging.page_size,
        );
        let mut out = json!({
            "object": "list",
            "data": page.iter().map(|r| summary(r)).collect::<Vec<_>>(),
        });
        if more && let Some(last) = page.last() {
            out["nextPageToken"] = json!(page_token(
                &state.signer,
                PagedResource::ParseRuns,
                ws,
                query.paging.order,
                query.fingerprint.clone(),
                Position {
                    at_nanos: last.created_at.unix_nanos(),
                    id: last.id.clone(),
                },
            ));
        }
        Ok(super::value_bytes(&out))
    })?;
    Ok(crate::http::json_response(page))
}

/// `POST /parse_runs/{id}/cancel`: a `PROCESSING` (or `PENDING`) run is
/// `CANCELLED` (the SDKs' enums are open; SPEC Part 6).
pub async fn cancel(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    cancel_run(&state, ws, &id)?;
    answer(&state, ws, &id, None).map(Json)
}

/// Cancels a `PROCESSING` or `PENDING` parse run (`CANCELLED`), and says so
/// to whoever waits on it (its batch, its workflow run).
pub(crate) fn cancel_run(state: &AppState, ws: &str, id: &str) -> Result<(), ApiError> {
    let now = state.now();
    state.change_store(|store| {
        let run = store
            .parse_runs
            .get_mut(ws, id)
            .ok_or_else(|| not_found(id))?;
        if !matches!(run.status, RunStatus::Processing | RunStatus::Pending) {
            return Err(ApiError::InvalidRequest(format!(
                "Parse run `{id}` is {}; only a PROCESSING or PENDING run can be cancelled",
                run.status
            )));
        }
        run.status = RunStatus::Cancelled;
        run.updated_at = now.max(run.updated_at);
        Ok(())
    })?;
    crate::webhooks::parse_run_cancelled(state, ws, id);
    Ok(())
}

/// `DELETE /parse_runs/{id}`: gone for good (a run in progress with it).
pub async fn delete(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    let removed = state
        .change_store(|store| store.parse_runs.remove(ws, &id))
        .ok_or_else(|| not_found(&id))?;
    // Its batch may have ended with it.
    if let Some(batch) = &removed.batch_id {
        crate::webhooks::batch_run_removed(&state, ws, batch);
    }
    // A workflow run's step made it: that step, and the run, stop.
    super::workflow_engine::step_ended(&state, ws, &id);
    Ok(Json(json!({ "id": id })))
}

/// `GET /_parse_output/{id}?expires=…&signature=…`: the output a
/// `responseType=url` retrieve links to, as JSON. No key, as with a real
/// presigned link; every link this server did not make leads to nothing.
pub async fn output(
    Sandbox(state): Sandbox,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let Some((expires, signature)) = crate::links::read_query(raw.as_deref()) else {
        return Err(ApiError::Forbidden(
            "An output link needs its `expires` and `signature`; get one from \
             GET /parse_runs/{id}?responseType=url"
                .into(),
        ));
    };
    let refused = || {
        ApiError::Missing(
            "This output link leads to nothing: it was changed, made by another server or \
             before a reset, or its run is gone; get a new one from \
             GET /parse_runs/{id}?responseType=url"
                .into(),
        )
    };
    let body = {
        let store = state.store();
        let run = store.parse_runs.by_id(&id).ok_or_else(refused)?;
        if !state
            .signer
            .verify_bytes(&link_scope(&state, run, expires).payload(), &signature)
        {
            return Err(refused());
        }
        serde_json::to_vec(&output_of(run)).expect("a Value always serializes")
    };
    if crate::links::expired(expires) {
        return Err(ApiError::Forbidden(
            "This output link has expired; get a new one from \
             GET /parse_runs/{id}?responseType=url"
                .into(),
        ));
    }
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// The parse run that read a processor run's file first (its
/// `parseRunId`), stored with the run: `PROCESSED` at once, of the run's
/// file (as its family shows it), its text, the default config, `source`
/// `DOCUMENT_PROCESSOR_RUN` and the run's id as `sourceId`.
pub(crate) fn add_companion(
    state: &AppState,
    store: &mut crate::store::Store,
    workspace_id: &str,
    run_id: &str,
) {
    let Some(parse_run) = ({
        let Ok(view) = store.get(workspace_id, run_id) else {
            return;
        };
        let Some(id) = view.details.and_then(|d| d.parse_run_id.clone()) else {
            return;
        };
        let object = super::object::run_object(store, workspace_id, &view, true);
        let file = match &object["file"] {
            Value::Object(file) => Some(file.clone()),
            _ => object["files"].get(0).and_then(Value::as_object).cloned(),
        };
        file.map(|file| {
            let text = view.details.and_then(|d| d.text.clone());
            let page_count = file
                .get("metadata")
                .and_then(|m| m.get("pageCount"))
                .and_then(Value::as_u64)
                .map_or(1, |p| u32::try_from(p).unwrap_or(u32::MAX).max(1))
                .max(text.as_deref().map_or(1, text_pages));
            let now = state.now();
            ParseRun {
                id,
                workspace_id: workspace_id.to_owned(),
                status: RunStatus::Processed,
                file_name: view.file_name.to_owned(),
                file,
                page_count,
                text,
                config: read_config(None).expect("the default config is valid"),
                metadata: None,
                source: ParseRunSource::DocumentProcessorRun,
                source_id: Some(run_id.to_owned()),
                batch_id: None,
                output: None,
                failure: None,
                credits: Some(f64::from(page_count)),
                created_at: now,
                updated_at: now,
                ended_at: Some(now),
            }
        })
    }) else {
        return;
    };
    store.parse_runs.insert(parse_run);
}

/// `parse_run_status`: what a `parse_run.*` event carries.
pub fn status_object(run: &ParseRun) -> Value {
    let (reason, message) = failure(run);
    json!({
        "object": "parse_run_status",
        "id": run.id,
        "status": run.status.as_str(),
        "failureReason": reason,
        "failureMessage": message,
        "metadata": run.metadata,
    })
}
