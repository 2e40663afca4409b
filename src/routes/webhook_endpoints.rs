//! Webhook endpoints, as the SDKs' `webhook_endpoints` client calls them:
//! `POST /webhook_endpoints` (answers the `signingSecret`, once),
//! `GET /webhook_endpoints`, `GET`, `POST` (update) and `DELETE
//! /webhook_endpoints/{id}`. Bodies are bare objects, as the SDK types
//! them. An endpoint of another workspace is not found.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::{
    AdvancedOptions, ApiVersion, EndpointStatus, EventType, PagedResource, PayloadFormat, Position,
    WebhookEndpoint, check_headers, check_url, object_or_null,
};
use crate::http::auth::Caller;
use crate::http::body::{invalid_field, json_body, non_empty};
use crate::http::context::Sandbox;
use crate::http::error::ApiError;
use crate::http::query::{page_token, parse_endpoint_query};

const ENDPOINT_PREFIX: &str = "wh_";
/// Endpoints one workspace may have: every run's end is offered to each.
pub const MAX_ENDPOINTS: usize = 100;
const SECRET_PREFIX: &str = "wss_";

/// The API's `WebhookEndpoint`; with `signingSecret` only when made.
pub fn endpoint_json(e: &WebhookEndpoint, with_secret: bool) -> Value {
    let mut object = json!({
        "object": "webhook_endpoint",
        "id": e.id,
        "url": e.url,
        "name": e.name,
        "status": e.status.as_str(),
        "enabledEvents": e.enabled_events,
        "apiVersion": e.api_version.as_str(),
        "createdAt": e.created_at.to_rfc3339(),
        // Every key the SDK's type declares, `null` where empty; no key
        // made through the emulator has a user or key name to show.
        "advancedOptions": e.advanced_options,
        "createdBy": null,
    });
    if with_secret {
        object["signingSecret"] = json!(e.signing_secret);
    }
    object
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Create {
    url: Option<String>,
    name: Option<String>,
    enabled_events: Option<Vec<EventType>>,
    api_version: Option<String>,
    status: Option<EndpointStatus>,
    #[serde(default, deserialize_with = "object_or_null")]
    advanced_options: Option<AdvancedOptions>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Update {
    url: Option<String>,
    name: Option<String>,
    enabled_events: Option<Vec<EventType>>,
    status: Option<EndpointStatus>,
    #[serde(default, deserialize_with = "object_or_null")]
    advanced_options: Option<AdvancedOptions>,
    api_version: Option<Value>,
}

fn required<T>(field: &str, value: Option<T>) -> Result<T, ApiError> {
    value.ok_or_else(|| invalid_field(field, "is required"))
}

fn checked_url(url: &str) -> Result<(), ApiError> {
    check_url(url).map_err(|reason| invalid_field("url", reason))
}

/// Extra headers must be sendable and must not stand in for the ones the
/// signature depends on; a signed link for large payloads is not emulated.
fn checked_options(options: &AdvancedOptions) -> Result<(), ApiError> {
    check_headers(options).map_err(|(name, reason)| {
        invalid_field(&format!("advancedOptions.headers.{name}"), reason)
    })?;
    if let Some(payload) = &options.payload
        && payload.format == PayloadFormat::Url
    {
        return Err(ApiError::NotImplemented {
            method: "POST".into(),
            path: "/webhook_endpoints with advancedOptions.payload.format `url` (payloads \
                   as signed links)"
                .into(),
        });
    }
    Ok(())
}

/// An endpoint's `enabledEvents`: the workflow runs' events are not among
/// them (they reach an endpoint through a workflow's subscription).
fn endpoint_events(events: &[EventType]) -> Result<(), ApiError> {
    match events.iter().find(|e| !e.is_endpoint_event()) {
        Some(event) => Err(invalid_field(
            "enabledEvents",
            format!(
                "`{event}` is sent only through a webhook subscription to a workflow \
                 (POST /webhook_subscriptions with resourceType `workflow`), not to an \
                 endpoint's own events"
            ),
        )),
        None => Ok(()),
    }
}

pub async fn create(
    Sandbox(state): Sandbox,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let body: Create = json_body(body)?;
    let url = required("url", body.url)?;
    checked_url(&url)?;
    let name = required("name", body.name)?;
    non_empty("name", &name)?;
    let enabled_events = required("enabledEvents", body.enabled_events)?;
    endpoint_events(&enabled_events)?;
    let api_version = required("apiVersion", body.api_version)?;
    let api_version =
        ApiVersion::parse(&api_version).map_err(|e| invalid_field("apiVersion", e))?;
    if let Some(options) = &body.advanced_options {
        checked_options(options)?;
    }
    let endpoint = WebhookEndpoint {
        id: state.new_id(ENDPOINT_PREFIX),
        workspace_id: caller.workspace_id.clone(),
        url,
        name,
        status: body.status.unwrap_or(EndpointStatus::Enabled),
        enabled_events,
        api_version,
        advanced_options: body.advanced_options,
        signing_secret: state.new_secret(SECRET_PREFIX),
        created_at: state.now(),
    };
    let answer = endpoint_json(&endpoint, true);
    state.change_store(|store| {
        if store.endpoints_in(&caller.workspace_id).count() >= MAX_ENDPOINTS {
            return Err(ApiError::InvalidRequest(format!(
                "This workspace has {MAX_ENDPOINTS} webhook endpoints, the most extend-mock \
                 keeps for one workspace; delete one first"
            )));
        }
        store.add_endpoint(endpoint).map_err(ApiError::from)
    })?;
    tracing::debug!(key = %caller.key_name, workspace = %caller.workspace_id, endpoint = %answer["id"], "made a webhook endpoint");
    Ok(Json(answer))
}

pub async fn list(
    Sandbox(state): Sandbox,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let query = parse_endpoint_query(
        raw.as_deref(),
        &caller.workspace_id,
        &state.signer,
        state.settings.paging,
    )?;
    let paging = &query.paging;
    let store = state.store();
    let (page, more) = store.endpoint_page(
        &caller.workspace_id,
        query.status,
        paging.order.dir,
        paging.after.as_ref(),
        paging.page_size,
    );
    let mut answer = json!({
        "object": "list",
        "data": page.iter().map(|e| endpoint_json(e, false)).collect::<Vec<_>>(),
    });
    if more && let Some(last) = page.last() {
        answer["nextPageToken"] = json!(page_token(
            &state.signer,
            PagedResource::WebhookEndpoints,
            &caller.workspace_id,
            paging.order,
            query.fingerprint(),
            Position {
                at_nanos: last.created_at.unix_nanos(),
                id: last.id.clone(),
            },
        ));
    }
    Ok(Json(answer))
}

pub async fn retrieve(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let store = state.store();
    let endpoint = store
        .endpoint(&caller.workspace_id, &id)
        .ok_or(ApiError::EndpointNotFound(id))?;
    Ok(Json(endpoint_json(endpoint, false)))
}

/// Only the fields sent change; `apiVersion` never does (as documented).
pub async fn update(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let body: Update = json_body(body)?;
    if body.api_version.is_some() {
        return Err(invalid_field(
            "apiVersion",
            "cannot be changed after the endpoint is made; make a new endpoint",
        ));
    }
    if let Some(url) = &body.url {
        checked_url(url)?;
    }
    if let Some(name) = &body.name {
        non_empty("name", name)?;
    }
    if let Some(options) = &body.advanced_options {
        checked_options(options)?;
    }
    if let Some(events) = &body.enabled_events {
        endpoint_events(events)?;
    }
    let answer = state.change_store(|store| {
        store.edit_endpoint(&caller.workspace_id, &id, |e| {
            if let Some(url) = body.url {
                e.url = url;
            }
            if let Some(name) = body.name {
                e.name = name;
            }
            if let Some(status) = body.status {
                e.status = status;
            }
            if let Some(events) = body.enabled_events {
                e.enabled_events = events;
            }
            if let Some(options) = body.advanced_options {
                e.advanced_options = Some(options);
            }
            Ok::<_, ApiError>(endpoint_json(e, false))
        })
    })?;
    Ok(Json(answer))
}

pub async fn delete(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    state.change_store(|store| store.remove_endpoint(&caller.workspace_id, &id))?;
    Ok(Json(json!({ "id": id })))
}
