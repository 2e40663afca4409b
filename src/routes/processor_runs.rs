//! `GET /processor_runs` and its legacy alias `/v1/processor_runs`.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::json;
use crate::query::{next_page_token, parse_list_query};
use crate::state::AppState;
use crate::store::{PageRequest, SUMMARY_BYTES};

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
        page.write_json(&mut body);
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
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
