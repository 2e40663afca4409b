//! What a workflow run does: it walks its version's steps from the trigger
//! along `next`, each step once. PARSE, EXTRACT, CLASSIFY, SPLIT (and a
//! CONDITIONAL_EXTRACT, as the extraction its always-true rule names) make
//! runs in those families, with `source` `WORKFLOW_RUN` and the workflow
//! run's id as `sourceId`; the lifecycle ends them as any other run (so
//! markers, rules and the control plane steer them), and each end comes
//! back here (`step_ended`) to go on: a CLASSIFY or SPLIT step follows the
//! `next` entries of the classifications it found, a failed step fails the
//! workflow run with its reason. A HUMAN_REVIEW step waits for the control
//! plane's approval (`review`); the run is `NEEDS_REVIEW` once nothing else
//! is left to do. The steps the emulator does not model pass through:
//! MERGE_EXTRACT, RULE_VALIDATION and EXTERNAL_DATA_VALIDATION as step runs
//! `PROCESSED` at once; TRIGGER, COLLECT, FILE_CONVERSION, WEBHOOK_RESPONSE,
//! VALIDATION without a step run; CONDITIONAL and ROUTER take their first
//! branch.
//!
//! Every change is made under the store's write lock and checks the
//! workflow run is still active, so a cancel, a delete or a reset in
//! between leaves it alone; the runs of other families are made outside the
//! lock (their creates take it) and joined to their step run in the same
//! change that stores them.

use serde_json::{Value, json};

use super::Family;
use crate::domain::{
    EventType, JsonObject, RunSource, RunStatus, StepRunStatus, WorkflowRunStatus,
};
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::store::Store;
use crate::store::workflows::{StepRun, StepTarget, WorkflowRun};

/// Step types that have step runs, as both SDKs declare them.
pub const STEP_RUN_TYPES: &[&str] = &[
    "PARSE",
    "EXTRACT",
    "CLASSIFY",
    "SPLIT",
    "MERGE_EXTRACT",
    "CONDITIONAL_EXTRACT",
    "RULE_VALIDATION",
    "EXTERNAL_DATA_VALIDATION",
];

/// Who approves a review when the control plane names no one.
pub const DEFAULT_REVIEWER: &str = "reviewer@extend-mock.test";

/// A run of another family to make for a step.
struct Start {
    step_run_id: String,
    kind: StartKind,
}

enum StartKind {
    Parse(JsonObject),
    /// A family's create body.
    Run(&'static Family, JsonObject),
}

/// An event to send once the lock is let go.
enum Announce {
    Run(EventType),
    StepRun(String),
}

/// A step of the run's version, by name.
fn step<'a>(version: &'a [JsonObject], name: &str) -> Option<&'a JsonObject> {
    version
        .iter()
        .find(|s| s.get("name").and_then(Value::as_str) == Some(name))
}

fn kind_of(step: &JsonObject) -> &str {
    step.get("type").and_then(Value::as_str).unwrap_or("")
}

fn name_of(step: &JsonObject) -> &str {
    step.get("name").and_then(Value::as_str).unwrap_or("")
}

/// The names a step leads to; `chosen` limits entries that name a
/// classification to those (a CLASSIFY's one, a SPLIT's several).
fn next_of(step: &JsonObject, chosen: Option<&[String]>) -> Vec<String> {
    let entries: Vec<&JsonObject> = super::workflows::next_entries(step).collect();
    let first_only = matches!(kind_of(step), "CONDITIONAL" | "ROUTER");
    entries
        .iter()
        .filter(
            |e| match (e.get("classificationId").and_then(Value::as_str), chosen) {
                (Some(id), Some(chosen)) => chosen.iter().any(|c| c == id),
                _ => true,
            },
        )
        .take(if first_only { 1 } else { usize::MAX })
        .filter_map(|e| e.get("step").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// The steps a new run starts from: the trigger's next, or (no trigger) the
/// first step.
fn first_steps(steps: &[JsonObject]) -> Vec<String> {
    match steps.iter().find(|s| kind_of(s) == "TRIGGER") {
        Some(trigger) => next_of(trigger, None),
        None => steps
            .first()
            .map(|s| vec![name_of(s).to_owned()])
            .unwrap_or_default(),
    }
}

/// The create body of a family run for a step, from its config and the
/// workflow run's input; `None` for a step that makes none.
fn start_of(run: &WorkflowRun, step: &JsonObject) -> Option<StartKind> {
    let config = step.get("config").and_then(Value::as_object);
    let with_input = |mut body: JsonObject, takes_package: bool| {
        match (run.input.get("package"), takes_package) {
            (Some(package), true) => {
                body.insert("package".into(), package.clone());
            }
            (Some(package), false) => {
                // One file for a step that reads one: the package's first.
                let first = package["files"].get(0).cloned().unwrap_or(Value::Null);
                body.insert("file".into(), first);
            }
            (None, _) => {
                body.insert(
                    "file".into(),
                    run.input.get("file").cloned().unwrap_or(Value::Null),
                );
            }
        }
        if let Some(priority) = &run.priority {
            body.insert("priority".into(), json!(priority));
        }
        body
    };
    let reference = |key: &str, inline: &str| {
        let mut body = JsonObject::new();
        match (
            config.and_then(|c| c.get(key)),
            config.and_then(|c| c.get(inline)),
        ) {
            (Some(reference), _) => {
                let mut reference = reference.clone();
                // `latest` is the family's word for the newest published.
                if reference.get("version").and_then(Value::as_str) == Some("latest")
                    && let Some(r) = reference.as_object_mut()
                {
                    r.remove("version");
                }
                body.insert(key.into(), reference);
            }
            (None, Some(inline)) => {
                let mut inline = inline.clone();
                if let Some(i) = inline.as_object_mut() {
                    // A parse config inside an extraction's is the parse step's.
                    i.remove("parseConfig");
                }
                body.insert("config".into(), inline);
            }
            (None, None) => {}
        }
        body
    };
    Some(match kind_of(step) {
        "PARSE" => {
            let mut body = JsonObject::new();
            if let Some(parse) = config.and_then(|c| c.get("parseConfig")) {
                body.insert("config".into(), parse.clone());
            }
            StartKind::Parse(with_input(body, false))
        }
        "EXTRACT" => StartKind::Run(
            &super::EXTRACT,
            with_input(reference("extractor", "extractorConfig"), true),
        ),
        "CLASSIFY" => StartKind::Run(
            &super::CLASSIFY,
            with_input(reference("classifier", "classifierConfig"), false),
        ),
        "SPLIT" => StartKind::Run(
            &super::SPLIT,
            with_input(reference("splitter", "splitterConfig"), false),
        ),
        "CONDITIONAL_EXTRACT" => {
            // The rule that always holds (the API requires the last to be
            // `TRUE`); the formulas are not evaluated.
            let rules = config
                .and_then(|c| c.get("rules"))
                .and_then(Value::as_array);
            let rule = rules.and_then(|rules| {
                rules
                    .iter()
                    .find(|r| r.get("formula").and_then(Value::as_str) == Some("TRUE"))
                    .or(rules.last())
            })?;
            let mut body = JsonObject::new();
            body.insert("extractor".into(), rule.get("extractor")?.clone());
            StartKind::Run(&super::EXTRACT, with_input(body, true))
        }
        _ => return None,
    })
}

/// Reaches `names` from where the run is: marks each step reached (once),
/// passes through what makes no run, and answers the runs to make. Under
/// the write lock.
fn reach(
    state: &AppState,
    store: &mut Store,
    workspace_id: &str,
    run_id: &str,
    names: Vec<String>,
    announce: &mut Vec<Announce>,
) -> Vec<Start> {
    let Some(run) = store.workflows.runs.get_mut(workspace_id, run_id) else {
        return Vec::new();
    };
    let steps = std::sync::Arc::clone(&run.steps);
    let workflow_id = run.workflow_id.clone();
    let mut starts = Vec::new();
    // A stack: the first name on top, so steps run in the order named.
    let mut queue: Vec<String> = names.into_iter().rev().collect();
    while let Some(name) = queue.pop() {
        if run.reached.contains(&name) || !run.status.is_active() {
            continue;
        }
        let Some(step) = step(&steps, &name) else {
            continue;
        };
        run.reached.push(name.clone());
        let kind = kind_of(step).to_owned();
        let step_run = |status| StepRun {
            id: state.new_id("workflow_step_run_"),
            step_id: super::workflows::step_id(&workflow_id, &name),
            step_name: name.clone(),
            step_type: kind.clone(),
            status,
            target: StepTarget::None,
            result: None,
        };
        if kind == "HUMAN_REVIEW" {
            run.review_steps.push(name.clone());
            continue;
        }
        match start_of(run, step) {
            Some(start) => {
                let made = step_run(StepRunStatus::Pending);
                starts.push(Start {
                    step_run_id: made.id.clone(),
                    kind: start,
                });
                run.step_runs.push(made);
            }
            None if STEP_RUN_TYPES.contains(&kind.as_str()) => {
                let mut made = step_run(StepRunStatus::Processed);
                made.result = passed_result(step);
                announce.push(Announce::StepRun(made.id.clone()));
                run.step_runs.push(made);
                queue.extend(next_of(step, None).into_iter().rev());
            }
            None => queue.extend(next_of(step, None).into_iter().rev()),
        }
    }
    starts
}

/// What a step the emulator passes through answers: every rule of a
/// RULE_VALIDATION valid, an EXTERNAL_DATA_VALIDATION's endpoint answering
/// `200 {}`; nothing for a MERGE_EXTRACT.
fn passed_result(step: &JsonObject) -> Option<Value> {
    let config = step.get("config").and_then(Value::as_object);
    match kind_of(step) {
        "RULE_VALIDATION" => {
            let rules: Vec<Value> = config
                .and_then(|c| c.get("rules"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|r| json!({ "name": r.get("name").cloned().unwrap_or(json!("")), "valid": true }))
                .collect();
            Some(json!({ "rules": rules, "allPassed": true }))
        }
        "EXTERNAL_DATA_VALIDATION" => Some(json!({ "response": { "status": 200, "data": {} } })),
        _ => None,
    }
}

/// The steps the run runs (its version's, as they were when it was made).
fn version_steps(
    store: &Store,
    workspace_id: &str,
    run_id: &str,
) -> Option<std::sync::Arc<Vec<JsonObject>>> {
    store
        .workflows
        .runs
        .get(workspace_id, run_id)
        .map(|run| std::sync::Arc::clone(&run.steps))
}

/// Makes the runs of `starts`, each joined to its step run as it is stored;
/// a step whose run cannot be made fails the workflow run. `epoch` is the
/// store's when the steps were reached: after a reset nothing more is made.
fn make_runs(state: &AppState, workspace_id: &str, run_id: &str, epoch: u64, starts: Vec<Start>) {
    for Start { step_run_id, kind } in starts {
        let active = state
            .store()
            .workflows
            .runs
            .get(workspace_id, run_id)
            .is_some_and(|r| r.status.is_active());
        if state.epoch() != epoch || !active {
            return;
        }
        let made = match kind {
            StartKind::Parse(body) => super::parse::plan(
                state,
                workspace_id,
                &body,
                super::parse::Origin::Workflow(run_id),
            )
            .map(|planned| {
                let id = planned.run.id.clone();
                let step = step_run_id.clone();
                let target = id.clone();
                super::parse::start(state, workspace_id, vec![planned], |store| {
                    join(
                        store,
                        workspace_id,
                        run_id,
                        &step,
                        StepTarget::Parse(target),
                    );
                });
                id
            }),
            StartKind::Run(f, body) => super::runs::read_create(f, state, workspace_id, body)
                .and_then(|mut request| {
                    request.source = Some((RunSource::WorkflowRun, run_id.to_owned()));
                    request.given_output = given_output(state, workspace_id, run_id, &request);
                    let step = step_run_id.clone();
                    crate::routes::processor_runs::start_runs(
                        state,
                        workspace_id,
                        vec![request],
                        |_, e| e,
                        |store, ids| {
                            join(
                                store,
                                workspace_id,
                                run_id,
                                &step,
                                StepTarget::Processor(ids[0].clone()),
                            );
                            Ok(())
                        },
                    )
                    .map(|mut ids| ids.remove(0))
                }),
        };
        if let Err(refusal) = made {
            let message = format!(
                "A step's run could not be made: {}",
                refusal.client_message()
            );
            fail(
                state,
                workspace_id,
                run_id,
                &step_run_id,
                "STEP_FAILED",
                &message,
            );
        }
    }
}

/// The output given for the run's processor at the workflow run's creation.
fn given_output(
    state: &AppState,
    workspace_id: &str,
    run_id: &str,
    request: &crate::routes::processor_runs::CreateRun,
) -> Option<JsonObject> {
    let store = state.store();
    let run = store.workflows.runs.get(workspace_id, run_id)?;
    run.outputs
        .iter()
        .find(|(processor, _)| *processor == request.processor_id)
        .map(|(_, output)| output.clone())
}

/// Joins a stored run to its step run: the step is `PROCESSING` now. A
/// workflow run that stopped meanwhile (failed at another step, cancelled,
/// deleted) does not take it: the run is cancelled at once, in the same
/// change that stored it.
fn join(
    store: &mut Store,
    workspace_id: &str,
    run_id: &str,
    step_run_id: &str,
    target: StepTarget,
) {
    let target_id = match &target {
        StepTarget::Parse(id) | StepTarget::Processor(id) => id.clone(),
        StepTarget::None => return,
    };
    let step = store
        .workflows
        .runs
        .get_mut(workspace_id, run_id)
        .filter(|run| run.status.is_active())
        .and_then(|run| {
            run.step_runs
                .iter_mut()
                .find(|s| s.id == step_run_id && s.status == StepRunStatus::Pending)
        });
    match step {
        Some(step) => {
            step.target = target;
            step.status = StepRunStatus::Processing;
            store
                .workflows
                .by_target
                .insert(target_id, run_id.to_owned());
        }
        None => match target {
            StepTarget::Parse(id) => {
                if let Some(parse) = store.parse_runs.get_mut(workspace_id, &id) {
                    parse.status = RunStatus::Cancelled;
                }
            }
            StepTarget::Processor(id) => {
                let change = crate::store::RunChange {
                    status: Some(RunStatus::Cancelled),
                    ..crate::store::RunChange::default()
                };
                let _ = store.update(workspace_id, &id, change);
            }
            StepTarget::None => {}
        },
    }
}

/// Fails the workflow run at a step: the step `FAILED`, the run `FAILED`
/// with `reason`, its other unfinished step runs cancelled.
fn fail(
    state: &AppState,
    workspace_id: &str,
    run_id: &str,
    step_run_id: &str,
    reason: &str,
    message: &str,
) {
    state.change_store(|store| {
        if let Some(run) = store.workflows.runs.get_mut(workspace_id, run_id)
            && let Some(step) = run.step_runs.iter_mut().find(|s| s.id == step_run_id)
        {
            step.status = StepRunStatus::Failed;
        }
    });
    let failure = (reason.to_owned(), message.to_owned());
    let _ = stop(state, workspace_id, run_id, Some(failure));
}

/// Stops an active workflow run: `FAILED` with `failure`, else `CANCELLED`;
/// its unfinished step runs `CANCELLED` and the runs they made cancelled;
/// its event sent. `Err` with the run's status when it was not active
/// (`None`: there is no such run).
pub(crate) fn stop(
    state: &AppState,
    workspace_id: &str,
    run_id: &str,
    failure: Option<(String, String)>,
) -> Result<(), Option<WorkflowRunStatus>> {
    let now = state.now();
    let (status, event) = match failure {
        Some(_) => (WorkflowRunStatus::Failed, EventType::WorkflowRunFailed),
        None => (
            WorkflowRunStatus::Cancelled,
            EventType::WorkflowRunCancelled,
        ),
    };
    let stopped = state.change_store(|store| {
        let run = store
            .workflows
            .runs
            .get_mut(workspace_id, run_id)
            .ok_or(None)?;
        if !run.status.is_active() {
            return Err(Some(run.status));
        }
        run.status = status;
        run.failure = failure;
        run.end_time = Some(now);
        run.updated_at = now.max(run.updated_at);
        Ok(stop_steps(run))
    })?;
    cancel_targets(state, workspace_id, stopped);
    send(state, workspace_id, run_id, vec![Announce::Run(event)]);
    Ok(())
}

/// Marks the run's unfinished step runs `CANCELLED`: the runs they made,
/// for the caller to cancel once the lock is let go.
pub(crate) fn stop_steps(run: &mut WorkflowRun) -> Vec<StepTarget> {
    let mut targets = Vec::new();
    for step in &mut run.step_runs {
        if matches!(
            step.status,
            StepRunStatus::Pending | StepRunStatus::Waiting | StepRunStatus::Processing
        ) {
            step.status = StepRunStatus::Cancelled;
            targets.push(step.target.clone());
        }
    }
    targets
}

/// Cancels the runs a stopped workflow run's steps made, where unfinished.
pub(crate) fn cancel_targets(state: &AppState, workspace_id: &str, targets: Vec<StepTarget>) {
    for target in targets {
        match target {
            StepTarget::Processor(id) => {
                // Ended meanwhile: nothing to cancel.
                let _ = crate::routes::processor_runs::cancel_run(state, workspace_id, &id, "Run");
            }
            StepTarget::Parse(id) => {
                // Ended meanwhile: nothing to cancel.
                let _ = super::parse::cancel_run(state, workspace_id, &id);
            }
            StepTarget::None => {}
        }
    }
}

/// Starts a workflow run just stored: from its trigger on.
pub fn begin(state: &AppState, workspace_id: &str, run_id: &str) {
    let mut announce = Vec::new();
    let (epoch, starts) = state.change_store(|store| {
        let names = version_steps(store, workspace_id, run_id)
            .map(|steps| first_steps(&steps))
            .unwrap_or_default();
        (
            state.epoch(),
            reach(state, store, workspace_id, run_id, names, &mut announce),
        )
    });
    make_runs(state, workspace_id, run_id, epoch, starts);
    send(state, workspace_id, run_id, announce);
    settle(state, workspace_id, run_id);
}

/// A run of another family ended, was cancelled or deleted: if a workflow
/// run's step made it, the step ends as it did and the workflow run goes
/// on (or fails, or is cancelled with it).
pub fn step_ended(state: &AppState, workspace_id: &str, target_id: &str) {
    let Some(run_id) = state.store().workflows.by_target.get(target_id).cloned() else {
        return;
    };
    // How the run ended, and what it chose.
    let (status, chosen, failure) = {
        let store = state.store();
        match store.parse_runs.get(workspace_id, target_id) {
            Some(parse) => (Some(parse.status), None, parse.failure.clone()),
            None => match store.get(workspace_id, target_id) {
                Ok(view) => {
                    let object = super::object::run_object(&store, workspace_id, &view, false);
                    (
                        Some(view.status),
                        chosen_classes(&object),
                        failure_of(&object),
                    )
                }
                Err(_) => (None, None, None),
            },
        }
    };
    let step_status = match status {
        Some(RunStatus::Processed) => StepRunStatus::Processed,
        Some(RunStatus::Failed) => StepRunStatus::Failed,
        Some(RunStatus::Processing | RunStatus::Pending) => return,
        Some(RunStatus::Cancelled) | None => StepRunStatus::Cancelled,
    };
    let steps = version_steps(&state.store(), workspace_id, &run_id).unwrap_or_default();
    let mut announce = Vec::new();
    let now = state.now();
    enum Then {
        Nothing,
        Go(u64, Vec<Start>),
        /// Stop the run: failed (with this failure) or cancelled (none).
        Stop(Option<(String, String)>),
    }
    let then = state.change_store(|store| {
        store.workflows.by_target.remove(target_id);
        let Some(run) = store.workflows.runs.get_mut(workspace_id, &run_id) else {
            return Then::Nothing;
        };
        let Some(step_run) = run.step_runs.iter_mut().find(|s| match &s.target {
            StepTarget::Parse(id) | StepTarget::Processor(id) => id == target_id,
            StepTarget::None => false,
        }) else {
            return Then::Nothing;
        };
        if !matches!(
            step_run.status,
            StepRunStatus::Pending | StepRunStatus::Processing
        ) {
            return Then::Nothing;
        }
        step_run.status = step_status;
        let step_name = step_run.step_name.clone();
        let step_type = step_run.step_type.clone();
        let step_run_id = step_run.id.clone();
        if !run.status.is_active() {
            return Then::Nothing;
        }
        run.updated_at = now.max(run.updated_at);
        match step_status {
            StepRunStatus::Processed => {
                announce.push(Announce::StepRun(step_run_id));
                let next = step(&steps, &step_name)
                    .map(|s| match step_type.as_str() {
                        "CLASSIFY" | "SPLIT" => next_of(s, Some(chosen.as_deref().unwrap_or(&[]))),
                        _ => next_of(s, None),
                    })
                    .unwrap_or_default();
                Then::Go(
                    state.epoch(),
                    reach(state, store, workspace_id, &run_id, next, &mut announce),
                )
            }
            StepRunStatus::Failed => {
                let (reason, message) = failure.clone().unwrap_or_else(|| {
                    ("STEP_FAILED".to_owned(), "A step's run failed.".to_owned())
                });
                let message = format!("Step `{step_name}` ({step_type}) failed: {message}");
                Then::Stop(Some((reason, message)))
            }
            _ => Then::Stop(None),
        }
    });
    match then {
        Then::Nothing => {}
        Then::Go(epoch, starts) => {
            make_runs(state, workspace_id, &run_id, epoch, starts);
            send(state, workspace_id, &run_id, announce);
            settle(state, workspace_id, &run_id);
        }
        Then::Stop(failure) => {
            // Stopped meanwhile by something else: nothing more to do.
            let _ = stop(state, workspace_id, &run_id, failure);
        }
    }
}

/// The classification ids a classify or split run's output chose.
fn chosen_classes(object: &Value) -> Option<Vec<String>> {
    let output = object.get("output")?;
    if let Some(id) = output.get("id").and_then(Value::as_str) {
        return Some(vec![id.to_owned()]);
    }
    let splits = output.get("splits")?.as_array()?;
    Some(
        splits
            .iter()
            .filter_map(|s| s.get("classificationId").and_then(Value::as_str))
            .map(str::to_owned)
            .collect(),
    )
}

fn failure_of(object: &Value) -> Option<(String, String)> {
    let reason = object.get("failureReason")?.as_str()?.to_owned();
    let message = object
        .get("failureMessage")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    Some((reason, message))
}

/// Ends the run if nothing is left to do: `NEEDS_REVIEW` when it waits at
/// a review, `PROCESSED` otherwise.
pub fn settle(state: &AppState, workspace_id: &str, run_id: &str) {
    let now = state.now();
    let event = state.change_store(|store| {
        let run = store.workflows.runs.get_mut(workspace_id, run_id)?;
        if run.status != WorkflowRunStatus::Processing || run.steps_unfinished() {
            return None;
        }
        run.updated_at = now.max(run.updated_at);
        match run.review_steps.first() {
            Some(_) => {
                run.status = WorkflowRunStatus::NeedsReview;
                Some(EventType::WorkflowRunNeedsReview)
            }
            None => {
                run.status = WorkflowRunStatus::Processed;
                run.end_time = Some(now);
                Some(EventType::WorkflowRunCompleted)
            }
        }
    });
    if let Some(event) = event {
        send(state, workspace_id, run_id, vec![Announce::Run(event)]);
    }
}

/// The control plane's decision on a run in review: approved, it goes on
/// past the review step; rejected, it is `REJECTED` with the note.
pub fn review(
    state: &AppState,
    workspace_id: &str,
    run_id: &str,
    approve: bool,
    reviewer: &str,
    note: Option<String>,
) -> Result<(), ApiError> {
    let steps = version_steps(&state.store(), workspace_id, run_id).unwrap_or_default();
    let now = state.now();
    let mut announce = Vec::new();
    let (epoch, starts) = state.change_store(|store| {
        let run = store
            .workflows
            .runs
            .get_mut(workspace_id, run_id)
            .ok_or_else(|| ApiError::Missing(format!("Workflow run `{run_id}` not found")))?;
        if run.status != WorkflowRunStatus::NeedsReview {
            return Err(ApiError::InvalidRequest(format!(
                "Workflow run `{run_id}` is {}; only a NEEDS_REVIEW run can be approved or rejected",
                run.status
            )));
        }
        run.reviewed = true;
        run.reviewed_by = Some(reviewer.to_owned());
        run.reviewed_at = Some(now);
        run.updated_at = now.max(run.updated_at);
                // The first review reached is the one decided; any other waits.
        let at = match run.review_steps.is_empty() {
            true => String::new(),
            false => run.review_steps.remove(0),
        };
        if !approve {
            run.status = WorkflowRunStatus::Rejected;
            run.rejection_note = note;
            run.end_time = Some(now);
            run.review_steps.clear();
            announce.push(Announce::Run(EventType::WorkflowRunRejected));
            return Ok((state.epoch(), Vec::new()));
        }
        run.status = WorkflowRunStatus::Processing;
        let next = step(&steps, &at).map(|s| next_of(s, None)).unwrap_or_default();
        Ok((
            state.epoch(),
            reach(state, store, workspace_id, run_id, next, &mut announce),
        ))
    })?;
    make_runs(state, workspace_id, run_id, epoch, starts);
    send(state, workspace_id, run_id, announce);
    settle(state, workspace_id, run_id);
    Ok(())
}

/// Sends the events: a workflow run's to its workflow's subscriptions.
fn send(state: &AppState, workspace_id: &str, run_id: &str, announce: Vec<Announce>) {
    for what in announce {
        let events = match what {
            Announce::Run(event) => crate::webhooks::events::workflow_run_event(
                state,
                workspace_id,
                run_id,
                event,
                None,
            ),
            Announce::StepRun(step_run_id) => crate::webhooks::events::workflow_run_event(
                state,
                workspace_id,
                run_id,
                EventType::WorkflowRunStepRunProcessed,
                Some(&step_run_id),
            ),
        };
        for event in events {
            state.webhooks.push(event, state.now(), None);
        }
    }
}
