//! Steering runs: finish, fail or hold one (`/_mock/processor_runs/{id}/…`), and the
//! rules that decide how future runs end (`/_mock/rules`).

use super::*;

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct FinishRun {
    /// Served exactly as given; derived from the run's config when absent.
    output: Option<JsonObject>,
    credits: Option<f64>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct FailRun {
    failure_reason: Option<String>,
    failure_message: Option<String>,
}

/// Ends a `PROCESSING` or `PENDING` run now, whatever its time or marker,
/// and answers its full object as the API now serves it.
pub(super) fn end_run(
    state: &AppState,
    id: &str,
    verb: &str,
    change: RunChange,
) -> Result<Response, ApiError> {
    let workspace = state.change_store(|store| {
        let workspace = store
            .run_workspace(id)
            .ok_or_else(|| ApiError::RunNotFound(id.to_owned()))?
            .to_owned();
        let run = store
            .get(&workspace, id)
            .map_err(|_| ApiError::RunNotFound(id.to_owned()))?;
        if let Some(output) = &change.output {
            crate::openapi::check_output(run.processor_type, output)
                .map_err(|e| ApiError::InvalidRequest(format!("{REQUEST_BODY}: output: {e}")))?;
        }
        if !matches!(run.status, RunStatus::Processing | RunStatus::Pending) {
            return Err(ApiError::InvalidRequest(format!(
                "Processor run `{id}` is {}; only a PROCESSING or PENDING run can be {verb}",
                run.status
            )));
        }
        let change = RunChange {
            updated_at: Some(state.now().max(run.updated_at)),
            ..change
        };
        store
            .update(&workspace, id, change)
            .map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
        Ok(workspace)
    })?;
    tracing::info!(run = %id, "{verb} through /_mock/");
    crate::webhooks::run_ended(state, &workspace, id);
    full_run_body(state, &workspace, id)
        .map(|body| ([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

pub(super) async fn finish_run(
    Sandbox(state): Sandbox,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let FinishRun { output, credits } = optional_body(body)?;
    if crate::families::edit::is_form_run(&id) {
        let how = crate::families::edit::Steer::Finish { output, credits };
        return crate::families::edit::steer(&state, &id, how).map(|v| Json(v).into_response());
    }
    let change = RunChange {
        status: Some(RunStatus::Processed),
        credits: Some(credits.unwrap_or(1.0)),
        output,
        ..RunChange::default()
    };
    end_run(&state, &id, "finished", change)
}

pub(super) async fn fail_run(
    Sandbox(state): Sandbox,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let FailRun {
        failure_reason,
        failure_message,
    } = optional_body(body)?;
    if crate::families::edit::is_form_run(&id) {
        let how = crate::families::edit::Steer::Fail {
            reason: failure_reason,
            message: failure_message,
        };
        return crate::families::edit::steer(&state, &id, how).map(|v| Json(v).into_response());
    }
    let reason = failure_reason.unwrap_or_else(|| DEFAULT_FAILURE.to_owned());
    let message = failure_message.unwrap_or_else(|| failure_message_for(&reason));
    let change = RunChange {
        status: Some(RunStatus::Failed),
        failure: Some((reason, message)),
        ..RunChange::default()
    };
    end_run(&state, &id, "failed", change)
}

/// Keeps a run `PROCESSING` past its time, until it is finished, failed,
/// cancelled or deleted (or the state is reset).
pub(super) async fn hold_run(
    Sandbox(state): Sandbox,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if crate::families::edit::is_form_run(&id) {
        let how = crate::families::edit::Steer::Hold;
        return crate::families::edit::steer(&state, &id, how).map(|v| Json(v).into_response());
    }
    let workspace = {
        let store = state.store();
        let workspace = store
            .run_workspace(&id)
            .ok_or_else(|| ApiError::RunNotFound(id.clone()))?
            .to_owned();
        let status = store
            .get(&workspace, &id)
            .map_err(|_| ApiError::RunNotFound(id.clone()))?
            .status;
        if !matches!(status, RunStatus::Processing | RunStatus::Pending) {
            return Err(ApiError::InvalidRequest(format!(
                "Processor run `{id}` is {status}; only a PROCESSING or PENDING run can be held"
            )));
        }
        state.lifecycle.hold(&id);
        workspace
    };
    tracing::info!(run = %id, "held through /_mock/");
    full_run_body(&state, &workspace, &id)
        .map(|body| ([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

pub(super) async fn list_rules(Sandbox(state): Sandbox) -> Json<Value> {
    let rules = state
        .rules
        .lock()
        .expect("a thread panicked holding the rules");
    Json(json!({"success": true, "rules": rules.list()}))
}

pub(super) async fn add_rule(
    Sandbox(state): Sandbox,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let spec: RuleSpec = parse_body(body)?;
    let rule = state
        .rules
        .lock()
        .expect("a thread panicked holding the rules")
        .add(spec)
        .map_err(|reason| ApiError::InvalidRequest(format!("{REQUEST_BODY}: {reason}")))?;
    tracing::info!(rule = %rule.id, "rule added through /_mock/rules");
    Ok((
        StatusCode::CREATED,
        Json(json!({"success": true, "rule": rule})),
    ))
}

pub(super) async fn clear_rules(Sandbox(state): Sandbox) -> Json<Value> {
    let cleared = state
        .rules
        .lock()
        .expect("a thread panicked holding the rules")
        .clear();
    Json(json!({"success": true, "cleared": cleared}))
}
