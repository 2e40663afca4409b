//! A family's runs: `GET /extract_runs` (summaries, in keyset pages),
//! `POST /extract_runs`, `GET`/`DELETE /extract_runs/{id}`,
//! `POST /extract_runs/{id}/cancel` and the sync `POST /extract`, for every
//! family alike. A create is read here and handed to the legacy create as
//! the `POST /processor_runs` it amounts to: one lifecycle, one set of
//! markers, rules and webhooks for both views.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::Family;
use super::object::{run_object, write_run_summary};
use crate::configs::builtin_config;
use crate::domain::{DRAFT, JsonObject, Processor, ProcessorVersion, RunSource};
use crate::http::auth::Caller;
use crate::http::body::{invalid_field, json_body};
use crate::http::context::Sandbox;
use crate::http::error::ApiError;
use crate::http::json_response;
use crate::http::query::{RunList, next_page_token, parse_run_query};
use crate::routes::processor_runs::{CreateRun, FileInput, cancel_run, start_run, wait_for_end};
use crate::state::AppState;
use crate::store::PageRequest;

/// `Extract run` and the like, for messages.
fn run_noun(f: &Family) -> String {
    capitalized(&f.run_object.replace('_', " "))
}

/// `Extractor` and the like.
pub fn processor_noun(f: &Family) -> String {
    capitalized(f.processor_key)
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A run of another family, another workspace, or none: the same 404.
fn run_not_found(f: &Family, id: &str) -> ApiError {
    ApiError::Missing(format!("{} `{id}` not found", run_noun(f)))
}

/// The run's object if it is one of the family's in the workspace.
fn family_run(
    f: &Family,
    state: &AppState,
    workspace_id: &str,
    id: &str,
) -> Result<Value, ApiError> {
    let store = state.store();
    let run = family_view(f, &store, workspace_id, id)?;
    Ok(run_object(&store, workspace_id, &run, false))
}

/// The run's view if it is one of the family's in the workspace; the same
/// 404 for a run of another family, another workspace, or none.
fn family_view<'s>(
    f: &Family,
    store: &'s crate::store::Store,
    workspace_id: &str,
    id: &str,
) -> Result<crate::store::RunView<'s>, ApiError> {
    let run = store
        .get(workspace_id, id)
        .map_err(|_| run_not_found(f, id))?;
    match store.run_processor(workspace_id, &run).0 == f.processor_type {
        true => Ok(run),
        false => Err(run_not_found(f, id)),
    }
}

/// Checks the run is the family's (the same 404 otherwise).
fn check_family(
    f: &Family,
    state: &AppState,
    workspace_id: &str,
    id: &str,
) -> Result<(), ApiError> {
    family_view(f, &state.store(), workspace_id, id).map(|_| ())
}

pub async fn list(
    f: &'static Family,
    Sandbox(state): Sandbox,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let ws = caller.workspace_id.as_str();
    // The same query of the same workspace answers the same bytes until the
    // store changes (a page token is signed with a fixed secret and carries
    // no time), so a repeated page costs a look-up.
    let body = state.list_page(ws, f.runs_path, raw.as_deref(), |store| {
        let list = RunList::Family {
            processor_filter: f.processor_id_key,
            processor_type: f.processor_type,
            resource: f.runs_resource,
        };
        let query = parse_run_query(
            raw.as_deref(),
            list,
            ws,
            &state.signer,
            state.settings.paging,
        )?;
        // A batch's runs carry its id as their `sourceId`, with `source`
        // `BATCH_PROCESSOR_RUN`: `batchId` is those two filters, and matches
        // nothing beside other values of them.
        let mut filters = query.filters.clone();
        let mut nothing = false;
        if let Some(batch) = &query.batch_id {
            nothing = filters.source_id.as_ref().is_some_and(|s| s != batch)
                || filters
                    .source
                    .is_some_and(|s| s != RunSource::BatchProcessorRun);
            filters.source_id = Some(batch.clone());
            filters.source = Some(RunSource::BatchProcessorRun);
        }
        let mut body = Vec::with_capacity(query.page_size.min(100) * 900 + 128);
        body.extend_from_slice(b"{\"object\":\"list\",\"data\":[");
        if !nothing {
            let page = store.page(
                ws,
                &PageRequest {
                    filters: &filters,
                    order: query.order,
                    after: query.after.as_ref(),
                    limit: query.page_size,
                },
            );
            let mut first = true;
            for view in page.runs() {
                // A page's views carry no pinned fields; the full view does.
                if let Ok(run) = store.get(ws, view.id) {
                    if !std::mem::take(&mut first) {
                        body.push(b',');
                    }
                    write_run_summary(&mut body, store, ws, &run);
                }
            }
            body.push(b']');
            if page.has_more
                && let Some(position) = page.last_position(query.order.by)
            {
                let token = next_page_token(&state.signer, ws, &query, position);
                body.extend_from_slice(b",\"nextPageToken\":");
                crate::http::wire::json::write_str(&mut body, &token);
            }
        } else {
            body.push(b']');
        }
        body.push(b'}');
        Ok(body)
    })?;
    Ok(json_response(body))
}

/// The run, from the body cache when a client polls it (the key is the
/// run's id and the family's object, apart from the legacy body's). Put
/// while the read lock is held, so a cached body is always the store's.
pub async fn retrieve(
    f: &'static Family,
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let ws = caller.workspace_id.as_str();
    let store = state.store();
    let run = family_view(f, &store, ws, &id)?;
    let key = format!("{id} {}", f.run_object);
    let body = match state.full_runs.get(&key) {
        Some(body) => body,
        None => {
            let body = Bytes::from(
                serde_json::to_vec(&run_object(&store, ws, &run, false))
                    .expect("a Value always serializes"),
            );
            state.full_runs.put(&key, body.clone());
            body
        }
    };
    drop(store);
    crate::http::context::keep_answer(&body);
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

pub async fn cancel(
    f: &'static Family,
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    check_family(f, &state, ws, &id)?;
    cancel_run(&state, ws, &id, &run_noun(f)).map_err(|e| match e {
        ApiError::RunNotFound(_) => run_not_found(f, &id),
        other => other,
    })?;
    tracing::debug!(key = %caller.key_name, workspace = %ws, run = %id, "cancelled a run");
    family_run(f, &state, ws, &id).map(Json)
}

/// Deletes for good (a run in progress with it: its end finds nothing).
pub async fn delete(
    f: &'static Family,
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    check_family(f, &state, ws, &id)?;
    state
        .remove_run(ws, &id)
        .map_err(|_| run_not_found(f, &id))?;
    tracing::debug!(key = %caller.key_name, workspace = %ws, run = %id, "deleted a run");
    Ok(Json(json!({ "id": id })))
}

/// `POST /extract_runs`: the run, `PROCESSING`, at once.
pub async fn create(
    f: &'static Family,
    Sandbox(state): Sandbox,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = start(f, &state, &caller, json_body(body)?)?;
    family_run(f, &state, &caller.workspace_id, &id).map(Json)
}

/// Reads a create body and starts its run; the run's id.
fn start(
    f: &'static Family,
    state: &AppState,
    caller: &Caller,
    body: JsonObject,
) -> Result<String, ApiError> {
    let ws = caller.workspace_id.as_str();
    let id = start_run(state, ws, read_create(f, state, ws, body)?)?;
    tracing::debug!(key = %caller.key_name, workspace = %ws, run = %id, "created a run");
    Ok(id)
}

/// `POST /extract`: the same run, answered once it has ended; past
/// `--sync-timeout` a 504 with its `runId`, the run going on.
pub async fn create_sync(
    f: &'static Family,
    Sandbox(state): Sandbox,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    let mut body: JsonObject = json_body(body)?;
    // The sync call takes no priority (the SDKs send none).
    body.remove("priority");
    let id = start(f, &state, &caller, body)?;
    if !wait_for_end(&state, ws, &id).await? {
        return Err(ApiError::SyncTimeout {
            run_id: id,
            seconds: state.settings.sync_timeout.as_secs(),
        });
    }
    family_run(f, &state, ws, &id).map(Json)
}

/// A body field, `null` read as absent.
fn field<'a>(body: &'a JsonObject, key: &str) -> Option<&'a Value> {
    body.get(key).filter(|v| !v.is_null())
}

pub(super) fn object_field<'a>(
    body: &'a JsonObject,
    key: &str,
    at: &str,
) -> Result<Option<&'a JsonObject>, ApiError> {
    match field(body, key) {
        None => Ok(None),
        Some(Value::Object(object)) => Ok(Some(object)),
        Some(_) => Err(invalid_field(at, "must be an object")),
    }
}

pub(super) fn string_field(
    body: &JsonObject,
    key: &str,
    at: &str,
) -> Result<Option<String>, ApiError> {
    match field(body, key) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(invalid_field(at, "must be a string")),
    }
}

/// The family's create body as the legacy create it amounts to: the file
/// (by `url`, `id` or `text`), the processor (a reference with its
/// `version` and `overrideConfig`, an inline `config`, or neither: a config
/// inferred from the file's name), `metadata`, `priority`.
pub(super) fn read_create(
    f: &'static Family,
    state: &AppState,
    workspace_id: &str,
    body: JsonObject,
) -> Result<CreateRun, ApiError> {
    let reference = object_field(&body, f.processor_key, f.processor_key)?;
    let config = object_field(&body, "config", "config")?;
    let file = object_field(&body, "file", "file")?;
    let package = field(&body, "package");
    if reference.is_some() && config.is_some() {
        return Err(invalid_field(
            "config",
            format!("give `{}` or `config`, not both", f.processor_key),
        ));
    }
    let mut package_files = None;
    let first_of_package;
    let file = match (file, package) {
        (Some(_), Some(_)) => {
            return Err(invalid_field("file", "give `file` or `package`, not both"));
        }
        (None, None) if f.has_files => {
            return Err(invalid_field(
                "file",
                "one of `file` or `package` is required",
            ));
        }
        (None, None) => return Err(invalid_field("file", "is required")),
        (None, Some(package)) if f.has_files => {
            let (files, first) = read_package(state, workspace_id, package)?;
            package_files = Some(files);
            first_of_package = first;
            &first_of_package
        }
        (None, Some(_)) => return Err(invalid_field("package", "is not taken by this call")),
        (Some(file), None) => file,
    };
    let url = string_field(file, "url", "file.url")?;
    let id = string_field(file, "id", "file.id")?;
    let text = string_field(file, "text", "file.text")?;
    let name = string_field(file, "name", "file.name")?;
    let given = [url.is_some(), id.is_some(), text.is_some()];
    let allowed = if f.takes_text {
        "`url`, `id` or `text`"
    } else {
        "`url` or `id`"
    };
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(invalid_field(
            "file",
            format!("give exactly one of {allowed}"),
        ));
    }
    if text.is_some() && !f.takes_text {
        return Err(invalid_field(
            "file.text",
            format!("is not taken here; give {allowed}"),
        ));
    }
    if let Some(text) = &text
        && text.trim().is_empty()
    {
        return Err(invalid_field("file.text", "must not be empty"));
    }
    // What a config is inferred from when none is given: the file's name
    // (or a text's first words).
    let known_name = match (&url, &id, &text) {
        (_, Some(id), _) => state.store().file(workspace_id, id).map(|f| f.name.clone()),
        _ => None,
    };
    let hint = name
        .clone()
        .or(known_name)
        .or_else(|| url.clone())
        .or_else(|| text.as_ref().map(|t| t.chars().take(200).collect()))
        .unwrap_or_default();
    let metadata = match field(&body, "metadata") {
        None => None,
        Some(Value::Object(m)) => Some(m.clone()),
        Some(_) => return Err(invalid_field("metadata", "must be an object")),
    };
    let priority = match field(&body, "priority") {
        None => None,
        Some(Value::Number(n)) => Some(n.clone()),
        Some(other) => {
            return Err(invalid_field(
                "priority",
                format!("`{other}` is not a whole number from 1 to 100"),
            ));
        }
    };
    let kind = f.processor_type;
    let mut inline = None;
    let (processor_id, version, config) = match (reference, config) {
        (Some(reference), None) => {
            let id = string_field(reference, "id", &format!("{}.id", f.processor_key))?
                .ok_or_else(|| invalid_field(&format!("{}.id", f.processor_key), "is required"))?;
            let version = string_field(
                reference,
                "version",
                &format!("{}.version", f.processor_key),
            )?;
            let at = format!("{}.overrideConfig", f.processor_key);
            let override_config = object_field(reference, "overrideConfig", &at)?;
            let store = state.store();
            let processor = store
                .processor(workspace_id, &id)
                .filter(|p| !p.inline && p.processor_type == kind)
                .ok_or_else(|| {
                    ApiError::Missing(format!("{} `{id}` not found", processor_noun(f)))
                })?;
            let chosen = resolve_version(f, processor, version.as_deref())?;
            // The legacy create reads numbers and `draft`; a version may be
            // named by its id here too.
            let version = Some(chosen.version.clone());
            let config = override_config.map(|o| {
                let mut merged = JsonObject::clone(&chosen.config);
                for (key, value) in o {
                    merged.insert(key.clone(), value.clone());
                }
                merged.insert("type".into(), json!(kind.as_str()));
                merged
            });
            (id, version, config)
        }
        (None, Some(config)) => {
            let mut config = config.clone();
            config.insert("type".into(), json!(kind.as_str()));
            let made = inline_processor(f, state, workspace_id);
            let id = made.id.clone();
            inline = Some(made);
            (id, None, Some(config))
        }
        (None, None) if !f.generates => {
            return Err(invalid_field(
                f.processor_key,
                format!("give `{}` or an inline `config`", f.processor_key),
            ));
        }
        (None, None) => {
            let config = JsonObject::clone(&builtin_config(&hint, kind));
            let made = inline_processor(f, state, workspace_id);
            let id = made.id.clone();
            inline = Some(made);
            (id, None, Some(config))
        }
        (Some(_), Some(_)) => unreachable!("refused above"),
    };
    Ok(CreateRun {
        processor_id,
        version,
        file: (url.is_some() || id.is_some()).then(|| FileInput {
            file_url: url,
            file_id: id,
            file_name: name.clone(),
        }),
        raw_text: text,
        text_name: name,
        sync: None,
        priority,
        metadata,
        config,
        fields: Some(match reference {
            Some(_) => &f.override_fields,
            None => &f.fields,
        }),
        inline,
        package: package_files,
        source: None,
        given_output: None,
    })
}

/// The most files one `package` run may have.
const MAX_PACKAGE_FILES: usize = 50;

/// A `package`: `{files: [{url, name?} | {id}]}`, 1 to 50 files, each as
/// the run's `File` (a url's file made here, as a single file's is; an id's
/// from the file store); and the first as a `file` input, which names the
/// run and carries its markers.
fn read_package(
    state: &AppState,
    workspace_id: &str,
    package: &Value,
) -> Result<(Vec<JsonObject>, JsonObject), ApiError> {
    let files = package
        .get("files")
        .and_then(Value::as_array)
        .filter(|files| (1..=MAX_PACKAGE_FILES).contains(&files.len()))
        .ok_or_else(|| {
            invalid_field(
                "package.files",
                format!("is required: 1 to {MAX_PACKAGE_FILES} files, each `{{url}}` or `{{id}}`"),
            )
        })?;
    let mut made = Vec::with_capacity(files.len());
    for (i, file) in files.iter().enumerate() {
        let at = format!("package.files[{i}]");
        let Some(file) = file.as_object() else {
            return Err(invalid_field(&at, "must be an object"));
        };
        let url = string_field(file, "url", &format!("{at}.url"))?;
        let id = string_field(file, "id", &format!("{at}.id"))?;
        let object = match (url, id) {
            (Some(url), None) => {
                let name = match string_field(file, "name", &format!("{at}.name"))? {
                    Some(name) => name,
                    None => {
                        crate::routes::processor_runs::name_from_url(&url).ok_or_else(|| {
                            invalid_field(
                                &format!("{at}.url"),
                                format!("`{url}` is not an http(s) URL with a path"),
                            )
                        })?
                    }
                };
                crate::domain::check_file_name(&name)
                    .map_err(|e| invalid_field(&format!("{at}.name"), e))?;
                let now = state.now().to_rfc3339();
                let kind = crate::domain::detect_type(&name, b"").map(|t| t.as_str());
                let mut object = JsonObject::new();
                object.insert("object".into(), json!("file"));
                object.insert("id".into(), json!(state.new_id("file_")));
                object.insert("name".into(), json!(name));
                if let Some(kind) = kind {
                    object.insert("type".into(), json!(kind));
                }
                object.insert("metadata".into(), json!({}));
                object.insert("createdAt".into(), json!(now));
                object.insert("updatedAt".into(), json!(now));
                object
            }
            (None, Some(id)) => {
                let store = state.store();
                let stored = store
                    .file(workspace_id, &id)
                    .ok_or_else(|| ApiError::FileNotFound(id.clone()))?;
                let mut json = Vec::new();
                crate::http::wire::catalogue::write_file_summary(&mut json, stored);
                serde_json::from_slice(&json).map_err(|e| ApiError::Internal(e.into()))?
            }
            _ => return Err(invalid_field(&at, "give exactly one of `url` or `id`")),
        };
        made.push(object);
    }
    let first = files[0].as_object().cloned().unwrap_or_default();
    Ok((made, first))
}

/// A reference's `version`: omitted or `latest` is the newest published
/// (else the draft), `draft`, or a published number.
pub fn resolve_version<'p>(
    f: &Family,
    processor: &'p Processor,
    version: Option<&str>,
) -> Result<&'p ProcessorVersion, ApiError> {
    match version {
        None | Some("latest") => Ok(processor.latest().unwrap_or(&processor.draft_version)),
        Some(DRAFT) => Ok(&processor.draft_version),
        Some(number) => processor
            .versions
            .iter()
            .find(|v| v.version == number || v.id == number)
            .ok_or_else(|| {
                ApiError::Missing(format!(
                    "{} version `{number}` not found",
                    processor_noun(f)
                ))
            }),
    }
}

/// The workspace's holder of inline-config runs (see `Processor::inline`),
/// as it is made: stored with the first run that needs it (`start_run`),
/// never on a refusal.
fn inline_processor(f: &Family, state: &AppState, workspace_id: &str) -> Processor {
    let mut digest = Sha256::new();
    digest.update(workspace_id.as_bytes());
    digest.update([0]);
    digest.update(f.run_object.as_bytes());
    let hash = digest.finalize();
    let tail: String = hash[..8].iter().map(|b| format!("{b:02x}")).collect();
    let now = state.now();
    Processor {
        id: format!("{}inline_{tail}", f.processor_prefix),
        workspace_id: workspace_id.to_owned(),
        name: "Inline config".into(),
        processor_type: f.processor_type,
        created_at: now,
        updated_at: now,
        draft_version: ProcessorVersion {
            id: format!("{}inline_{tail}", f.version_prefix),
            version: DRAFT.into(),
            description: None,
            config: builtin_config("", f.processor_type),
            created_at: now,
            updated_at: now,
        },
        versions: Vec::new(),
        inline: true,
    }
}
