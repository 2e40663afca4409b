//! Workflow runs: `/workflow_runs` (list, create, retrieve, update, cancel,
//! delete) and `POST /workflow_runs/batch`. A run is made `PROCESSING` and
//! handed to `workflow_engine`, which runs its version's steps; the objects
//! here show it as the SDKs' `WorkflowRun` / `WorkflowRunSummary`, its step
//! runs carrying the runs their steps made, as those runs are now.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery};
use serde_json::{Map, Value, json};

use super::runs::{object_field, string_field};
use super::workflow_engine;
use super::workflows::{version_object, workflow_summary};
use crate::domain::{
    JsonObject, PagedResource, StoredFile, Timestamp, WorkflowRunStatus, check_file_name,
    detect_type,
};
use crate::http::auth::Caller;
use crate::http::body::{invalid_field, json_body};
use crate::http::context::Sandbox;
use crate::http::error::ApiError;
use crate::http::query::{TableList, enum_value, id_value, parse_table_query};
use crate::routes::processor_runs::{check_priority, clean_metadata, name_from_url};
use crate::state::AppState;
use crate::store::Store;
use crate::store::workflows::{StepRun, StepTarget, WorkflowRun};

/// The most runs of other families one workflow batch may make: its
/// inputs times its version's steps that make a run.
pub const MAX_BATCH_STEP_RUNS: usize = 20_000;

/// The most files a `package` may have, and the fewest.
const PACKAGE_FILES: std::ops::RangeInclusive<usize> = 2..=50;

fn not_found(id: &str) -> ApiError {
    ApiError::Missing(format!("Workflow run `{id}` not found"))
}

use super::object::{time, time_or_null};

/// A step run's `result`: the run its step made, as its family shows it
/// now; a pass-through's made-up result; `null` before there is one.
fn step_result(state: &AppState, store: &Store, run: &WorkflowRun, step: &StepRun) -> Value {
    let ws = run.workspace_id.as_str();
    match &step.target {
        StepTarget::Parse(id) => store.parse_runs.get(ws, id).map_or(
            Value::Null,
            |p| json!({ "parseRun": super::parse::run_object(state, p, None) }),
        ),
        StepTarget::Processor(id) => match store.get(ws, id) {
            Ok(view) => {
                let object = super::object::run_object(store, ws, &view, false);
                let key = match object["object"].as_str() {
                    Some("classify_run") => "classifyRun",
                    Some("split_run") => "splitRun",
                    _ => "extractRun",
                };
                json!({ key: object })
            }
            Err(_) => Value::Null,
        },
        StepTarget::None => step.result.clone().unwrap_or(Value::Null),
    }
}

/// `StepRun`.
pub fn step_run_object(
    state: &AppState,
    store: &Store,
    run: &WorkflowRun,
    step: &StepRun,
) -> Value {
    json!({
        "object": "workflow_step_run",
        "id": step.id,
        "stepType": step.step_type,
        "workflowRunId": run.id,
        "status": step.status.as_str(),
        "files": run.files,
        "step": {
            "object": "workflow_step",
            "id": step.step_id,
            "name": step.step_name,
            "type": step.step_type,
        },
        "result": step_result(state, store, run, step),
    })
}

/// The credits of the runs the steps made: `RunUsage` (with its
/// breakdown) or the list's `RunUsageSummary`; `null` before any.
fn usage(store: &Store, run: &WorkflowRun, breakdown: bool) -> Value {
    let ws = run.workspace_id.as_str();
    let mut items = Vec::new();
    let mut total = 0.0;
    for step in &run.step_runs {
        let (object, id, credits) = match &step.target {
            StepTarget::Parse(id) => (
                "parse_run",
                id,
                store.parse_runs.get(ws, id).and_then(|p| p.credits),
            ),
            StepTarget::Processor(id) => {
                let credits = store.get(ws, id).ok().and_then(|v| v.credits);
                let object = match step.step_type.as_str() {
                    "CLASSIFY" => "classify_run",
                    "SPLIT" => "split_run",
                    _ => "extract_run",
                };
                (object, id, credits)
            }
            StepTarget::None => continue,
        };
        if let Some(credits) = credits {
            total += credits;
            items.push(json!({ "object": object, "id": id, "credits": credits }));
        }
    }
    if items.is_empty() {
        return Value::Null;
    }
    let mut out = json!({ "credits": total, "totalCredits": total });
    if breakdown {
        out["breakdown"] = Value::Array(items);
    }
    out
}

fn dashboard_url(id: &str) -> String {
    format!("https://dashboard.extend.ai/workflows/{id}")
}

/// The workflow and version summaries of a run.
fn workflow_parts(store: &Store, run: &WorkflowRun) -> (Value, Value) {
    let workflow = store
        .workflows
        .workflows
        .get(&run.workspace_id, &run.workflow_id);
    let version = workflow.and_then(|w| w.version(&run.version_id));
    (
        workflow.map_or(Value::Null, workflow_summary),
        version.map_or(Value::Null, |v| version_object(v, false)),
    )
}

/// `WorkflowRun`: what create, retrieve, update, cancel and the
/// `workflow_run.*` events answer.
pub fn run_object(state: &AppState, store: &Store, run: &WorkflowRun) -> Value {
    let (workflow, version) = workflow_parts(store, run);
    let (reason, message) = match &run.failure {
        Some((reason, message)) => (json!(reason), json!(message)),
        None => (Value::Null, Value::Null),
    };
    let mut out = Map::new();
    out.insert("object".into(), json!("workflow_run"));
    out.insert("id".into(), json!(run.id));
    out.insert("workflow".into(), workflow);
    out.insert("workflowVersion".into(), version);
    out.insert("dashboardUrl".into(), json!(dashboard_url(&run.id)));
    out.insert("status".into(), json!(run.status.as_str()));
    out.insert("metadata".into(), Value::Object(run.metadata.clone()));
    out.insert("batchId".into(), json!(run.batch_id));
    out.insert("files".into(), json!(run.files));
    out.insert("failureReason".into(), reason);
    out.insert("failureMessage".into(), message);
    out.insert("initialRunAt".into(), time_or_null(run.start_time));
    out.insert("reviewedByUser".into(), json!(run.reviewed_by));
    out.insert("reviewed".into(), json!(run.reviewed));
    out.insert("rejectionNote".into(), json!(run.rejection_note));
    out.insert("reviewedAt".into(), time_or_null(run.reviewed_at));
    out.insert("startTime".into(), time_or_null(run.start_time));
    out.insert("endTime".into(), time_or_null(run.end_time));
    out.insert(
        "stepRuns".into(),
        Value::Array(
            run.step_runs
                .iter()
                .map(|s| step_run_object(state, store, run, s))
                .collect(),
        ),
    );
    out.insert("usage".into(), usage(store, run, true));
    Value::Object(out)
}

/// `WorkflowRunSummary`.
fn summary(store: &Store, run: &WorkflowRun) -> Value {
    let (workflow, version) = workflow_parts(store, run);
    json!({
        "object": "workflow_run",
        "id": run.id,
        "status": run.status.as_str(),
        "workflow": workflow,
        "workflowVersion": version,
        "dashboardUrl": dashboard_url(&run.id),
        "reviewedByUser": run.reviewed_by,
        "reviewedAt": time_or_null(run.reviewed_at),
        "initialRunAt": time_or_null(run.start_time),
        "startTime": time_or_null(run.start_time),
        "endTime": time_or_null(run.end_time),
        "batchId": run.batch_id,
        "rejectionNote": run.rejection_note,
        "files": run.files,
        "createdAt": time(run.created_at),
        "updatedAt": time(run.updated_at),
        "usage": usage(store, run, false),
    })
}

/// The run as its routes answer it.
fn answer(state: &AppState, workspace_id: &str, id: &str) -> Result<Value, ApiError> {
    let store = state.store();
    let run = store
        .workflows
        .runs
        .get(workspace_id, id)
        .ok_or_else(|| not_found(id))?;
    Ok(run_object(state, &store, run))
}

/// A run read from a create body (or a batch's input), before it is stored.
struct Planned {
    run: WorkflowRun,
    /// A text input, kept as a file of the file store.
    text_file: Option<StoredFile>,
}

/// A body's workflow reference: the workflow's id, the version's, and the
/// version's steps as they are now (what the run runs).
type Reference = (String, String, std::sync::Arc<Vec<JsonObject>>);

/// The workflow reference of a body.
fn read_reference(
    store: &Store,
    workspace_id: &str,
    body: &JsonObject,
) -> Result<Reference, ApiError> {
    let reference = object_field(body, "workflow", "workflow")?
        .ok_or_else(|| invalid_field("workflow", "is required: `{id, version?}`"))?;
    let id = string_field(reference, "id", "workflow.id")?
        .ok_or_else(|| invalid_field("workflow.id", "is required"))?;
    let version = string_field(reference, "version", "workflow.version")?;
    let workflow = store
        .workflows
        .workflows
        .get(workspace_id, &id)
        .ok_or_else(|| ApiError::Missing(format!("Workflow `{id}` not found")))?;
    let chosen = match version.as_deref() {
        None | Some("latest") => Some(workflow.latest()),
        Some(v) => workflow.version(v),
    }
    .ok_or_else(|| {
        ApiError::Missing(format!(
            "Workflow `{id}` has no version `{}`",
            version.unwrap_or_default()
        ))
    })?;
    Ok((id, chosen.id.clone(), std::sync::Arc::clone(&chosen.steps)))
}

/// A `FileSummary` made for an input given by URL.
fn url_file(state: &AppState, name: &str, now: Timestamp) -> JsonObject {
    let kind = detect_type(name, b"").map(|t| t.as_str());
    super::object::named_file_summary(state.new_id("file_"), name, kind, None, now)
}

/// One file input (`{url, name?}`, `{id}`, `{text, name?}`): what each
/// step is given, its summary, and a text's new file.
fn read_file_input(
    state: &AppState,
    workspace_id: &str,
    file: &JsonObject,
    at: &str,
    text_allowed: bool,
    now: Timestamp,
) -> Result<(JsonObject, JsonObject, Option<StoredFile>), ApiError> {
    let url = string_field(file, "url", &format!("{at}.url"))?;
    let id = string_field(file, "id", &format!("{at}.id"))?;
    let text = string_field(file, "text", &format!("{at}.text"))?;
    let name = string_field(file, "name", &format!("{at}.name"))?;
    match (url, id, text) {
        (Some(url), None, None) => {
            let name = match name {
                Some(name) => name,
                None => name_from_url(&url).ok_or_else(|| {
                    invalid_field(
                        &format!("{at}.url"),
                        format!("`{url}` is not an http(s) URL with a path"),
                    )
                })?,
            };
            check_file_name(&name).map_err(|e| invalid_field(&format!("{at}.name"), e))?;
            let summary = url_file(state, &name, now);
            Ok((
                json_object(json!({"url": url, "name": name})),
                summary,
                None,
            ))
        }
        (None, Some(id), None) => {
            let store = state.store();
            let stored = store
                .file(workspace_id, &id)
                .ok_or_else(|| ApiError::FileNotFound(id.clone()))?;
            Ok((
                json_object(json!({"id": id})),
                super::object::stored_file_summary(stored)?,
                None,
            ))
        }
        (None, None, Some(text)) if text_allowed => {
            if text.trim().is_empty() {
                return Err(invalid_field(&format!("{at}.text"), "must not be empty"));
            }
            let name = name.unwrap_or_else(|| "raw_text.txt".to_owned());
            check_file_name(&name).map_err(|e| invalid_field(&format!("{at}.name"), e))?;
            let file = StoredFile::new(
                state.new_id("file_"),
                workspace_id.to_owned(),
                name,
                Bytes::from(text.into_bytes()),
                now,
            );
            let summary = super::object::stored_file_summary(&file)?;
            Ok((json_object(json!({"id": file.id})), summary, Some(file)))
        }
        _ => Err(invalid_field(
            at,
            match text_allowed {
                true => "give exactly one of `url`, `id` or `text`",
                false => "give exactly one of `url` or `id`",
            },
        )),
    }
}

fn json_object(value: Value) -> JsonObject {
    match value {
        Value::Object(object) => object,
        _ => JsonObject::new(),
    }
}

/// `outputs`: `[{processorId, output}]`, each output as its family's
/// run shows it.
fn read_outputs(
    store: &Store,
    workspace_id: &str,
    body: &JsonObject,
) -> Result<Vec<(String, JsonObject)>, ApiError> {
    let Some(outputs) = body.get("outputs").filter(|o| !o.is_null()) else {
        return Ok(Vec::new());
    };
    let Some(outputs) = outputs.as_array() else {
        return Err(invalid_field(
            "outputs",
            "must be an array of `{processorId, output}`",
        ));
    };
    let mut kept = Vec::with_capacity(outputs.len());
    for (i, entry) in outputs.iter().enumerate() {
        let at = format!("outputs[{i}]");
        let Some(entry) = entry.as_object() else {
            return Err(invalid_field(
                &at,
                "must be an object `{processorId, output}`",
            ));
        };
        let processor_id = string_field(entry, "processorId", &format!("{at}.processorId"))?
            .ok_or_else(|| invalid_field(&format!("{at}.processorId"), "is required"))?;
        let output = object_field(entry, "output", &format!("{at}.output"))?
            .ok_or_else(|| invalid_field(&format!("{at}.output"), "is required"))?;
        let processor = store
            .processor(workspace_id, &processor_id)
            .filter(|p| !p.inline)
            .ok_or_else(|| {
                invalid_field(
                    &format!("{at}.processorId"),
                    format!(
                        "no extractor, classifier or splitter `{processorId}` in this workspace",
                        processorId = processor_id
                    ),
                )
            })?;
        let given = match processor.processor_type {
            crate::domain::ProcessorType::Extract => {
                let value = match output.get("value") {
                    None | Some(Value::Null) => json!({}),
                    Some(Value::Object(v)) => Value::Object(v.clone()),
                    Some(_) => {
                        return Err(invalid_field(
                            &format!("{at}.output.value"),
                            "must be an object",
                        ));
                    }
                };
                json!({ "value": value, "metadata": {} })
            }
            crate::domain::ProcessorType::Classify => {
                let id = string_field(output, "id", &format!("{at}.output.id"))?;
                let kind = string_field(output, "type", &format!("{at}.output.type"))?;
                let (Some(id), Some(kind)) = (id, kind) else {
                    return Err(invalid_field(
                        &format!("{at}.output"),
                        "a classifier's output is `{id, type}`",
                    ));
                };
                json!({ "id": id, "type": kind, "confidence": 1.0, "insights": [] })
            }
            crate::domain::ProcessorType::Splitter => {
                let Some(Value::Array(splits)) = output.get("splits") else {
                    return Err(invalid_field(
                        &format!("{at}.output.splits"),
                        "a splitter's output is `{splits: [{classificationId, type, startPage, endPage}]}`",
                    ));
                };
                json!({ "splits": splits })
            }
        };
        let given = json_object(given);
        // What the step's run will answer: it must be its family's output.
        crate::openapi::check_output(Some(processor.processor_type), &given)
            .map_err(|e| invalid_field(&format!("{at}.output"), e))?;
        kept.push((processor_id, given));
    }
    Ok(kept)
}

/// Reads a run's input and options; nothing is stored.
fn plan(
    state: &AppState,
    workspace_id: &str,
    body: &JsonObject,
    reference: &Reference,
    batch: Option<&str>,
) -> Result<Planned, ApiError> {
    let now = state.now();
    let file = object_field(body, "file", "file")?;
    let package = body.get("package").filter(|p| !p.is_null());
    let (input, files, text_file) = match (file, package) {
        (Some(_), Some(_)) => {
            return Err(invalid_field("file", "give `file` or `package`, not both"));
        }
        (None, None) => {
            return Err(invalid_field(
                "file",
                "one of `file` or `package` is required",
            ));
        }
        (Some(file), None) => {
            let (given, summary, text) =
                read_file_input(state, workspace_id, file, "file", true, now)?;
            let mut input = JsonObject::new();
            input.insert("file".into(), Value::Object(given));
            (input, vec![summary], text)
        }
        (None, Some(package)) => {
            if batch.is_some() {
                return Err(invalid_field("package", "is not taken by a batch's input"));
            }
            let list = package
                .get("files")
                .and_then(Value::as_array)
                .filter(|f| PACKAGE_FILES.contains(&f.len()))
                .ok_or_else(|| {
                    invalid_field(
                        "package.files",
                        format!(
                            "is required: {} to {} files, each `{{url}}` or `{{id}}`",
                            PACKAGE_FILES.start(),
                            PACKAGE_FILES.end()
                        ),
                    )
                })?;
            let mut given = Vec::with_capacity(list.len());
            let mut summaries = Vec::with_capacity(list.len());
            for (i, file) in list.iter().enumerate() {
                let at = format!("package.files[{i}]");
                let file = file
                    .as_object()
                    .ok_or_else(|| invalid_field(&at, "must be an object"))?;
                let (one, summary, _) =
                    read_file_input(state, workspace_id, file, &at, false, now)?;
                if given.contains(&Value::Object(one.clone())) {
                    return Err(invalid_field(&at, "is given twice in the package"));
                }
                given.push(Value::Object(one));
                summaries.push(summary);
            }
            let mut input = JsonObject::new();
            input.insert("package".into(), json!({ "files": given }));
            (input, summaries, None)
        }
    };
    let outputs = read_outputs(&state.store(), workspace_id, body)?;
    if !outputs.is_empty() && package.is_some() {
        return Err(invalid_field(
            "outputs",
            "are not taken by a run of a `package`",
        ));
    }
    let metadata = match body.get("metadata").filter(|m| !m.is_null()) {
        None => JsonObject::new(),
        Some(Value::Object(m)) => clean_metadata(m.clone())?,
        Some(_) => return Err(invalid_field("metadata", "must be an object")),
    };
    // Secrets are for the steps; none is kept or shown.
    if let Some(secrets) = body.get("secrets").filter(|s| !s.is_null())
        && !secrets.is_object()
    {
        return Err(invalid_field("secrets", "must be an object"));
    }
    let priority = match body.get("priority").filter(|p| !p.is_null()) {
        None => None,
        Some(Value::Number(n)) => {
            check_priority(Some(n))?;
            Some(n.clone())
        }
        Some(other) => {
            return Err(invalid_field(
                "priority",
                format!("`{other}` is not a whole number from 1 to 100"),
            ));
        }
    };
    let file_names = files
        .iter()
        .filter_map(|f| f.get("name").and_then(Value::as_str))
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("\n");
    let run = WorkflowRun {
        id: state.new_id("workflow_run_"),
        workspace_id: workspace_id.to_owned(),
        workflow_id: reference.0.clone(),
        version_id: reference.1.clone(),
        steps: std::sync::Arc::clone(&reference.2),
        name: None,
        status: WorkflowRunStatus::Processing,
        metadata,
        batch_id: batch.map(str::to_owned),
        priority,
        input,
        files,
        file_names,
        outputs,
        failure: None,
        reviewed: false,
        reviewed_by: None,
        reviewed_at: None,
        rejection_note: None,
        start_time: Some(now),
        end_time: None,
        step_runs: Vec::new(),
        reached: Vec::new(),
        review_steps: Vec::new(),
        created_at: now,
        updated_at: now,
    };
    Ok(Planned { run, text_file })
}

/// Stores planned runs (and their text files) in one change, then starts
/// each.
fn store_and_begin(
    state: &AppState,
    workspace_id: &str,
    planned: Vec<Planned>,
) -> Result<Vec<String>, ApiError> {
    let ids: Vec<String> = planned.iter().map(|p| p.run.id.clone()).collect();
    let limits = state.settings.file_limits;
    state.change_store(|store| {
        // All the text files fit, or none is kept.
        let sizes: Vec<usize> = planned
            .iter()
            .filter_map(|p| p.text_file.as_ref().map(|f| f.content.len()))
            .collect();
        let total = store.total_file_bytes() + sizes.iter().sum::<usize>();
        if sizes.iter().any(|s| *s > limits.max_file_bytes) || total > limits.max_total_bytes {
            return Err(ApiError::InvalidRequest(format!(
                "the texts given are {} bytes as files; this server takes files of at most {} \
                 bytes (--max-file-size) and {} in all (--max-files-size)",
                sizes.iter().sum::<usize>(),
                limits.max_file_bytes,
                limits.max_total_bytes
            )));
        }
        for file in planned.iter().filter_map(|p| p.text_file.clone()) {
            store
                .add_file(file, None)
                .map_err(|e| ApiError::Internal(e.into()))?;
        }
        for Planned { run, .. } in planned {
            store.workflows.runs.insert(run);
        }
        Ok::<_, ApiError>(())
    })?;
    for id in &ids {
        workflow_engine::begin(state, workspace_id, id);
    }
    Ok(ids)
}

/// `POST /workflow_runs`.
pub async fn create(
    Sandbox(state): Sandbox,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    let body: JsonObject = json_body(body)?;
    let reference = read_reference(&state.store(), ws, &body)?;
    let planned = plan(&state, ws, &body, &reference, None)?;
    let id = planned.run.id.clone();
    store_and_begin(&state, ws, vec![planned])?;
    tracing::debug!(key = %caller.key_name, workspace = %ws, run = %id, "created a workflow run");
    answer(&state, ws, &id).map(Json)
}

/// `POST /workflow_runs/batch`: `{workflow, inputs: [{file, metadata?,
/// secrets?}], priority?}`: one run per input; `{batchId}`.
pub async fn create_batch(
    Sandbox(state): Sandbox,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    let body: JsonObject = json_body(body)?;
    let reference = read_reference(&state.store(), ws, &body)?;
    let inputs = super::batches::inputs(&body, "{file, metadata?, secrets?}")?;
    let run_steps = reference
        .2
        .iter()
        .filter(|s| {
            s.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| super::workflows::RUN_STEPS.contains(&t))
        })
        .count();
    if inputs.len() * run_steps > MAX_BATCH_STEP_RUNS {
        return Err(invalid_field(
            "inputs",
            format!(
                "{} inputs of a workflow with {run_steps} steps that make runs could make {} runs; \
                 a batch may make at most {MAX_BATCH_STEP_RUNS}: send fewer inputs at a time",
                inputs.len(),
                inputs.len() * run_steps
            ),
        ));
    }
    let batch_id = state.new_id("batch_");
    let mut planned = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        let Some(input) = input.as_object() else {
            return Err(invalid_field(&format!("inputs[{i}]"), "must be an object"));
        };
        let mut one = JsonObject::new();
        for key in ["file", "metadata", "secrets"] {
            if let Some(value) = input.get(key) {
                one.insert(key.into(), value.clone());
            }
        }
        if let Some(priority) = body.get("priority") {
            one.insert("priority".into(), priority.clone());
        }
        planned.push(
            plan(&state, ws, &one, &reference, Some(&batch_id))
                .map_err(|e| super::batches::at_input(i, e))?,
        );
    }
    let count = planned.len();
    store_and_begin(&state, ws, planned)?;
    tracing::debug!(key = %caller.key_name, workspace = %ws, batch = %batch_id, runs = count, "created a workflow batch");
    Ok(Json(json!({ "batchId": batch_id })))
}

/// `GET /workflow_runs/{id}`.
pub async fn retrieve(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    answer(&state, &caller.workspace_id, &id).map(Json)
}

/// `POST /workflow_runs/{id}`: `{name?, metadata?}`, the metadata merged
/// into the run's (the given keys win).
pub async fn update(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    let body: JsonObject = json_body(body)?;
    let name = string_field(&body, "name", "name")?;
    let metadata = object_field(&body, "metadata", "metadata")?.cloned();
    let now = state.now();
    state.change_store(|store| {
        let run = store
            .workflows
            .runs
            .get_mut(ws, &id)
            .ok_or_else(|| not_found(&id))?;
        let merged = match metadata {
            Some(given) => {
                let mut merged = run.metadata.clone();
                merged.extend(given);
                Some(clean_metadata(merged)?)
            }
            None => None,
        };
        if let Some(name) = name {
            run.name = Some(name);
        }
        if let Some(merged) = merged {
            run.metadata = merged;
        }
        run.updated_at = now.max(run.updated_at);
        Ok::<_, ApiError>(())
    })?;
    answer(&state, ws, &id).map(Json)
}

/// `POST /workflow_runs/{id}/cancel`: a `PENDING` or `PROCESSING` run is
/// `CANCELLED`, and so are its unfinished steps and the runs they made.
pub async fn cancel(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    workflow_engine::stop(&state, ws, &id, None).map_err(|status| match status {
        None => not_found(&id),
        Some(status) => ApiError::InvalidRequest(format!(
            "Workflow run `{id}` is {status}; only a PENDING or PROCESSING run can be cancelled"
        )),
    })?;
    tracing::debug!(key = %caller.key_name, workspace = %ws, run = %id, "cancelled a workflow run");
    answer(&state, ws, &id).map(Json)
}

/// `DELETE /workflow_runs/{id}`: for good; the runs its unfinished steps
/// made are cancelled, the others kept.
pub async fn delete(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    let targets = state.change_store(|store| {
        let mut run = store
            .workflows
            .runs
            .remove(ws, &id)
            .ok_or_else(|| not_found(&id))?;
        for step in &run.step_runs {
            if let StepTarget::Parse(t) | StepTarget::Processor(t) = &step.target {
                store.workflows.by_target.remove(t);
            }
        }
        Ok::<_, ApiError>(workflow_engine::stop_steps(&mut run))
    })?;
    workflow_engine::cancel_targets(&state, ws, targets);
    tracing::debug!(key = %caller.key_name, workspace = %ws, run = %id, "deleted a workflow run");
    Ok(Json(json!({ "id": id })))
}

/// `GET /workflow_runs`: filtered by `status`, `workflowId`, `batchId`,
/// `fileNameContains`; by `createdAt` or `updatedAt`, in pages.
pub async fn list(
    Sandbox(state): Sandbox,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<axum::response::Response, ApiError> {
    let ws = caller.workspace_id.as_str();
    let page = state.list_page(ws, "workflow_runs", raw.as_deref(), |store| {
        let mut query = parse_table_query(
            raw.as_deref(),
            TableList {
                resource: PagedResource::WorkflowRuns,
                filters: &["status", "workflowId", "batchId", "fileNameContains"],
                scope: None,
                with_sort_by: true,
            },
            ws,
            &state.signer,
            state.settings.paging,
        )?;
        let status = enum_value("status", query.filters[0].take(), WorkflowRunStatus::parse)?;
        let workflow_id = id_value("workflowId", query.filters[1].take())?;
        let batch_id = id_value("batchId", query.filters[2].take())?;
        let contains = query.filters[3].take().map(|c| c.to_lowercase());
        let matching: Vec<&WorkflowRun> = store
            .workflows
            .runs
            .in_workspace(ws)
            .filter(|r| status.is_none_or(|s| r.status == s))
            .filter(|r| workflow_id.as_ref().is_none_or(|w| &r.workflow_id == w))
            .filter(|r| {
                batch_id
                    .as_ref()
                    .is_none_or(|b| r.batch_id.as_ref() == Some(b))
            })
            .filter(|r| {
                contains
                    .as_ref()
                    .is_none_or(|c| r.file_names.contains(c.as_str()))
            })
            .collect();
        let page = super::table_page(
            &state,
            ws,
            &query,
            matching,
            |r: &WorkflowRun, by| (by.of(r.created_at, r.updated_at), r.id.as_str()),
            |r| summary(store, r),
        );
        Ok(super::value_bytes(&page))
    })?;
    Ok(crate::http::json_response(page))
}
