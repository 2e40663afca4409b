//! The processor-run resource: `GET /processor_runs` (the list),
//! `GET /processor_runs/{id}` (the full run) and `DELETE /processor_runs/{id}`,
//! each also under the legacy `/v1` prefix.

use std::sync::Arc;

use bytes::Bytes;

use std::time::Duration;

use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery};
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

use crate::configs::check_config;
use crate::domain::{
    DRAFT, JsonObject, Processor, ProcessorRun, RunDetails, RunId, RunSource, RunStatus,
    check_file_name, clip_text,
};
use crate::full_run::full_run;
use crate::http::auth::Caller;
use crate::http::body::{invalid_field, json_body};
use crate::http::context::Sandbox;
use crate::http::error::ApiError;
use crate::http::json_response;
use crate::http::query::{next_page_token, parse_list_query};
use crate::http::wire::catalogue::write_file_summary;
use crate::http::wire::full::{FULL_RUN_BYTES, write_full_run};
use crate::http::wire::json;
use crate::http::wire::summary::{SUMMARY_BYTES, write_summaries};
use crate::lifecycle::{
    CURRENT_DEFAULT_FAILURE, DEFAULT_FAILURE, Marker, Outcome, failure_message,
};
use crate::rules::RuleOutcome;
use crate::state::AppState;
use crate::store::{PageRequest, RunChange, StoreError};

/// The message the API answers a delete with.
pub const DELETED_MESSAGE: &str = "Document processor run data has been successfully deleted.";

/// Every way the store can refuse a run look-up is a 404 to the caller.
fn not_found(err: StoreError, id: &str) -> ApiError {
    match err {
        StoreError::RunNotFound(_) => ApiError::RunNotFound(id.to_owned()),
        other => ApiError::Internal(other.into()),
    }
}

/// `caller` comes before the query, so a bad key or version is reported before
/// a bad parameter: axum runs extractors in argument order.
pub async fn list(
    Sandbox(state): Sandbox,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    // A page already written from the store as it is (see `body_cache`), or
    // written now under the read lock, straight from the store, into one
    // buffer sized for the page.
    let ws = caller.workspace_id.as_str();
    let body = state.list_page(ws, "processor_runs", raw.as_deref(), |store| {
        let query = parse_list_query(raw.as_deref(), ws, &state.signer, state.settings.paging)?;
        let page = store.page(
            ws,
            &PageRequest {
                filters: &query.filters,
                order: query.order,
                after: query.after.as_ref(),
                limit: query.page_size,
            },
        );
        let mut body = Vec::with_capacity(page.len() * SUMMARY_BYTES + 512);
        body.extend_from_slice(b"{\"success\":true,\"processorRuns\":");
        write_summaries(page.runs(), &mut body);
        if page.has_more
            && let Some(position) = page.last_position(query.order.by)
        {
            let token = next_page_token(&state.signer, ws, &query, position);
            body.extend_from_slice(b",\"nextPageToken\":");
            json::write_str(&mut body, &token);
        }
        body.push(b'}');
        tracing::debug!(key = %caller.key_name, workspace = ws, "listed runs");
        Ok(body)
    })?;
    Ok(json_response(body))
}

/// `{"success":true,"processorRun":…}` for a run of the workspace, from the
/// store as it is (read lock held while writing).
pub fn full_run_body(state: &AppState, workspace_id: &str, id: &str) -> Result<Bytes, ApiError> {
    let store = state.store();
    let run = store.get(workspace_id, id).map_err(|e| not_found(e, id))?;
    // Looked up only once the workspace check has passed.
    if let Some(body) = state.full_runs.get(id) {
        return Ok(body);
    }
    let (kind, config) = store.run_processor(workspace_id, &run);
    let mut body = Vec::with_capacity(FULL_RUN_BYTES);
    body.extend_from_slice(b"{\"success\":true,\"processorRun\":");
    write_full_run(&full_run(&run, kind, config), &mut body);
    body.push(b'}');
    let body = Bytes::from(body);
    state.full_runs.put(id, body.clone());
    Ok(body)
}

/// The full run, derived on read where the store holds no pinned fields.
pub async fn get(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    full_run_body(&state, &caller.workspace_id, &id).map(json_response)
}

/// Deletes for good: the run leaves every list, page walk and export until
/// `POST /_mock/reset` rebuilds the start-up state.
pub async fn delete(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    state
        .remove_run(&caller.workspace_id, &id)
        .map_err(|e| not_found(e, &id))?;
    tracing::debug!(key = %caller.key_name, workspace = %caller.workspace_id, run = %id, "deleted run");
    let body = serde_json::json!({
        "success": true,
        "documentProcessorRunId": id,
        "message": DELETED_MESSAGE,
    });
    Ok(json_response(body.to_string().into_bytes()))
}

/// `POST /processor_runs`, as the SDKs send it. Python sends `null` for what
/// it leaves out: read as absent.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateRun {
    pub(crate) processor_id: String,
    pub(crate) version: Option<String>,
    pub(crate) file: Option<FileInput>,
    pub(crate) raw_text: Option<String>,
    /// The name a text input's file gets (the current API's `{text, name}`);
    /// `raw_text.txt` when none.
    #[serde(skip)]
    pub(crate) text_name: Option<String>,
    pub(crate) sync: Option<bool>,
    /// Checked (a whole number from 1 to 100, as the API documents) and
    /// otherwise unused: nothing here queues.
    pub(crate) priority: Option<serde_json::Number>,
    pub(crate) metadata: Option<JsonObject>,
    pub(crate) config: Option<JsonObject>,
    /// A run with an inline config: its workspace's inline processor, as
    /// made if the store has none yet; stored with the run, and only then.
    #[serde(skip)]
    pub(crate) inline: Option<Processor>,
    /// How the body named its fields, for refusals (`file.fileUrl` here,
    /// `file.url` in the current API's bodies).
    #[serde(skip)]
    pub(crate) fields: Option<&'static BodyFields>,
    /// A run over several files (`package`): their `File` objects, the
    /// first also given as `file`.
    #[serde(skip)]
    pub(crate) package: Option<Vec<JsonObject>>,
    /// What made it, if not a call of the API: a batch (`source`
    /// `BATCH_PROCESSOR_RUN`, see `families::batches`) or a workflow run
    /// (`WORKFLOW_RUN`), whose id is its `sourceId`.
    #[serde(skip)]
    pub(crate) source: Option<(RunSource, String)>,
    /// The output it ends with, given with a workflow run (`outputs`): a
    /// rule's or the derived one's place; markers still apply.
    #[serde(skip)]
    pub(crate) given_output: Option<JsonObject>,
}

/// The names a create body gives the fields a refusal may name.
#[derive(Debug)]
pub struct BodyFields {
    pub file_url: &'static str,
    pub file_id: &'static str,
    pub file_name: &'static str,
    pub text: &'static str,
    pub config: &'static str,
}

/// The legacy body's names.
pub const LEGACY_FIELDS: BodyFields = BodyFields {
    file_url: "file.fileUrl",
    file_id: "file.fileId",
    file_name: "file.fileName",
    text: "rawText",
    config: "config",
};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileInput {
    pub(crate) file_url: Option<String>,
    pub(crate) file_id: Option<String>,
    pub(crate) file_name: Option<String>,
}

const USAGE_TAGS: &str = "extend:usage_tags";

/// The name a `fileUrl` gives a file: its path's last segment, decoded.
pub(crate) fn name_from_url(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let path = rest.split(['?', '#']).next().unwrap_or("");
    let (_, path) = path.split_once('/')?;
    let last = path.rsplit('/').find(|s| !s.is_empty())?;
    let decoded: String = form_urlencoded::parse(format!("n={last}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| last.to_owned());
    Some(decoded)
}

/// The most a run's `metadata` may hold, as JSON: the API's documented
/// 10 KB. It is echoed in every read and webhook of the run.
pub const MAX_METADATA_BYTES: usize = 10 * 1024;

/// `metadata` as echoed: usage tags kept to `[A-Za-z0-9_-]`, as documented.
pub(crate) fn clean_metadata(mut metadata: JsonObject) -> Result<JsonObject, ApiError> {
    let size = serde_json::to_vec(&metadata).map_or(usize::MAX, |json| json.len());
    if size > MAX_METADATA_BYTES {
        return Err(invalid_field(
            "metadata",
            format!(
                "is {size} bytes as JSON; a run's metadata may be at most {MAX_METADATA_BYTES}"
            ),
        ));
    }
    if let Some(tags) = metadata.get_mut(USAGE_TAGS) {
        let Some(list) = tags.as_array_mut() else {
            return Err(invalid_field(
                &format!("metadata.{USAGE_TAGS}"),
                "must be an array of strings",
            ));
        };
        for tag in list.iter_mut() {
            let Some(text) = tag.as_str() else {
                return Err(invalid_field(
                    &format!("metadata.{USAGE_TAGS}"),
                    "must be an array of strings",
                ));
            };
            let cleaned: String = text
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            *tag = Value::String(cleaned);
        }
    }
    Ok(metadata)
}

/// Everything the create decided before storing: the run, how it ends, and after how long.
struct Planned {
    run: ProcessorRun,
    end: Option<(Duration, Outcome)>,
    /// The inline processor to store with the run, if the store has none.
    inline: Option<Processor>,
}

fn plan_run(
    state: &AppState,
    workspace_id: &str,
    mut request: CreateRun,
) -> Result<Planned, ApiError> {
    let store = state.store();
    let inline = request.inline.take();
    let package = request.package.take();
    let source = request.source.take();
    let given_output = request.given_output.take();
    // Made through the current API (its body's names came with it).
    let request_is_current = request.fields.is_some();
    let names = request.fields.unwrap_or(&LEGACY_FIELDS);
    let processor = match &inline {
        // The inline processor as stored, or as it will be stored with the run.
        Some(made) => store.any_processor(workspace_id, &made.id).unwrap_or(made),
        None => store
            .processor(workspace_id, &request.processor_id)
            .ok_or_else(|| ApiError::ProcessorNotFound(request.processor_id.clone()))?,
    };
    let version = match request.version.as_deref() {
        None | Some("latest") => processor.latest().unwrap_or(&processor.draft_version),
        Some(DRAFT) => &processor.draft_version,
        Some(number) => processor
            .versions
            .iter()
            .find(|v| v.version == number)
            .ok_or_else(|| ApiError::VersionNotFound(number.to_owned()))?,
    };
    let (file_name, file_json, pages, marker_text, text) = match (request.file, request.raw_text) {
        (Some(_), Some(_)) => {
            return Err(invalid_field("file", "give `file` or `rawText`, not both"));
        }
        (None, None) => {
            return Err(invalid_field(
                "file",
                "one of `file` or `rawText` is required",
            ));
        }
        (None, Some(text)) => {
            if text.trim().is_empty() {
                return Err(invalid_field(names.text, "must not be empty"));
            }
            let name = request
                .text_name
                .clone()
                .unwrap_or_else(|| "raw_text.txt".to_owned());
            check_file_name(&name).map_err(|e| invalid_field(names.file_name, e))?;
            let kept = clip_text(&text);
            (name, None, 1, text, Some(kept))
        }
        (Some(file), None) => match (file.file_url, file.file_id) {
            (Some(_), Some(_)) => {
                return Err(invalid_field(
                    names.file_url,
                    "give `fileUrl` or `fileId`, not both",
                ));
            }
            (None, None) => {
                return Err(invalid_field(
                    names.file_url,
                    "one of `fileUrl` or `fileId` is required",
                ));
            }
            (Some(url), None) => {
                let from_url = name_from_url(&url).ok_or_else(|| {
                    invalid_field(
                        names.file_url,
                        format!("`{url}` is not an http(s) URL with a path"),
                    )
                })?;
                let field = match file.file_name {
                    Some(_) => names.file_name,
                    None => names.file_url,
                };
                let name = file.file_name.unwrap_or(from_url);
                check_file_name(&name).map_err(|e| invalid_field(field, e))?;
                let marker = format!("{url} {name}");
                (name, None, 1, marker, None)
            }
            (None, Some(id)) => {
                let stored = store
                    .file(workspace_id, &id)
                    .ok_or_else(|| ApiError::FileNotFound(id.clone()))?;
                let name = file.file_name.unwrap_or_else(|| stored.name.clone());
                check_file_name(&name).map_err(|e| invalid_field(names.file_name, e))?;
                let mut json = Vec::new();
                write_file_summary(&mut json, stored);
                let object: JsonObject =
                    serde_json::from_slice(&json).map_err(|e| ApiError::Internal(e.into()))?;
                let marker = name.clone();
                let text = stored.text().map(clip_text);
                (name, Some(object), stored.page_count, marker, text)
            }
        },
    };
    let config = request
        .config
        .map(|config| {
            check_config(processor.processor_type, &config).map_err(|(field, reason)| {
                invalid_field(&format!("{}{field}", names.config), reason)
            })?;
            Ok::<_, ApiError>(config)
        })
        .transpose()?;
    let metadata = request.metadata.map(clean_metadata).transpose()?;
    let now = state.now();
    let run = ProcessorRun {
        // The prefix of the family that views the run (`exr_`, `clr_`,
        // `splr_`), through whichever path it is made (SPEC Part 6).
        id: RunId::parse(
            &state.new_id(crate::families::describe(processor.processor_type).run_prefix),
        )
        .map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?,
        workspace_id: workspace_id.to_owned(),
        status: RunStatus::Processing,
        processor_id: processor.id.clone(),
        processor_name: processor.name.clone(),
        processor_version_id: version.id.clone(),
        processor_type: Some(processor.processor_type),
        source: source.as_ref().map_or(RunSource::Api, |(s, _)| *s),
        source_id: source.map(|(_, id)| id),
        file_name,
        created_at: now,
        updated_at: now,
        usage: None,
        details: RunDetails {
            config,
            package: package.is_some().then_some(true),
            files: package.or(file_json.map(|f| vec![f])),
            metadata,
            text,
            ..RunDetails::default()
        },
    };
    let base = state.settings.processing_time;
    let processed = Outcome::Processed {
        credits_thousandths: 1000 * u64::from(pages.max(1)),
        output: None,
    };
    let failed = |reason: String, message: Option<String>| Outcome::Failed {
        message: message.unwrap_or_else(|| failure_message(&reason)),
        reason,
    };
    let rule = || {
        let rules = state
            .rules
            .lock()
            .expect("a thread panicked holding the rules");
        rules
            .matching(&run.processor_id, &run.file_name)
            .map(|r| r.outcome())
    };
    let end = match Marker::find(&marker_text) {
        Some(Marker::Hold) => None,
        Some(Marker::Slow) => Some((base * 10, processed)),
        Some(Marker::Fail(reason)) => {
            let default = match request_is_current {
                true => CURRENT_DEFAULT_FAILURE,
                false => DEFAULT_FAILURE,
            };
            let reason = reason.unwrap_or_else(|| default.to_owned());
            Some((base, failed(reason, None)))
        }
        None if given_output.is_some() => Some((
            base,
            Outcome::Processed {
                credits_thousandths: 1000 * u64::from(pages.max(1)),
                output: given_output.map(Arc::new),
            },
        )),
        None => match rule() {
            Some(RuleOutcome::Hold) => None,
            Some(RuleOutcome::Fail { reason, message }) => Some((base, failed(reason, message))),
            Some(RuleOutcome::Output(output)) => Some((
                base,
                Outcome::Processed {
                    credits_thousandths: 1000 * u64::from(pages.max(1)),
                    output: Some(Arc::new(output)),
                },
            )),
            None => Some((base, processed)),
        },
    };
    let inline = inline.filter(|made| store.any_processor(workspace_id, &made.id).is_none());
    Ok(Planned { run, end, inline })
}

/// A run's `priority`: a whole number from 1 to 100, as the API documents.
pub(crate) fn check_priority(priority: Option<&serde_json::Number>) -> Result<(), ApiError> {
    if let Some(priority) = priority {
        let whole = priority.as_f64().filter(|p| p.fract() == 0.0);
        if !whole.is_some_and(|p| (1.0..=100.0).contains(&p)) {
            return Err(invalid_field(
                "priority",
                format!("`{priority}` is not a whole number from 1 to 100"),
            ));
        }
    }
    Ok(())
}

/// Plans, stores and schedules a run; its id. Nothing is stored on a
/// refusal.
pub(crate) fn start_run(
    state: &AppState,
    workspace_id: &str,
    request: CreateRun,
) -> Result<String, ApiError> {
    let mut ids = start_runs(state, workspace_id, vec![request], |_, e| e, |_, _| Ok(()))?;
    Ok(ids.remove(0))
}

/// Plans every run first (a refusal of any, which `refused` may name by
/// its index, stores none), then stores them all in one change of the
/// store, with `also` (a batch's record, a workflow run's step runs), which
/// gets their ids; their ids, in order.
pub(crate) fn start_runs(
    state: &AppState,
    workspace_id: &str,
    requests: Vec<CreateRun>,
    refused: impl Fn(usize, ApiError) -> ApiError,
    also: impl FnOnce(&mut crate::store::Store, &[String]) -> Result<(), ApiError>,
) -> Result<Vec<String>, ApiError> {
    let mut planned = Vec::with_capacity(requests.len());
    for (i, request) in requests.into_iter().enumerate() {
        check_priority(request.priority.as_ref()).map_err(|e| refused(i, e))?;
        let mut plan = plan_run(state, workspace_id, request).map_err(|e| refused(i, e))?;
        // Its file is parsed first: by a parse run of its own (`parseRunId`).
        plan.run.details.parse_run_id = Some(state.new_id("pr_"));
        planned.push(plan);
    }
    let ids: Vec<String> = planned
        .iter()
        .map(|p| p.run.id.as_str().to_owned())
        .collect();
    state.change_store(|store| {
        let mut runs = Vec::with_capacity(planned.len());
        let mut ends = Vec::with_capacity(planned.len());
        for (Planned { run, end, inline }, id) in planned.into_iter().zip(&ids) {
            // Made with the run, never on a refusal; another request may
            // have made it meanwhile, which is as good.
            if let Some(made) = inline
                && store.any_processor(workspace_id, &made.id).is_none()
            {
                store.add_processor(made)?;
            }
            runs.push(run);
            ends.push((id, end));
        }
        store
            .add_runs(runs)
            .map_err(|(_, e)| ApiError::Internal(e.into()))?;
        for id in &ids {
            crate::families::parse::add_companion(state, store, workspace_id, id);
        }
        also(store, &ids)?;
        for (id, end) in ends {
            if let Some((delay, outcome)) = end {
                state
                    .lifecycle
                    .schedule(state.epoch(), workspace_id, id, delay, outcome);
            }
        }
        Ok::<_, ApiError>(())
    })?;
    Ok(ids)
}

/// Waits until the run is no longer `PROCESSING` or `--sync-timeout`
/// passes; whether it ended. A sandbox dropped meanwhile answers at once.
pub(crate) async fn wait_for_end(
    state: &AppState,
    workspace_id: &str,
    id: &str,
) -> Result<bool, ApiError> {
    let deadline = tokio::time::Instant::now() + state.settings.sync_timeout;
    let running =
        || state.store().get(workspace_id, id).map(|r| r.status) == Ok(RunStatus::Processing);
    state
        .lifecycle
        .wait_until(deadline, || state.is_closed() || !running())
        .await;
    if state.is_closed() {
        let name = state.sandbox_name().unwrap_or(crate::sandboxes::DEFAULT);
        return Err(ApiError::SandboxDropped(name.to_owned()));
    }
    Ok(!running())
}

/// Creates a run: `PROCESSING` at once, ended by the lifecycle. With
/// `sync: true`, answers once it has ended (or at `--sync-timeout`).
pub async fn create(
    Sandbox(state): Sandbox,
    caller: Caller,
    body: Result<axum::body::Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let request: CreateRun = json_body(body)?;
    let sync = request.sync.unwrap_or(false);
    let ws = caller.workspace_id.as_str();
    let id = start_run(&state, ws, request)?;
    tracing::debug!(key = %caller.key_name, workspace = %ws, run = %id, "created a run");
    if sync {
        wait_for_end(&state, ws, &id).await?;
    }
    full_run_body(&state, ws, &id).map(json_response)
}

/// Cancels a `PROCESSING` or `PENDING` run of the workspace (`noun` names
/// it in the refusal: `Processor run`, `Extract run`).
pub(crate) fn cancel_run(
    state: &AppState,
    workspace_id: &str,
    id: &str,
    noun: &str,
) -> Result<(), ApiError> {
    state.change_store(|store| {
        let run = store.get(workspace_id, id).map_err(|e| not_found(e, id))?;
        if !matches!(run.status, RunStatus::Processing | RunStatus::Pending) {
            return Err(ApiError::InvalidRequest(format!(
                "{noun} `{id}` is {}; only a PROCESSING or PENDING run can be cancelled",
                run.status
            )));
        }
        let change = RunChange {
            status: Some(RunStatus::Cancelled),
            updated_at: Some(state.now().max(run.updated_at)),
            ..RunChange::default()
        };
        store
            .update(workspace_id, id, change)
            .map_err(|e| not_found(e, id))
    })?;
    crate::webhooks::run_cancelled(state, workspace_id, id);
    Ok(())
}

/// Cancels a `PROCESSING` or `PENDING` run: `CANCELLED`, and it never finishes.
pub async fn cancel(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let ws = caller.workspace_id.as_str();
    cancel_run(&state, ws, &id, "Processor run")?;
    tracing::debug!(key = %caller.key_name, workspace = %ws, run = %id, "cancelled a run");
    full_run_body(&state, ws, &id).map(json_response)
}
