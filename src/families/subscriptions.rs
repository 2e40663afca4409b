//! Webhook subscriptions: `/webhook_subscriptions` (list, create, retrieve,
//! update, delete). A subscription sends an endpoint the events of one
//! resource: a workflow's `workflow_run.*` (which reach endpoints no other
//! way), or an extractor's, classifier's or splitter's run and batch events
//! (besides whatever the endpoint takes for every run). Creating one for an
//! endpoint and resource that already have one changes that one instead.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery};
use serde_json::{Value, json};

use super::runs::string_field;
use crate::domain::{EventType, JsonObject, PagedResource, ProcessorType, SubscriptionResource};
use crate::http::auth::Caller;
use crate::http::body::{invalid_field, json_body};
use crate::http::context::Sandbox;
use crate::http::error::ApiError;
use crate::http::query::{TableList, id_value, parse_table_query};
use crate::store::Store;
use crate::store::workflows::Subscription;

/// The most subscriptions a workspace keeps.
pub const MAX_SUBSCRIPTIONS: usize = 1000;

fn not_found(id: &str) -> ApiError {
    ApiError::Missing(format!("Webhook subscription `{id}` not found"))
}

/// `WebhookSubscription`.
pub fn subscription_object(s: &Subscription) -> Value {
    json!({
        "object": "webhook_subscription",
        "id": s.id,
        "webhookEndpointId": s.endpoint_id,
        "resourceType": s.resource_type.as_str(),
        "resourceId": s.resource_id,
        "enabledEvents": s.enabled_events,
        "createdAt": s.created_at.to_rfc3339(),
    })
}

/// `enabledEvents`: events a subscription to a `resource` may enable.
fn read_events(
    body: &JsonObject,
    resource: Option<SubscriptionResource>,
) -> Result<Vec<EventType>, ApiError> {
    let Some(list) = body.get("enabledEvents").and_then(Value::as_array) else {
        return Err(invalid_field(
            "enabledEvents",
            "is required: an array of event types",
        ));
    };
    let mut events = Vec::with_capacity(list.len());
    for (i, event) in list.iter().enumerate() {
        let at = format!("enabledEvents[{i}]");
        let raw = event
            .as_str()
            .ok_or_else(|| invalid_field(&at, "must be a string"))?;
        let event = EventType::parse(raw).map_err(|e| invalid_field(&at, e))?;
        if let Some(resource) = resource
            && !event.subscribable(resource)
        {
            let allowed: Vec<&str> = EventType::ALL
                .iter()
                .filter(|e| e.subscribable(resource))
                .map(|e| e.as_str())
                .collect();
            return Err(invalid_field(
                &at,
                format!(
                    "`{raw}` is not sent through `resourceType` `{resource}`, which takes {}",
                    allowed.join(", ")
                ),
            ));
        }
        if !events.contains(&event) {
            events.push(event);
        }
    }
    Ok(events)
}

/// The resource a subscription names exists in the workspace, of its type.
fn check_resource(
    store: &Store,
    workspace_id: &str,
    resource: SubscriptionResource,
    id: &str,
) -> Result<(), ApiError> {
    let kind = match resource {
        SubscriptionResource::Workflow => {
            return match store.workflows.workflows.get(workspace_id, id) {
                Some(_) => Ok(()),
                None => Err(invalid_field(
                    "resourceId",
                    format!("no workflow `{id}` in this workspace"),
                )),
            };
        }
        SubscriptionResource::Extractor => ProcessorType::Extract,
        SubscriptionResource::Classifier => ProcessorType::Classify,
        SubscriptionResource::Splitter => ProcessorType::Splitter,
    };
    match store.processor(workspace_id, id) {
        Some(p) if !p.inline && p.processor_type == kind => Ok(()),
        _ => Err(invalid_field(
            "resourceId",
            format!("no {resource} `{id}` in this workspace"),
        )),
    }
}

/// `POST /webhook_subscriptions`: `{webhookEndpointId, resourceType,
/// resourceId, enabledEvents}`; an existing one for the same endpoint and
/// resource gets the events instead.
pub async fn create(
    Sandbox(state): Sandbox,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    let body: JsonObject = json_body(body)?;
    let endpoint_id = string_field(&body, "webhookEndpointId", "webhookEndpointId")?
        .ok_or_else(|| invalid_field("webhookEndpointId", "is required"))?;
    let resource = string_field(&body, "resourceType", "resourceType")?
        .ok_or_else(|| invalid_field("resourceType", "is required"))?;
    let resource =
        SubscriptionResource::parse(&resource).map_err(|e| invalid_field("resourceType", e))?;
    let resource_id = string_field(&body, "resourceId", "resourceId")?
        .ok_or_else(|| invalid_field("resourceId", "is required"))?;
    let events = read_events(&body, Some(resource))?;
    let id = state.new_id("whes_");
    let now = state.now();
    let answer = state.change_store(|store| {
        let Some(endpoint) = store.endpoint(ws, &endpoint_id) else {
            return Err(invalid_field(
                "webhookEndpointId",
                format!("no webhook endpoint `{endpoint_id}` in this workspace"),
            ));
        };
        // The events a subscription sends are the current API's.
        if endpoint.api_version < crate::domain::ApiVersion::V2026_02_09 {
            return Err(invalid_field(
                "webhookEndpointId",
                format!(
                    "webhook endpoint `{endpoint_id}` is pinned to API version {}; \
                     subscriptions send events of 2026-02-09 and later",
                    endpoint.api_version
                ),
            ));
        }
        check_resource(store, ws, resource, &resource_id)?;
        let existing = store
            .workflows
            .subscriptions
            .in_workspace(ws)
            .find(|s| {
                s.endpoint_id == endpoint_id
                    && s.resource_type == resource
                    && s.resource_id == resource_id
            })
            .map(|s| s.id.clone());
        if let Some(existing) = existing {
            let kept = store
                .workflows
                .subscriptions
                .get_mut(ws, &existing)
                .expect("found above");
            kept.enabled_events = events;
            return Ok(subscription_object(kept));
        }
        if store.workflows.subscriptions.in_workspace(ws).count() >= MAX_SUBSCRIPTIONS {
            return Err(ApiError::InvalidRequest(format!(
                "This workspace has {MAX_SUBSCRIPTIONS} webhook subscriptions, the most \
                 extend-mock keeps; delete some first"
            )));
        }
        let made = Subscription {
            id,
            workspace_id: ws.to_owned(),
            endpoint_id,
            resource_type: resource,
            resource_id,
            enabled_events: events,
            created_at: now,
        };
        let answer = subscription_object(&made);
        store.workflows.subscriptions.insert(made);
        Ok(answer)
    })?;
    Ok(Json(answer))
}

/// `GET /webhook_subscriptions/{id}`.
pub async fn retrieve(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let store = state.store();
    let found = store
        .workflows
        .subscriptions
        .get(&caller.workspace_id, &id)
        .ok_or_else(|| not_found(&id))?;
    Ok(Json(subscription_object(found)))
}

/// `POST /webhook_subscriptions/{id}`: `{enabledEvents}`.
pub async fn update(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    let body: JsonObject = json_body(body)?;
    let resource = state
        .store()
        .workflows
        .subscriptions
        .get(ws, &id)
        .map(|s| s.resource_type)
        .ok_or_else(|| not_found(&id))?;
    let events = read_events(&body, Some(resource))?;
    let answer = state.change_store(|store| {
        let found = store
            .workflows
            .subscriptions
            .get_mut(ws, &id)
            .ok_or_else(|| not_found(&id))?;
        found.enabled_events = events;
        Ok::<_, ApiError>(subscription_object(found))
    })?;
    Ok(Json(answer))
}

/// `DELETE /webhook_subscriptions/{id}`.
pub async fn delete(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    state.change_store(|store| {
        store
            .workflows
            .subscriptions
            .remove(&caller.workspace_id, &id)
            .ok_or_else(|| not_found(&id))
    })?;
    Ok(Json(json!({ "id": id })))
}

/// `GET /webhook_subscriptions`: by `webhookEndpointId`, `resourceId`; by
/// `createdAt`, in pages.
pub async fn list(
    Sandbox(state): Sandbox,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    let mut query = parse_table_query(
        raw.as_deref(),
        TableList {
            resource: PagedResource::WebhookSubscriptions,
            filters: &["webhookEndpointId", "resourceId"],
            scope: None,
            with_sort_by: false,
        },
        ws,
        &state.signer,
        state.settings.paging,
    )?;
    let endpoint = id_value("webhookEndpointId", query.filters[0].take())?;
    let resource = id_value("resourceId", query.filters[1].take())?;
    let store = state.store();
    let matching: Vec<&Subscription> = store
        .workflows
        .subscriptions
        .in_workspace(ws)
        .filter(|s| endpoint.as_ref().is_none_or(|e| &s.endpoint_id == e))
        .filter(|s| resource.as_ref().is_none_or(|r| &s.resource_id == r))
        .collect();
    Ok(Json(super::table_page(
        &state,
        ws,
        &query,
        matching,
        |s: &Subscription, _| (s.created_at.unix_nanos(), s.id.as_str()),
        subscription_object,
    )))
}

/// The endpoints a subscription to `resource_id` sends `event` to: enabled
/// ones, once each.
pub fn subscribed_endpoints(
    store: &Store,
    workspace_id: &str,
    resource_id: &str,
    event: EventType,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in store.workflows.subscriptions.in_workspace(workspace_id) {
        if s.resource_id == resource_id
            && s.enabled_events.contains(&event)
            && store
                .endpoint(workspace_id, &s.endpoint_id)
                .is_some_and(|e| e.status == crate::domain::EndpointStatus::Enabled)
            && !out.contains(&s.endpoint_id)
        {
            out.push(s.endpoint_id.clone());
        }
    }
    out
}
