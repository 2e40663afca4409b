//! The events a run's end makes, as each endpoint's pinned API version
//! names and shapes them: before 2026-02-09 `processor_run.processed` /
//! `processor_run.failed` with the full run (what `GET /processor_runs/{id}`
//! serves); from 2026-02-09 `extract_run.*`, `classify_run.*`, `split_run.*`
//! with the run objects of the newer families (the SDKs' `ExtractRun`,
//! `ClassifyRun`, `SplitRun`), built from the same full run.

use crate::domain::{ApiVersion, EventType, RunSource, RunStatus};
use crate::routes::processor_runs::full_run_body;
use crate::state::AppState;

/// One event bound for one endpoint: the envelope's bytes are what is
/// signed and sent.
#[derive(Clone, Debug)]
pub struct Event {
    pub endpoint_id: String,
    pub event_id: String,
    pub event_type: EventType,
    pub run_id: Option<String>,
    pub body: bytes::Bytes,
}

/// The payload flavours a run's end is sent in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Legacy,
    Current,
}

fn family(version: ApiVersion) -> Family {
    if version >= ApiVersion::V2026_02_09 {
        Family::Current
    } else {
        Family::Legacy
    }
}

/// The events for the end of run `run_id` (PROCESSED or FAILED), one per
/// enabled endpoint of its workspace that subscribed to it; nothing for a
/// run in any other state. Each flavour is one event (one `eventId`) sent
/// to every endpoint that takes it. `only` limits it to one endpoint
/// (a test event), which then gets it whatever it subscribed to.
pub fn run_end(
    state: &AppState,
    workspace_id: &str,
    run_id: &str,
    only: Option<&str>,
) -> Vec<Event> {
    // Who takes it, decided before anything is built: most run ends go to
    // no endpoint at all.
    let targets = {
        let store = state.store();
        let Ok(run) = store.get(workspace_id, run_id) else {
            return Vec::new();
        };
        let processed = match run.status {
            RunStatus::Processed => true,
            RunStatus::Failed => false,
            _ => return Vec::new(),
        };
        let (kind, _) = store.run_processor(workspace_id, &run);
        // An extractor's (classifier's, splitter's) subscriptions take its
        // runs' events too, in the current API's names.
        let current = EventType::for_run_end(ApiVersion::V2026_02_09, kind, processed);
        let subscribed = match only {
            Some(_) => Vec::new(),
            None => crate::families::subscriptions::subscribed_endpoints(
                &store,
                workspace_id,
                run.processor_id,
                current,
            ),
        };
        let targets: Vec<_> = store
            .endpoints_in(workspace_id)
            .filter(|e| only.is_none_or(|id| e.id == id))
            .filter_map(|e| {
                let event_type = EventType::for_run_end(e.api_version, kind, processed);
                let by_subscription =
                    family(e.api_version) == Family::Current && subscribed.contains(&e.id);
                (only.is_some() || e.wants(event_type) || by_subscription)
                    .then(|| (e.id.clone(), event_type, family(e.api_version)))
            })
            .collect();
        targets
    };
    if targets.is_empty() {
        return Vec::new();
    }
    let Ok(full) = full_run_body(state, workspace_id, run_id) else {
        return Vec::new();
    };
    let store = state.store();
    let Ok(run) = store.get(workspace_id, run_id) else {
        return Vec::new();
    };
    // `{"success":true,"processorRun":{…}}`: the run object is the inside.
    let prefix = b"{\"success\":true,\"processorRun\":".len();
    let legacy = &full[prefix..full.len() - 1];
    let mut made: Vec<(Family, String, EventType, bytes::Bytes)> = Vec::new();
    let mut events = Vec::new();
    for (endpoint_id, event_type, family) in targets {
        let known = made
            .iter()
            .find(|(f, _, t, _)| *f == family && *t == event_type);
        let (event_id, body) = match known {
            Some((_, id, _, body)) => (id.clone(), body.clone()),
            None => {
                let event_id = state.new_id("evt_");
                let payload =
                    match family {
                        Family::Legacy => legacy.to_vec(),
                        // The object the family's routes answer, exactly.
                        Family::Current => serde_json::to_vec(
                            &crate::families::object::run_object(&store, workspace_id, &run, false),
                        )
                        .expect("a Value always serializes"),
                    };
                let body = envelope(&event_id, event_type, &payload);
                made.push((family, event_id.clone(), event_type, body.clone()));
                (event_id, body)
            }
        };
        events.push(Event {
            endpoint_id,
            event_id,
            event_type,
            run_id: Some(run_id.to_owned()),
            body,
        });
    }
    events
}

/// `batch_processor_run.processed` when the run that just ended (or was
/// cancelled) was the last unfinished one of a batch made here: the
/// `BatchRun`, now `PROCESSED`, to every endpoint of the workspace that
/// takes the event. A batch ends once; its runs' own events go as usual.
pub fn batch_end(state: &AppState, workspace_id: &str, run_id: &str) -> Vec<Event> {
    let batch_id = {
        let store = state.store();
        let Ok(run) = store.get(workspace_id, run_id) else {
            return Vec::new();
        };
        let (RunSource::BatchProcessorRun, Some(batch_id)) = (run.source, run.source_id) else {
            return Vec::new();
        };
        batch_id.to_owned()
    };
    announce_batch(
        state,
        workspace_id,
        &batch_id,
        EventType::BatchProcessorRunProcessed,
    )
}

/// `batch_parse_run.processed`, as `batch_end` for a parse run's batch.
pub fn parse_batch_end(state: &AppState, workspace_id: &str, run_id: &str) -> Vec<Event> {
    let batch_id = {
        let store = state.store();
        match store
            .parse_runs
            .get(workspace_id, run_id)
            .and_then(|r| r.batch_id.clone())
        {
            Some(batch_id) => batch_id,
            None => return Vec::new(),
        }
    };
    announce_batch(
        state,
        workspace_id,
        &batch_id,
        EventType::BatchParseRunProcessed,
    )
}

/// The batch's end, once, if all its runs have ended.
pub fn announce_batch(
    state: &AppState,
    workspace_id: &str,
    batch_id: &str,
    event_type: EventType,
) -> Vec<Event> {
    {
        let store = state.store();
        let Some(batch) = store.batch(workspace_id, batch_id) else {
            return Vec::new();
        };
        if batch.announced || store.batch_unfinished(batch) {
            return Vec::new();
        }
    }
    // Runs that end together each get here: the one that marks it sends.
    if !state.change_store(|store| store.announce_batch_end(workspace_id, batch_id)) {
        return Vec::new();
    }
    let store = state.store();
    let Some(batch) = store.batch(workspace_id, batch_id) else {
        return Vec::new();
    };
    let processor = batch.processor_id.clone();
    to_subscribers_of(
        state,
        &store,
        workspace_id,
        event_type,
        None,
        processor.as_deref(),
        || crate::families::batches::batch_object(&store, batch, false),
    )
}

/// One event (one `eventId`) of `event_type` to every endpoint of the
/// workspace that takes it; the payload is made only if one does.
pub(crate) fn to_subscribers(
    state: &AppState,
    store: &crate::store::Store,
    workspace_id: &str,
    event_type: EventType,
    run_id: Option<&str>,
    payload: impl FnOnce() -> serde_json::Value,
) -> Vec<Event> {
    to_subscribers_of(
        state,
        store,
        workspace_id,
        event_type,
        run_id,
        None,
        payload,
    )
}

/// `to_subscribers`, and also to the endpoints subscribed to `resource`
/// (a processor or a workflow) for the event.
pub(crate) fn to_subscribers_of(
    state: &AppState,
    store: &crate::store::Store,
    workspace_id: &str,
    event_type: EventType,
    run_id: Option<&str>,
    resource: Option<&str>,
    payload: impl FnOnce() -> serde_json::Value,
) -> Vec<Event> {
    let subscribed = resource
        .map(|r| {
            crate::families::subscriptions::subscribed_endpoints(store, workspace_id, r, event_type)
        })
        .unwrap_or_default();
    let targets: Vec<String> = store
        .endpoints_in(workspace_id)
        .filter(|e| e.wants(event_type) || subscribed.contains(&e.id))
        .map(|e| e.id.clone())
        .collect();
    if targets.is_empty() {
        return Vec::new();
    }
    let payload = serde_json::to_vec(&payload()).expect("a Value always serializes");
    let event_id = state.new_id("evt_");
    let body = envelope(&event_id, event_type, &payload);
    targets
        .into_iter()
        .map(|endpoint_id| Event {
            endpoint_id,
            event_id: event_id.clone(),
            event_type,
            run_id: run_id.map(str::to_owned),
            body: body.clone(),
        })
        .collect()
}

/// `parse_run.processed` / `parse_run.failed` for a parse run that ended,
/// with its `parse_run_status`, to every endpoint that takes it.
pub fn parse_run_end(state: &AppState, workspace_id: &str, run_id: &str) -> Vec<Event> {
    let store = state.store();
    let Some(run) = store.parse_runs.get(workspace_id, run_id) else {
        return Vec::new();
    };
    let event_type = match run.status {
        RunStatus::Processed => EventType::ParseRunProcessed,
        RunStatus::Failed => EventType::ParseRunFailed,
        _ => return Vec::new(),
    };
    to_subscribers(
        state,
        &store,
        workspace_id,
        event_type,
        Some(run_id),
        || crate::families::parse::status_object(run),
    )
}

/// `edit_run.processed|failed` / `form_detection_run.processed|failed` for a
/// run that ended, with the full run as its payload (its edited file's link
/// at the address the run was made through).
pub fn form_run_end(state: &AppState, workspace_id: &str, run_id: &str) -> Vec<Event> {
    use crate::store::edits::FormRunKind;
    let store = state.store();
    let Some(run) = store.edits.runs.get(workspace_id, run_id) else {
        return Vec::new();
    };
    let event_type = match (run.kind, run.status) {
        (FormRunKind::Edit, RunStatus::Processed) => EventType::EditRunProcessed,
        (FormRunKind::Edit, RunStatus::Failed) => EventType::EditRunFailed,
        (FormRunKind::Detect, RunStatus::Processed) => EventType::FormDetectionRunProcessed,
        (FormRunKind::Detect, RunStatus::Failed) => EventType::FormDetectionRunFailed,
        _ => return Vec::new(),
    };
    to_subscribers(
        state,
        &store,
        workspace_id,
        event_type,
        Some(run_id),
        || crate::families::edit::run_object(state, run, &run.base_url),
    )
}

/// `{"eventId":…,"eventType":…,"payload":…}` around payload bytes.
fn envelope(event_id: &str, event_type: EventType, payload: &[u8]) -> bytes::Bytes {
    let mut body = Vec::with_capacity(payload.len() + 96);
    body.extend_from_slice(b"{\"eventId\":");
    body.extend_from_slice(&serde_json::to_vec(event_id).expect("a str serializes"));
    body.extend_from_slice(b",\"eventType\":\"");
    body.extend_from_slice(event_type.as_str().as_bytes());
    body.extend_from_slice(b"\",\"payload\":");
    body.extend_from_slice(payload);
    body.push(b'}');
    bytes::Bytes::from(body)
}

/// A workflow run's event (`workflow_run.completed` …, or with `step_run`
/// `workflow_run.step_run.processed` with that step run), to the endpoints
/// subscribed to its workflow for it: they reach endpoints no other way.
pub fn workflow_run_event(
    state: &AppState,
    workspace_id: &str,
    run_id: &str,
    event_type: EventType,
    step_run: Option<&str>,
) -> Vec<Event> {
    let store = state.store();
    let Some(run) = store.workflows.runs.get(workspace_id, run_id) else {
        return Vec::new();
    };
    let targets = crate::families::subscriptions::subscribed_endpoints(
        &store,
        workspace_id,
        &run.workflow_id,
        event_type,
    );
    if targets.is_empty() {
        return Vec::new();
    }
    let payload = match step_run {
        Some(step_id) => match run.step_runs.iter().find(|s| s.id == step_id) {
            Some(step) => crate::families::workflow_runs::step_run_object(state, &store, run, step),
            None => return Vec::new(),
        },
        None => crate::families::workflow_runs::run_object(state, &store, run),
    };
    let payload = serde_json::to_vec(&payload).expect("a Value always serializes");
    let event_id = state.new_id("evt_");
    let body = envelope(&event_id, event_type, &payload);
    targets
        .into_iter()
        .map(|endpoint_id| Event {
            endpoint_id,
            event_id: event_id.clone(),
            event_type,
            run_id: Some(run_id.to_owned()),
            body: body.clone(),
        })
        .collect()
}
