//! The request journal (`/_mock/requests`) and injected faults (`/_mock/faults`).

use super::*;

/// `?method=GET&path=/processor_runs&status=400`, each optional.
pub(super) fn journal_filter(raw: Option<&str>) -> Result<JournalFilter, ApiError> {
    let mut filter = JournalFilter::default();
    for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        match name.as_ref() {
            "method" => filter.method = Some(value.into_owned()),
            "path" => filter.path = Some(value.into_owned()),
            "keyName" => filter.key_name = Some(value.into_owned()),
            "workspaceId" => filter.workspace_id = Some(value.into_owned()),
            "requestId" => filter.request_id = Some(value.into_owned()),
            "status" => {
                filter.status = Some(value.parse().map_err(|_| {
                    ApiError::InvalidRequest(format!(
                        "Invalid query parameter `status`: `{value}` is not an HTTP status"
                    ))
                })?)
            }
            other => {
                return Err(ApiError::InvalidRequest(format!(
                    "Unknown query parameter `{other}`; the journal filters by method, path, \
                     status, keyName, workspaceId and requestId"
                )));
            }
        }
    }
    Ok(filter)
}

pub(super) async fn list_requests(
    Sandbox(state): Sandbox,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let filter = journal_filter(raw.as_deref())?;
    let (requests, dropped, capacity) =
        state.journal(|j| (j.matching(&filter), j.dropped(), j.capacity()));
    Ok(Json(json!({
        "requests": requests,
        "dropped": dropped,
        "capacity": capacity,
    })))
}

/// One journal entry with the bodies kept (`requestBody`, `responseBody`:
/// JSON as JSON, other text as a string; absent when not kept).
pub(super) async fn show_request(
    Sandbox(state): Sandbox,
    Path(request_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let entry = state
        .journal(|j| j.by_request_id(&request_id))
        .ok_or_else(|| ApiError::RequestNotFound(request_id.clone()))?;
    let mut answer = json!(entry);
    let readable = |bytes: &Bytes| {
        serde_json::from_slice::<Value>(bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
    };
    if let Some(body) = &entry.request_body {
        answer["requestBody"] = readable(body);
    }
    if let Some(body) = &entry.response_body {
        answer["responseBody"] = readable(body);
    }
    Ok(Json(answer))
}

pub(super) async fn clear_requests(Sandbox(state): Sandbox) -> Json<Value> {
    let cleared = state.journal(|j| j.clear());
    Json(json!({ "success": true, "cleared": cleared }))
}

pub(super) async fn list_faults(Sandbox(state): Sandbox) -> Json<Value> {
    let faults = state.faults(|f| f.active().to_vec());
    Json(json!({ "faults": faults }))
}

pub(super) async fn add_fault(
    Sandbox(state): Sandbox,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let spec: FaultSpec = parse_body(body)?;
    let spec = spec
        .checked()
        .map_err(|reason| ApiError::InvalidRequest(format!("{REQUEST_BODY}: {reason}")))?;
    let fault = state.add_fault(spec);
    Ok((StatusCode::CREATED, Json(json!(fault))))
}

pub(super) async fn clear_faults(Sandbox(state): Sandbox) -> Json<Value> {
    let cleared = state.faults(|f| f.clear());
    Json(json!({ "success": true, "cleared": cleared }))
}
