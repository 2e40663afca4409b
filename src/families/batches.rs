//! Batches: `POST /extract_runs/batch` (and `/classify_runs/batch`,
//! `/split_runs/batch`) makes one run per input, 1 to 1,000, each carrying
//! the batch's id, and answers a `BatchRun` at once; `GET /batch_runs/{id}`
//! reads the batch's state from its runs; the family's list filters by
//! `batchId`. A run of a batch is an ordinary run of its family (the same
//! create body, less what the batch gives once for all): the lifecycle ends
//! them from its one queue, no task per run.

use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::rejection::BytesRejection;
use serde_json::{Value, json};

use super::Family;
use super::runs::{object_field, read_create};
use crate::domain::{JsonObject, RunSource};
use crate::http::auth::Caller;
use crate::http::body::{REQUEST_BODY, invalid_field, json_body};
use crate::http::context::Sandbox;
use crate::http::error::ApiError;
use crate::routes::processor_runs::start_runs;
use crate::store::{Batch, Store};

/// The most inputs one batch takes, as the API documents.
pub const MAX_BATCH_INPUTS: usize = 1000;

/// `BatchRun`: `PENDING` when made, `PROCESSING` while any of its runs has
/// yet to end, `PROCESSED` once all have (failed and cancelled ones too).
pub fn batch_object(store: &Store, batch: &Batch, made: bool) -> Value {
    let status = match (made, store.batch_unfinished(batch)) {
        (true, _) => "PENDING",
        (false, true) => "PROCESSING",
        (false, false) => "PROCESSED",
    };
    json!({
        "object": "batch_run",
        "id": batch.id,
        "status": status,
        "runCount": batch.run_count,
        "createdAt": batch.created_at.to_rfc3339(),
    })
}

/// `inputs[3].` before a refusal that names an input's own field (its
/// `file`, `metadata`, a workflow input's `secrets`).
pub(super) fn at_input(i: usize, error: ApiError) -> ApiError {
    match error {
        ApiError::InvalidRequest(message) => {
            let prefix = format!("{REQUEST_BODY}: ");
            match message.strip_prefix(&prefix) {
                Some(rest)
                    if ["file", "metadata", "secrets"]
                        .iter()
                        .any(|k| rest.starts_with(k)) =>
                {
                    ApiError::InvalidRequest(format!("{prefix}inputs[{i}].{rest}"))
                }
                _ => ApiError::InvalidRequest(message),
            }
        }
        other => other,
    }
}

/// `POST /{family}/batch`: `{extractor, inputs: [{file, metadata?}], priority?}`.
pub async fn create(
    f: &'static Family,
    Sandbox(state): Sandbox,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    let body: JsonObject = json_body(body)?;
    // The processor is named once, for every run: required, and no inline
    // `config` (the API documents batches so).
    let Some(reference) = object_field(&body, f.processor_key, f.processor_key)? else {
        return Err(invalid_field(
            f.processor_key,
            "is required: a batch runs one processor, by reference (no inline `config`)",
        ));
    };
    if body.get("config").is_some_and(|c| !c.is_null()) {
        return Err(invalid_field(
            "config",
            format!("is not taken by a batch: give `{}`", f.processor_key),
        ));
    }
    let inputs = inputs(&body, "{file, metadata?}")?;
    let batch_id = state.new_id("bpr_");
    let mut requests = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        let Some(input) = input.as_object() else {
            return Err(invalid_field(&format!("inputs[{i}]"), "must be an object"));
        };
        // The family's own create body for this input: its refusals are
        // the family's, named by the input's index.
        let mut one = JsonObject::new();
        one.insert(f.processor_key.into(), Value::Object(reference.clone()));
        for key in ["file", "metadata"] {
            if let Some(value) = input.get(key) {
                one.insert(key.into(), value.clone());
            }
        }
        if let Some(priority) = body.get("priority") {
            one.insert("priority".into(), priority.clone());
        }
        let mut request = read_create(f, &state, ws, one).map_err(|e| at_input(i, e))?;
        request.source = Some((RunSource::BatchProcessorRun, batch_id.clone()));
        requests.push(request);
    }
    let batch = Batch {
        id: batch_id,
        workspace_id: ws.to_owned(),
        run_count: requests.len(),
        kind: Some(f.processor_type),
        processor_id: requests.first().map(|r| r.processor_id.clone()),
        created_at: state.now(),
        announced: false,
    };
    let answer = batch_object(&Store::default(), &batch, true);
    let kept = batch.clone();
    start_runs(&state, ws, requests, at_input, move |store, _| {
        store.add_batch(kept);
        Ok(())
    })?;
    tracing::debug!(
        key = %caller.key_name, workspace = %ws, batch = %batch.id, runs = batch.run_count,
        "created a batch"
    );
    Ok(Json(answer))
}

/// `POST /parse_runs/batch`: `{inputs: [{file, metadata?}], config?,
/// priority?}`: one parse run per input, the config for all.
pub async fn create_parse(
    Sandbox(state): Sandbox,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    let body: JsonObject = json_body(body)?;
    let inputs = inputs(&body, "{file, metadata?}")?;
    let batch_id = state.new_id("bpr_");
    let mut planned = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        let Some(input) = input.as_object() else {
            return Err(invalid_field(&format!("inputs[{i}]"), "must be an object"));
        };
        let mut one = JsonObject::new();
        for key in ["file", "metadata"] {
            if let Some(value) = input.get(key) {
                one.insert(key.into(), value.clone());
            }
        }
        for key in ["config", "priority"] {
            if let Some(value) = body.get(key) {
                one.insert(key.into(), value.clone());
            }
        }
        planned.push(
            super::parse::plan(&state, ws, &one, super::parse::Origin::Batch(&batch_id))
                .map_err(|e| at_input(i, e))?,
        );
    }
    let batch = Batch {
        id: batch_id,
        workspace_id: ws.to_owned(),
        run_count: planned.len(),
        kind: None,
        processor_id: None,
        created_at: state.now(),
        announced: false,
    };
    let answer = batch_object(&Store::default(), &batch, true);
    let kept = batch.clone();
    super::parse::start(&state, ws, planned, move |store| store.add_batch(kept));
    tracing::debug!(
        key = %caller.key_name, workspace = %ws, batch = %batch.id, runs = batch.run_count,
        "created a parse batch"
    );
    Ok(Json(answer))
}

/// A batch body's `inputs`: 1 to 1,000, each `shape`.
pub(super) fn inputs<'b>(body: &'b JsonObject, shape: &str) -> Result<&'b Vec<Value>, ApiError> {
    body.get("inputs")
        .and_then(Value::as_array)
        .filter(|inputs| (1..=MAX_BATCH_INPUTS).contains(&inputs.len()))
        .ok_or_else(|| {
            invalid_field(
                "inputs",
                format!("is required: 1 to {MAX_BATCH_INPUTS} inputs, each `{shape}`"),
            )
        })
}

/// `GET /batch_runs/{id}`: a batch of the workspace; any other is the 404
/// of a missing one.
pub async fn retrieve(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let store = state.store();
    let batch = store
        .batch(&caller.workspace_id, &id)
        .ok_or_else(|| ApiError::Missing(format!("Batch run `{id}` not found")))?;
    Ok(Json(batch_object(&store, batch, false)))
}
