//! The processor-run resource: `GET /processor_runs` (the list),
//! `GET /processor_runs/{id}` (the full run) and `DELETE /processor_runs/{id}`,
//! each also under the legacy `/v1` prefix.

use std::sync::Arc;

use bytes::Bytes;

use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::full_run::full_run;
use crate::http::auth::Caller;
use crate::http::error::ApiError;
use crate::http::query::{next_page_token, parse_list_query};
use crate::http::wire::full::{FULL_RUN_BYTES, write_full_run};
use crate::http::wire::json;
use crate::http::wire::summary::{SUMMARY_BYTES, write_summaries};
use crate::state::AppState;
use crate::store::{PageRequest, StoreError};

/// The message the API answers a delete with.
pub const DELETED_MESSAGE: &str = "Document processor run data has been successfully deleted.";

fn json_response(body: impl Into<Bytes>) -> Response {
    let body: Bytes = body.into();
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

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
    State(state): State<Arc<AppState>>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = parse_list_query(
        raw.as_deref(),
        &caller.workspace_id,
        &state.signer,
        state.settings.paging,
    )?;
    // Written under the read lock, straight from the store, into one buffer
    // sized for the page; the guard drops before the response is sent.
    let body = {
        let store = state.store();
        let page = store.page(
            &caller.workspace_id,
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
            let token = next_page_token(&state.signer, &caller.workspace_id, &query, position);
            body.extend_from_slice(b",\"nextPageToken\":");
            json::write_str(&mut body, &token);
        }
        body.push(b'}');
        body
    };
    tracing::debug!(key = %caller.key_name, workspace = %caller.workspace_id, "listed runs");
    Ok(json_response(body))
}

/// The full run, derived on read where the store holds no pinned fields.
pub async fn get(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let body = {
        let store = state.store();
        let run = store
            .get(&caller.workspace_id, &id)
            .map_err(|e| not_found(e, &id))?;
        // Looked up only once the workspace check has passed.
        if let Some(body) = state.full_runs.get(&id) {
            return Ok(json_response(body));
        }
        let (kind, config) = store.run_processor(&caller.workspace_id, &run);
        let mut body = Vec::with_capacity(FULL_RUN_BYTES);
        body.extend_from_slice(b"{\"success\":true,\"processorRun\":");
        write_full_run(&full_run(&run, kind, config), &mut body);
        body.push(b'}');
        let body = Bytes::from(body);
        state.full_runs.put(&id, body.clone());
        body
    };
    Ok(json_response(body))
}

/// Deletes for good: the run leaves every list, page walk and export until
/// `POST /_mock/reset` rebuilds the start-up state.
pub async fn delete(
    State(state): State<Arc<AppState>>,
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
