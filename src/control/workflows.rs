//! Reviewing workflow runs (`/_mock/workflow_runs/{id}/approve` and
//! `/reject`): the reviewer a HUMAN_REVIEW step waits for. Approved, the run
//! goes on past the review step; rejected, it is `REJECTED` with the note.

use super::*;

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct Review {
    /// Who reviewed it (`reviewedByUser`); a made-up address when absent.
    reviewer: Option<String>,
    /// A rejection's `rejectionNote`.
    note: Option<String>,
}

fn decide(state: &AppState, id: &str, approve: bool, review: Review) -> Result<Response, ApiError> {
    let workspace = state
        .store()
        .workflows
        .runs
        .by_id(id)
        .map(|r| r.workspace_id.clone())
        .ok_or_else(|| ApiError::Missing(format!("Workflow run `{id}` not found")))?;
    if approve && review.note.is_some() {
        return Err(ApiError::InvalidRequest(format!(
            "{REQUEST_BODY}: note: is a rejection's; an approval takes `reviewer` only"
        )));
    }
    let reviewer = review
        .reviewer
        .unwrap_or_else(|| crate::families::workflow_engine::DEFAULT_REVIEWER.to_owned());
    crate::families::workflow_engine::review(
        state,
        &workspace,
        id,
        approve,
        &reviewer,
        review.note,
    )?;
    tracing::info!(run = %id, approve, "reviewed a workflow run through /_mock/");
    let store = state.store();
    let run = store
        .workflows
        .runs
        .get(&workspace, id)
        .ok_or_else(|| ApiError::Missing(format!("Workflow run `{id}` not found")))?;
    Ok(Json(crate::families::workflow_runs::run_object(
        state, &store, run,
    ))
    .into_response())
}

pub(super) async fn approve(
    Sandbox(state): Sandbox,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    decide(&state, &id, true, optional_body(body)?)
}

pub(super) async fn reject(
    Sandbox(state): Sandbox,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    decide(&state, &id, false, optional_body(body)?)
}
