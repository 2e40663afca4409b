//! The processor catalogue, as the SDKs' `processor` and `processor_version`
//! clients call it: `GET`/`POST /processors`, `POST /processors/{id}`,
//! `GET /processors/{id}/versions`, `POST /processors/{id}/publish` and
//! `GET /processors/{id}/versions/{versionId}`. A processor of another
//! workspace is not found, in the same words as one that does not exist.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::configs::check_config;
use crate::domain::{
    DRAFT, JsonObject, PagedResource, Position, Processor, ProcessorType, ProcessorVersion, SortBy,
    Timestamp,
};
use crate::http::auth::Caller;
use crate::http::body::{invalid_field, json_body, non_empty};
use crate::http::context::Sandbox;
use crate::http::error::ApiError;
use crate::http::query::{page_token, parse_processor_query};
use crate::http::wire::catalogue::{write_page, write_processor_item};

/// The id prefixes of what this resource makes (SPEC Part 4).
const PROCESSOR_PREFIX: &str = "ex_";
const VERSION_PREFIX: &str = "exv_";

/// A config from a request body, checked against the processor's type.
fn checked_config(
    processor_type: ProcessorType,
    config: JsonObject,
) -> Result<Arc<JsonObject>, ApiError> {
    check_config(processor_type, &config)
        .map_err(|(field, reason)| invalid_field(&format!("config{field}"), reason))?;
    Ok(Arc::new(config))
}

fn time(t: Timestamp) -> Value {
    Value::String(t.to_rfc3339())
}

/// `LegacyProcessorVersion`.
pub fn version_json(p: &Processor, v: &ProcessorVersion) -> Value {
    let mut object = Map::new();
    object.insert("object".into(), json!("document_processor_version"));
    object.insert("id".into(), json!(v.id));
    object.insert("processorId".into(), json!(p.id));
    object.insert("processorName".into(), json!(p.name));
    object.insert("processorType".into(), json!(p.processor_type.as_str()));
    if let Some(description) = &v.description {
        object.insert("description".into(), json!(description));
    }
    object.insert("version".into(), json!(v.version));
    object.insert(
        "config".into(),
        Value::Object(crate::configs::legacy_view(&v.config).into_owned()),
    );
    object.insert("createdAt".into(), time(v.created_at));
    object.insert("updatedAt".into(), time(v.updated_at));
    Value::Object(object)
}

/// `LegacyProcessor`: the processor with its draft.
fn processor_json(p: &Processor) -> Value {
    json!({
        "object": "document_processor",
        "id": p.id,
        "name": p.name,
        "type": p.processor_type.as_str(),
        "createdAt": time(p.created_at),
        "updatedAt": time(p.updated_at),
        "draftVersion": version_json(p, &p.draft_version),
    })
}

/// The draft first, then the published versions, newest first (the
/// catalogue keeps them in number order).
fn versions_newest_first(p: &Processor) -> impl Iterator<Item = &ProcessorVersion> {
    std::iter::once(&p.draft_version).chain(p.versions.iter().rev())
}

fn position(p: &Processor, by: SortBy) -> Position {
    let at = match by {
        SortBy::CreatedAt => p.created_at,
        SortBy::UpdatedAt => p.updated_at,
    };
    Position {
        at_nanos: at.unix_nanos(),
        id: p.id.clone(),
    }
}

pub async fn list(
    Sandbox(state): Sandbox,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = parse_processor_query(
        raw.as_deref(),
        &caller.workspace_id,
        &state.signer,
        state.settings.paging,
    )?;
    let paging = &query.paging;
    let body = {
        let store = state.store();
        let (page, more) = store.processor_page(
            &caller.workspace_id,
            query.processor_type,
            paging.order,
            paging.after.as_ref(),
            paging.page_size,
        );
        let token = more.then(|| page.last()).flatten().map(|last| {
            page_token(
                &state.signer,
                PagedResource::Processors,
                &caller.workspace_id,
                paging.order,
                query.fingerprint(),
                position(last, paging.order.by),
            )
        });
        write_page(
            b"{\"success\":true,\"processors\":[",
            &page,
            |buf, p| write_processor_item(buf, p),
            token,
        )
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateProcessor {
    name: String,
    #[serde(rename = "type")]
    processor_type: ProcessorType,
    clone_processor_id: Option<String>,
    config: Option<JsonObject>,
}

pub async fn create(
    Sandbox(state): Sandbox,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let request: CreateProcessor = json_body(body)?;
    non_empty("name", &request.name)?;
    let kind = request.processor_type;
    let ws = caller.workspace_id.as_str();
    let config = match (request.config, request.clone_processor_id) {
        (Some(_), Some(_)) => {
            return Err(invalid_field(
                "config",
                "give `config` or `cloneProcessorId`, not both",
            ));
        }
        (None, None) => {
            return Err(invalid_field(
                "config",
                "one of `config` or `cloneProcessorId` is required",
            ));
        }
        (Some(config), None) => checked_config(kind, config)?,
        (None, Some(source)) => {
            let store = state.store();
            let source = store
                .processor(ws, &source)
                .ok_or(ApiError::ProcessorNotFound(source))?;
            if source.processor_type != kind {
                return Err(invalid_field(
                    "cloneProcessorId",
                    format!(
                        "processor `{}` is `{}`, not `{kind}`",
                        source.id, source.processor_type
                    ),
                ));
            }
            source.draft_version.config.clone()
        }
    };
    let now = state.now();
    let processor = Processor {
        id: state.new_id(PROCESSOR_PREFIX),
        workspace_id: ws.to_owned(),
        name: request.name,
        processor_type: kind,
        created_at: now,
        updated_at: now,
        draft_version: ProcessorVersion {
            id: state.new_id(VERSION_PREFIX),
            version: DRAFT.to_owned(),
            description: None,
            config,
            created_at: now,
            updated_at: now,
        },
        versions: Vec::new(),
        inline: false,
    };
    let body = json!({"success": true, "processor": processor_json(&processor)});
    state.change_store(|store| store.add_processor(processor))?;
    tracing::debug!(key = %caller.key_name, workspace = %ws, "created a processor");
    Ok(Json(body))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateProcessor {
    name: Option<String>,
    config: Option<JsonObject>,
}

pub async fn update(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let request: UpdateProcessor = json_body(body)?;
    if let Some(name) = &request.name {
        non_empty("name", name)?;
    }
    let processor = state.change_store(|store| {
        store.edit_processor(&caller.workspace_id, &id, |p| {
            let config = request
                .config
                .map(|c| checked_config(p.processor_type, c))
                .transpose()?;
            let now = state.now().max(p.updated_at);
            if let Some(name) = request.name {
                p.name = name;
            }
            if let Some(config) = config {
                p.draft_version.config = config;
                p.draft_version.updated_at = now;
            }
            p.updated_at = now;
            Ok::<_, ApiError>(processor_json(p))
        })
    })?;
    Ok(Json(json!({"success": true, "processor": processor})))
}

pub async fn versions(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let store = state.store();
    let p = store
        .processor(&caller.workspace_id, &id)
        .ok_or(ApiError::ProcessorNotFound(id))?;
    let versions: Vec<Value> = versions_newest_first(p)
        .map(|v| version_json(p, v))
        .collect();
    Ok(Json(json!({"success": true, "versions": versions})))
}

pub async fn version(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path((id, version_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let store = state.store();
    let p = store
        .processor(&caller.workspace_id, &id)
        .ok_or(ApiError::ProcessorNotFound(id))?;
    let v = p
        .version(&version_id)
        .ok_or(ApiError::VersionNotFound(version_id))?;
    Ok(Json(
        json!({"success": true, "version": version_json(p, v)}),
    ))
}

/// A publish past the largest version number a processor can have.
pub fn too_many_versions() -> ApiError {
    invalid_field(
        "releaseType",
        "the version number would pass the largest one",
    )
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ReleaseType {
    Major,
    Minor,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Publish {
    release_type: ReleaseType,
    description: Option<String>,
    config: Option<JsonObject>,
}

pub async fn publish(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let request: Publish = json_body(body)?;
    let version_id = state.new_id(VERSION_PREFIX);
    let published = state.change_store(|store| {
        store.edit_processor(&caller.workspace_id, &id, |p| {
            let config = request
                .config
                .map(|c| checked_config(p.processor_type, c))
                .transpose()?;
            let now = state.now().max(p.updated_at);
            let major = matches!(request.release_type, ReleaseType::Major);
            let version = p
                .publish(version_id, major, request.description, config, now)
                .ok_or_else(too_many_versions)?
                .clone();
            let answer = version_json(p, &version);
            Ok::<_, ApiError>(answer)
        })
    })?;
    tracing::debug!(key = %caller.key_name, processor = %id, "published a processor version");
    Ok(Json(
        json!({"success": true, "processorVersion": published}),
    ))
}
