//! `/_mock/sandboxes`: make, list, show and drop isolated states.

use super::*;

/// A sandbox as the control plane shows it: its name, its keys (the tokens
/// to give the code under test) and what it holds.
pub(super) fn describe(state: &AppState) -> Value {
    let mut answer = counts(state);
    answer["sandbox"] = json!(state.sandbox_name().unwrap_or(sandboxes::DEFAULT));
    answer["apiKeys"] = json!(state.store().keys());
    answer
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SandboxQuery {
    name: Option<String>,
}

/// `POST /_mock/sandboxes[?name=…]`: a fixture document in (none: the
/// server's own start-up fixtures), the sandbox's keys out. Built off the
/// async workers: a large seed takes a while.
pub(super) async fn create_sandbox(
    State(server): State<Arc<Server>>,
    query: Result<Query<SandboxQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Query(SandboxQuery { name }) = query.map_err(|e| {
        ApiError::InvalidRequest(format!("{}; sandboxes take `name` only", e.body_text()))
    })?;
    let bytes = body.map_err(|e| ApiError::InvalidRequest(format!("{REQUEST_BODY}: {e}")))?;
    let document = match bytes.iter().all(u8::is_ascii_whitespace) {
        true => None,
        false => Some(sandboxes::parse_document(&bytes)?),
    };
    let state = tokio::task::spawn_blocking(move || server.create(name, document))
        .await
        .map_err(anyhow::Error::from)??;
    Ok((StatusCode::CREATED, Json(describe(&state))))
}

pub(super) async fn list_sandboxes(State(server): State<Arc<Server>>) -> Json<Value> {
    let all: Vec<Value> = server.list().iter().map(|s| describe(s)).collect();
    Json(json!({"success": true, "sandboxes": all}))
}

pub(super) async fn show_sandbox(
    State(server): State<Arc<Server>>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let state = server
        .get(&name)
        .ok_or_else(|| ApiError::SandboxNotFound(name.clone()))?;
    Ok(Json(describe(&state)))
}

pub(super) async fn drop_sandbox(
    State(server): State<Arc<Server>>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    server.drop_sandbox(&name)?;
    Ok(Json(json!({"success": true, "dropped": name})))
}
