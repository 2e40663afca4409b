//! The events a run's end makes, as each endpoint's pinned API version
//! names and shapes them: before 2026-02-09 `processor_run.processed` /
//! `processor_run.failed` with the full run (what `GET /processor_runs/{id}`
//! serves); from 2026-02-09 `extract_run.*`, `classify_run.*`, `split_run.*`
//! with the run objects of the newer families (the SDKs' `ExtractRun`,
//! `ClassifyRun`, `SplitRun`), built from the same full run.

use serde_json::{Map, Value, json};

use crate::domain::{ApiVersion, EventType, ProcessorType, RunStatus, Timestamp};
use crate::routes::processor_runs::full_run_body;
use crate::state::AppState;
use crate::store::Store;

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
    let (kind, targets) = {
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
        let targets: Vec<_> = store
            .endpoints_in(workspace_id)
            .filter(|e| only.is_none_or(|id| e.id == id))
            .filter_map(|e| {
                let event_type = EventType::for_run_end(e.api_version, kind, processed);
                (only.is_some() || e.wants(event_type))
                    .then(|| (e.id.clone(), event_type, family(e.api_version)))
            })
            .collect();
        (kind, targets)
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
                let payload = match family {
                    Family::Legacy => legacy.to_vec(),
                    Family::Current => {
                        let object: Map<String, Value> = serde_json::from_slice(legacy)
                            .expect("the full run is a JSON object by construction");
                        let current = current_run(&store, workspace_id, object, kind, &run);
                        serde_json::to_vec(&current).expect("a Value always serializes")
                    }
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

/// The run as the 2026-02-09 families shape it (`ExtractRun`,
/// `ClassifyRun`, `SplitRun`), from its full legacy object.
fn current_run(
    store: &Store,
    workspace_id: &str,
    mut legacy: Map<String, Value>,
    kind: ProcessorType,
    run: &crate::store::RunView<'_>,
) -> Value {
    let (object, processor_key, version_key, owner_key) = match kind {
        ProcessorType::Extract => (
            "extract_run",
            "extractor",
            "extractorVersion",
            "extractorId",
        ),
        ProcessorType::Classify => (
            "classify_run",
            "classifier",
            "classifierVersion",
            "classifierId",
        ),
        ProcessorType::Splitter => ("split_run", "splitter", "splitterVersion", "splitterId"),
    };
    let time = |t: Timestamp| Value::String(t.to_rfc3339());
    let processor = store.processor(workspace_id, run.processor_id);
    let (made, changed) = processor
        .map(|p| (p.created_at, p.updated_at))
        .unwrap_or((run.created_at, run.created_at));
    let version = processor.and_then(|p| p.version(run.processor_version_id));
    let mut out = Map::new();
    out.insert("object".into(), json!(object));
    out.insert("id".into(), json!(run.id));
    out.insert("status".into(), json!(run.status.as_str()));
    // Moved, not copied: the legacy object is this function's own.
    fn take(out: &mut Map<String, Value>, legacy: &mut Map<String, Value>, key: &str) {
        if let Some(value) = legacy.remove(key).filter(|v| !v.is_null()) {
            out.insert(key.to_owned(), value);
        }
    }
    if run.status == RunStatus::Processed {
        for key in ["output", "initialOutput", "reviewedOutput"] {
            if let Some(mut output) = legacy.remove(key).filter(|v| !v.is_null()) {
                if kind == ProcessorType::Extract {
                    current_citations(&mut output);
                }
                out.insert(key.to_owned(), output);
            }
        }
    }
    take(&mut out, &mut legacy, "failureReason");
    take(&mut out, &mut legacy, "failureMessage");
    take(&mut out, &mut legacy, "metadata");
    take(&mut out, &mut legacy, "reviewed");
    take(&mut out, &mut legacy, "edited");
    if kind == ProcessorType::Extract {
        take(&mut out, &mut legacy, "edits");
    }
    if let Some(Value::Object(mut config)) = legacy.remove("config") {
        config.remove("type");
        out.insert("config".into(), Value::Object(config));
    }
    out.insert(
        processor_key.into(),
        json!({
            "object": processor_key,
            "id": run.processor_id,
            "name": run.processor_name,
            "createdAt": time(made),
            "updatedAt": time(changed),
        }),
    );
    out.insert(
        version_key.into(),
        json!({
            "object": format!("{processor_key}_version"),
            "id": run.processor_version_id,
            "version": version.map(|v| v.version.as_str()).unwrap_or("draft"),
            owner_key: run.processor_id,
            "createdAt": time(version.map(|v| v.created_at).unwrap_or(made)),
        }),
    );
    if let Some(Value::Array(files)) = legacy.remove("files") {
        if let Some(first) = files.first() {
            out.insert("file".into(), first.clone());
        }
        if kind == ProcessorType::Extract {
            out.insert("files".into(), Value::Array(files));
        }
    }
    if let Some(url) = legacy.remove("url") {
        out.insert("dashboardUrl".into(), url.clone());
    }
    if let Some(credits) = run.credits {
        out.insert("usage".into(), json!({ "credits": credits }));
    }
    out.insert("createdAt".into(), time(run.created_at));
    out.insert("updatedAt".into(), time(run.updated_at));
    Value::Object(out)
}

/// The newer families give a citation's page as an object: `{"page": 2,
/// "pageWidth": 612, "pageHeight": 792}` becomes `{"page": {"number": 2,
/// "width": 612, "height": 792}}` in every field's metadata.
fn current_citations(output: &mut Value) {
    let Some(Value::Object(metadata)) = output.get_mut("metadata") else {
        return;
    };
    for field in metadata.values_mut() {
        let Some(Value::Array(citations)) = field.get_mut("citations") else {
            continue;
        };
        for citation in citations.iter_mut().filter_map(Value::as_object_mut) {
            let Some(number) = citation.remove("page") else {
                continue;
            };
            let mut page = Map::new();
            page.insert("number".into(), number);
            if let Some(width) = citation.remove("pageWidth") {
                page.insert("width".into(), width);
            }
            if let Some(height) = citation.remove("pageHeight") {
                page.insert("height".into(), height);
            }
            citation.insert("page".into(), Value::Object(page));
        }
    }
}
