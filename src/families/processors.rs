//! A family's processors (`/extractors`) and their versions
//! (`/extractors/{id}/versions`): the store's processors of the family's
//! type, made, read, renamed, their draft changed and published, exactly
//! as `/processors` does for the legacy view.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery};
use serde_json::{Value, json};

use super::Family;
use super::object::{processor_object, processor_summary, version_object};
use super::runs::{object_field, processor_noun, resolve_version, string_field};
use crate::configs::{builtin_config, check_config};
use crate::domain::{
    DRAFT, JsonObject, Position, Processor, ProcessorType, ProcessorVersion, SortBy, SortDir,
};
use crate::http::auth::Caller;
use crate::http::body::{invalid_field, json_body, non_empty};
use crate::http::context::Sandbox;
use crate::http::error::ApiError;
use crate::http::query::{page_token, parse_catalogue_query};
use crate::state::AppState;

fn not_found(f: &Family, id: &str) -> ApiError {
    ApiError::Missing(format!("{} `{id}` not found", processor_noun(f)))
}

/// A family config from a body (the current API's: no `type`), checked as
/// the processor's type requires and stored with its `type`.
fn checked_config(f: &Family, mut config: JsonObject) -> Result<JsonObject, ApiError> {
    config.insert("type".into(), json!(f.processor_type.as_str()));
    check_config(f.processor_type, &config)
        .map_err(|(field, reason)| invalid_field(&format!("config{field}"), reason))?;
    Ok(config)
}

fn config_field(f: &Family, body: &JsonObject) -> Result<Option<JsonObject>, ApiError> {
    object_field(body, "config", "config")?
        .map(|config| checked_config(f, config.clone()))
        .transpose()
}

fn name_field(body: &JsonObject) -> Result<Option<String>, ApiError> {
    let name = string_field(body, "name", "name")?;
    if let Some(name) = &name {
        non_empty("name", name)?;
    }
    Ok(name)
}

/// The family's processor of the workspace, or the same 404 for any other.
fn processor<'s>(
    f: &Family,
    store: &'s crate::store::Store,
    workspace_id: &str,
    id: &str,
) -> Result<&'s Processor, ApiError> {
    store
        .processor(workspace_id, id)
        .filter(|p| !p.inline && p.processor_type == f.processor_type)
        .ok_or_else(|| not_found(f, id))
}

pub async fn list(
    f: &'static Family,
    Sandbox(state): Sandbox,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    let paging = parse_catalogue_query(
        raw.as_deref(),
        true,
        "",
        f.processors_resource,
        ws,
        &state.signer,
        state.settings.paging,
    )?;
    let store = state.store();
    let (page, more) = store.processor_page(
        ws,
        Some(f.processor_type),
        paging.order,
        paging.after.as_ref(),
        paging.page_size,
    );
    let data: Vec<Value> = page.iter().map(|p| processor_summary(f, p)).collect();
    let mut answer = json!({"object": "list", "data": data});
    if more && let Some(last) = page.last() {
        let at = match paging.order.by {
            SortBy::CreatedAt => last.created_at,
            SortBy::UpdatedAt => last.updated_at,
        };
        answer["nextPageToken"] = json!(page_token(
            &state.signer,
            f.processors_resource,
            ws,
            paging.order,
            String::new(),
            Position {
                at_nanos: at.unix_nanos(),
                id: last.id.clone(),
            },
        ));
    }
    Ok(Json(answer))
}

/// `POST /extractors`: `name`, and at most one of `config`, the clone
/// field (`cloneExtractorId`) and `generate` (a config inferred from the
/// files' names; extractors only).
pub async fn create(
    f: &'static Family,
    Sandbox(state): Sandbox,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let body: JsonObject = json_body(body)?;
    let ws = caller.workspace_id.as_str();
    let name = name_field(&body)?.ok_or_else(|| invalid_field("name", "is required"))?;
    let config = config_field(f, &body)?;
    let clone = string_field(&body, f.clone_key, f.clone_key)?;
    let generate = match object_field(&body, "generate", "generate")? {
        Some(_) if !f.generates => {
            return Err(invalid_field("generate", "is taken by extractors only"));
        }
        Some(generate) => Some(generated_config(&state, ws, generate)?),
        None => None,
    };
    let given = [config.is_some(), clone.is_some(), generate.is_some()];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(invalid_field(
            "config",
            format!(
                "give at most one of `config`, `{}` and `generate`",
                f.clone_key
            ),
        ));
    }
    let config = match (config, clone, generate) {
        (Some(config), _, _) => config,
        (_, Some(source), _) => {
            let store = state.store();
            JsonObject::clone(&processor(f, &store, ws, &source)?.draft_version.config)
        }
        (_, _, Some(config)) => config,
        // Nothing to start from: an empty config of the family's type.
        (None, None, None) => {
            let mut config = JsonObject::new();
            config.insert("type".into(), json!(f.processor_type.as_str()));
            if f.processor_type != ProcessorType::Extract {
                config = JsonObject::clone(&builtin_config(&name, f.processor_type));
            }
            config
        }
    };
    let now = state.now();
    let made = Processor {
        id: state.new_id(f.processor_prefix),
        workspace_id: ws.to_owned(),
        name,
        processor_type: f.processor_type,
        created_at: now,
        updated_at: now,
        draft_version: ProcessorVersion {
            id: state.new_id(f.version_prefix),
            version: DRAFT.to_owned(),
            description: None,
            config: std::sync::Arc::new(config),
            created_at: now,
            updated_at: now,
        },
        versions: Vec::new(),
        inline: false,
    };
    let answer = processor_object(f, &made);
    state.change_store(|store| store.add_processor(made))?;
    tracing::debug!(key = %caller.key_name, workspace = %ws, kind = f.processor_key, "created a processor");
    Ok(Json(answer))
}

/// `generate: {files: [url | id] (1 to 5), instructions?}`: the config of
/// the document kind the first file's name names (an invoice's schema for
/// `invoice.pdf`), as the runs with no config infer theirs.
fn generated_config(
    state: &AppState,
    workspace_id: &str,
    generate: &JsonObject,
) -> Result<JsonObject, ApiError> {
    let Some(Value::Array(files)) = generate.get("files") else {
        return Err(invalid_field("generate.files", "is required: 1 to 5 files"));
    };
    if !(1..=5).contains(&files.len()) {
        return Err(invalid_field("generate.files", "must hold 1 to 5 files"));
    }
    let mut names = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let at = format!("generate.files[{i}]");
        match (
            file.get("url").and_then(Value::as_str),
            file.get("id").and_then(Value::as_str),
        ) {
            (Some(url), None) => names.push(
                file.get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(url)
                    .to_owned(),
            ),
            (None, Some(id)) => {
                let store = state.store();
                let stored = store
                    .file(workspace_id, id)
                    .ok_or_else(|| ApiError::FileNotFound(id.to_owned()))?;
                names.push(stored.name.clone());
            }
            _ => return Err(invalid_field(&at, "give exactly one of `url` or `id`")),
        }
    }
    Ok(JsonObject::clone(&builtin_config(
        &names.join(" "),
        ProcessorType::Extract,
    )))
}

pub async fn retrieve(
    f: &'static Family,
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let store = state.store();
    let p = processor(f, &store, &caller.workspace_id, &id)?;
    Ok(Json(processor_object(f, p)))
}

/// `POST /extractors/{id}`: `name`, and `config`, which replaces the draft's.
pub async fn update(
    f: &'static Family,
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let body: JsonObject = json_body(body)?;
    let name = name_field(&body)?;
    let config = config_field(f, &body)?;
    let ws = caller.workspace_id.as_str();
    processor(f, &state.store(), ws, &id)?;
    let answer = state.change_store(|store| {
        store.edit_processor(ws, &id, |p| {
            let now = state.now().max(p.updated_at);
            if let Some(name) = name {
                p.name = name;
            }
            if let Some(config) = config {
                p.draft_version.config = std::sync::Arc::new(config);
                p.draft_version.updated_at = now;
            }
            p.updated_at = now;
            Ok::<_, ApiError>(processor_object(f, p))
        })
    })?;
    Ok(Json(answer))
}

/// `GET /extractors/{id}/versions`: the draft first, then the published
/// versions newest first (`sortDir=asc`: the other way round), in pages.
pub async fn versions(
    f: &'static Family,
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    // A versions token is its processor's: signed with its id.
    let paging = parse_catalogue_query(
        raw.as_deref(),
        false,
        &id,
        crate::domain::PagedResource::ProcessorVersions,
        ws,
        &state.signer,
        state.settings.paging,
    )?;
    let store = state.store();
    let p = processor(f, &store, ws, &id)?;
    // Newest first is the draft, then the highest number; a version's place
    // is its index in that order.
    let mut all: Vec<&ProcessorVersion> = std::iter::once(&p.draft_version)
        .chain(p.versions.iter().rev())
        .collect();
    if paging.order.dir == SortDir::Asc {
        all.reverse();
    }
    let start = match &paging.after {
        Some(after) => all
            .iter()
            .position(|v| v.id == after.id)
            .map_or(all.len(), |i| i + 1),
        None => 0,
    };
    let end = (start + paging.page_size).min(all.len());
    let data: Vec<Value> = all[start..end]
        .iter()
        .map(|v| version_object(f, p, v, false))
        .collect();
    let mut answer = json!({"object": "list", "data": data});
    if end < all.len() {
        let last = all[end - 1];
        answer["nextPageToken"] = json!(page_token(
            &state.signer,
            crate::domain::PagedResource::ProcessorVersions,
            ws,
            paging.order,
            p.id.clone(),
            Position {
                at_nanos: last.created_at.unix_nanos(),
                id: last.id.clone(),
            },
        ));
    }
    Ok(Json(answer))
}

#[derive(Clone, Copy)]
enum ReleaseType {
    Major,
    Minor,
}

/// `POST /extractors/{id}/versions`: publishes the draft (or `config`) as
/// the next `major` (`1.0`, `2.0`) or `minor` (`1.1`) version.
pub async fn publish(
    f: &'static Family,
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let body: JsonObject = json_body(body)?;
    let release = match body.get("releaseType").and_then(Value::as_str) {
        Some("major") => ReleaseType::Major,
        Some("minor") => ReleaseType::Minor,
        Some(other) => {
            return Err(invalid_field(
                "releaseType",
                format!("`{other}` is not one of major, minor"),
            ));
        }
        None => return Err(invalid_field("releaseType", "is required: major or minor")),
    };
    let description = string_field(&body, "description", "description")?;
    let config = config_field(f, &body)?;
    let ws = caller.workspace_id.as_str();
    processor(f, &state.store(), ws, &id)?;
    let version_id = state.new_id(f.version_prefix);
    let answer = state.change_store(|store| {
        store.edit_processor(ws, &id, |p| {
            let now = state.now().max(p.updated_at);
            let major = matches!(release, ReleaseType::Major);
            let config = config.map(std::sync::Arc::new);
            let version = p
                .publish(version_id, major, description, config, now)
                .ok_or_else(crate::routes::processors::too_many_versions)?
                .clone();
            let answer = version_object(f, p, &version, true);
            Ok::<_, ApiError>(answer)
        })
    })?;
    tracing::debug!(key = %caller.key_name, processor = %id, "published a version");
    Ok(Json(answer))
}

/// `GET /extractors/{id}/versions/{versionId}`: by id, number, `draft` or
/// `latest`.
pub async fn version(
    f: &'static Family,
    Sandbox(state): Sandbox,
    caller: Caller,
    Path((id, version_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let store = state.store();
    let p = processor(f, &store, &caller.workspace_id, &id)?;
    let v = match p.version(&version_id) {
        Some(v) => v,
        None => resolve_version(f, p, Some(&version_id))?,
    };
    Ok(Json(version_object(f, p, v, true)))
}
