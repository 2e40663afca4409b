//! Webhook deliveries: the paged list, one delivery, redelivery, test events.

use super::*;

/// `?endpointId=…&eventId=…&eventType=…&runId=…&state=…`, each optional.
pub(super) fn delivery_filter(raw: Option<&str>) -> Result<impl Fn(&Delivery) -> bool, ApiError> {
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
pub(super) fn delivery_page(raw: Option<&str>) -> Result<(usize, u64, String), ApiError> {
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
pub(super) async fn list_deliveries(
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
pub(super) async fn show_delivery(
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

pub(super) async fn clear_deliveries(Sandbox(state): Sandbox) -> Json<Value> {
    let cleared = state.webhooks.clear_finished();
    Json(json!({"success": true, "cleared": cleared}))
}

/// Sends a delivery's event again (same `eventId` and body, signed anew)
/// as a new delivery behind the endpoint's queue.
pub(super) async fn redeliver(
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
pub(super) struct TestEvent {
    endpoint_id: String,
    run_id: Option<String>,
}

/// Sends one endpoint the event of a run's end now, whatever it
/// subscribed to: the run given, or the workspace's latest PROCESSED or
/// FAILED run.
pub(super) async fn test_event(
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
