//! `GET /processor_runs` and its legacy alias `/v1/processor_runs`.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::model::RunSummary;
use crate::query::{next_page_token, parse_list_query};
use crate::state::AppState;
use crate::store::PageRequest;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListResponse<'a> {
    success: bool,
    processor_runs: Vec<RunSummary<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page_token: Option<String>,
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
    // Serialize under the read lock, straight from the store; the guard drops
    // before the response is sent.
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
        let next = page
            .has_more
            .then(|| page.last_position(query.order.by))
            .flatten()
            .map(|position| next_page_token(&state.signer, &caller.workspace_id, &query, position));
        serde_json::to_vec(&ListResponse {
            success: true,
            processor_runs: page.runs.iter().map(|run| RunSummary::from(*run)).collect(),
            next_page_token: next,
        })
        .map_err(anyhow::Error::from)?
    };
    tracing::debug!(key = %caller.key_name, workspace = %caller.workspace_id, "listed runs");
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
