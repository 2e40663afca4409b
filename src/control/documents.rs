//! The state in and out: `GET`/`PUT /_mock/fixtures`, `POST /_mock/processor_runs`.

use super::*;

pub(super) async fn get_fixtures(Sandbox(state): Sandbox) -> Result<Response, ApiError> {
    // Serialized under the read lock, straight from the store.
    let body =
        serde_json::to_vec(&fixtures::export(&state.store())).map_err(anyhow::Error::from)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

pub(super) async fn put_fixtures(
    Sandbox(state): Sandbox,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let mut document: Document = parse_body(body)?;
    state.mint_keys(&mut document);
    // Built and checked with no lock held; a bad document returns here.
    let next = fixtures::build_store(vec![(REQUEST_BODY.to_owned(), document)])
        .map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    state.replace_store(next);
    tracing::info!("fixtures replaced through /_mock/fixtures");
    Ok(Json(counts(&state)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct AddRuns {
    processor_runs: Vec<ProcessorRun>,
}

pub(super) async fn add_runs(
    Sandbox(state): Sandbox,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let AddRuns { processor_runs } = parse_body(body)?;
    let added = state.add_runs(processor_runs).map_err(|(i, reason)| {
        ApiError::InvalidRequest(format!("request body: processorRuns[{i}]: {reason}"))
    })?;
    let mut answer = counts(&state);
    answer["added"] = json!(added);
    Ok((StatusCode::CREATED, Json(answer)))
}
