//! The current API's objects, made from the store: a run as the SDK's
//! `ExtractRun` / `ClassifyRun` / `SplitRun` (and their list summaries),
//! a processor as `Extractor` / `Classifier` / `Splitter` and a version as
//! `ExtractorVersion`…. Every key the SDK types declare is written, `null`
//! where there is nothing. The routes and the webhook events write runs
//! with `run_object`, so an object is the same wherever it is sent.

use serde_json::{Map, Value, json};

use super::{Family, describe};
use crate::domain::{Processor, ProcessorType, ProcessorVersion, RunStatus, Timestamp};
use crate::full_run::full_run_with;
use crate::store::{RunView, Store};

/// A time as the API writes it.
pub fn time(t: Timestamp) -> Value {
    Value::String(t.to_rfc3339())
}

/// `FileSummary` of a file the server knows by name only (given by URL, or
/// made from a text): a new `file_` id, its type from the name.
pub fn named_file_summary(
    id: String,
    name: &str,
    kind: Option<&str>,
    pages: Option<u32>,
    now: Timestamp,
) -> serde_json::Map<String, Value> {
    let mut object = Map::new();
    object.insert("object".into(), json!("file"));
    object.insert("id".into(), json!(id));
    object.insert("name".into(), json!(name));
    object.insert("type".into(), json!(kind));
    object.insert("parentFileId".into(), Value::Null);
    object.insert(
        "metadata".into(),
        match pages {
            Some(pages) => json!({ "pageCount": pages }),
            None => json!({}),
        },
    );
    object.insert("createdAt".into(), time(now));
    object.insert("updatedAt".into(), time(now));
    object
}

/// `FileSummary` of a stored file: every key present, `null` where empty.
pub fn stored_file_summary(
    file: &crate::domain::StoredFile,
) -> Result<Map<String, Value>, crate::http::error::ApiError> {
    let mut json = Vec::new();
    crate::http::wire::catalogue::write_file_summary(&mut json, file);
    let mut object: Map<String, Value> = serde_json::from_slice(&json)
        .map_err(|e| crate::http::error::ApiError::Internal(e.into()))?;
    object.insert("object".into(), json!("file"));
    for key in ["type", "parentFileId"] {
        object.entry(key).or_insert(Value::Null);
    }
    Ok(object)
}

/// A time, or `null`.
pub fn time_or_null(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, time)
}

/// A config as the current API shows it: the legacy one without its `type`.
pub fn current_config(config: &Map<String, Value>) -> Value {
    let mut config = config.clone();
    config.remove("type");
    Value::Object(config)
}

/// `ExtractorSummary` and the like.
pub fn processor_summary(f: &Family, p: &Processor) -> Value {
    json!({
        "object": f.processor_key,
        "id": p.id,
        "name": p.name,
        "createdAt": time(p.created_at),
        "updatedAt": time(p.updated_at),
    })
}

/// `ExtractorVersion` (with its config) or `ExtractorVersionSummary`.
pub fn version_object(f: &Family, p: &Processor, v: &ProcessorVersion, with_config: bool) -> Value {
    let mut out = Map::new();
    out.insert(
        "object".into(),
        json!(format!("{}_version", f.processor_key)),
    );
    out.insert("id".into(), json!(v.id));
    out.insert("description".into(), json!(v.description));
    out.insert("version".into(), json!(v.version));
    if with_config {
        out.insert("config".into(), current_config(&v.config));
    }
    out.insert(f.processor_id_key.into(), json!(p.id));
    out.insert("createdAt".into(), time(v.created_at));
    out.insert("createdBy".into(), Value::Null);
    Value::Object(out)
}

/// `Extractor`: the summary with its draft version.
pub fn processor_object(f: &Family, p: &Processor) -> Value {
    let mut out = processor_summary(f, p);
    out["draftVersion"] = version_object(f, p, &p.draft_version, true);
    out
}

/// A file as `FileSummary` declares it, from the legacy run's file.
fn file_summary(file: &Value) -> Value {
    let mut out = Map::new();
    out.insert("object".into(), json!("file"));
    for key in ["id", "name", "type", "parentFileId"] {
        out.insert(key.into(), file.get(key).cloned().unwrap_or(Value::Null));
    }
    out.insert(
        "metadata".into(),
        file.get("metadata")
            .filter(|m| m.is_object())
            .cloned()
            .unwrap_or_else(|| json!({})),
    );
    for key in ["createdAt", "updatedAt"] {
        out.insert(key.into(), file.get(key).cloned().unwrap_or(Value::Null));
    }
    Value::Object(out)
}

/// The run as its family shows it; `summary` for a list's item (no
/// outputs, edits or config, and the output is not even made).
pub fn run_object(store: &Store, workspace_id: &str, run: &RunView<'_>, summary: bool) -> Value {
    let (kind, config) = store.run_processor(workspace_id, run);
    let f = describe(kind);
    let full = full_run_with(run, kind, config, !summary);
    let processor = store.processor(workspace_id, run.processor_id);
    let version = processor.and_then(|p| p.version(run.processor_version_id).map(|v| (p, v)));
    // An output, `null` when empty (`{}` is the legacy view's "none yet").
    let output = |v: Value| match v {
        Value::Object(map) if map.is_empty() => Value::Null,
        mut other => {
            if kind == ProcessorType::Extract {
                current_citations(&mut other);
            }
            other
        }
    };
    let package = run.details.and_then(|d| d.package) == Some(true);
    let (file, files) = match json_of(&full.files) {
        // A run over several files shows them all, and no one `file`.
        Value::Array(files) if package => (
            Value::Null,
            Value::Array(files.iter().map(file_summary).collect()),
        ),
        Value::Array(files) => (files.first().map_or(Value::Null, file_summary), Value::Null),
        _ => (Value::Null, Value::Null),
    };
    // A reason the run was given stands; a derived one is in the current
    // API's words.
    let failure_reason = match run.details.and_then(|d| d.failure_reason.as_ref()) {
        Some(given) => json!(given),
        None => current_failure(json!(full.failure_reason)),
    };
    let mut out = Map::new();
    // (serde_json's maps keep keys sorted: the order here is no promise.)
    out.insert("object".into(), json!(f.run_object));
    out.insert("id".into(), json!(run.id));
    out.insert("status".into(), json!(run.status.as_str()));
    out.insert(
        f.processor_key.into(),
        processor.map_or(Value::Null, |p| processor_summary(f, p)),
    );
    out.insert(
        f.version_key.into(),
        version.map_or(Value::Null, |(p, v)| version_object(f, p, v, false)),
    );
    out.insert("failureReason".into(), failure_reason);
    out.insert("failureMessage".into(), json!(full.failure_message));
    out.insert("metadata".into(), json!(full.metadata));
    out.insert("reviewed".into(), json!(full.reviewed));
    out.insert("edited".into(), json!(full.edited));
    if !summary {
        let made = match run.status {
            RunStatus::Processed => output(json_of(&full.output)),
            _ => Value::Null,
        };
        out.insert("output".into(), made);
        out.insert("initialOutput".into(), output(json!(full.initial_output)));
        out.insert("reviewedOutput".into(), output(json!(full.reviewed_output)));
        out.insert(
            "config".into(),
            match json_of(&full.config) {
                Value::Object(config) => current_config(&config),
                other => other,
            },
        );
        if f.has_files {
            let edits = full.edits.filter(|e| !e.is_empty());
            out.insert("edits".into(), json!(edits));
        }
    }
    out.insert("file".into(), file);
    if f.has_files {
        out.insert("files".into(), files);
    }
    out.insert(
        "parseRunId".into(),
        json!(run.details.and_then(|d| d.parse_run_id.as_deref())),
    );
    out.insert("dashboardUrl".into(), json!(full.url));
    out.insert(
        "usage".into(),
        run.credits
            .map_or(Value::Null, |credits| json!({ "credits": credits })),
    );
    out.insert("createdAt".into(), time(run.created_at));
    out.insert("updatedAt".into(), time(run.updated_at));
    Value::Object(out)
}

/// The run's list summary (`ExtractRunSummary`…), written by hand
/// straight into a page's buffer: the same JSON `run_object(…, true)` makes
/// as a tree (a test holds the two together), at a fraction of the cost.
pub fn write_run_summary(buf: &mut Vec<u8>, store: &Store, workspace_id: &str, run: &RunView<'_>) {
    use crate::http::wire::json::{write_f64, write_str, write_timestamp};
    let (kind, _) = store.run_processor(workspace_id, run);
    let f = describe(kind);
    let full = crate::full_run::summary_parts(run, kind);
    let pinned = run.details;
    let processor = store.processor(workspace_id, run.processor_id);
    let key = |buf: &mut Vec<u8>, name: &str| {
        buf.extend_from_slice(b",\"");
        buf.extend_from_slice(name.as_bytes());
        buf.extend_from_slice(b"\":");
    };
    let text_or_null = |buf: &mut Vec<u8>, text: Option<&str>| match text {
        Some(text) => write_str(buf, text),
        None => buf.extend_from_slice(b"null"),
    };
    buf.extend_from_slice(b"{\"object\":");
    write_str(buf, f.run_object);
    key(buf, "id");
    write_str(buf, run.id);
    key(buf, "status");
    write_str(buf, run.status.as_str());
    key(buf, f.processor_key);
    match processor {
        Some(p) => {
            buf.extend_from_slice(b"{\"object\":");
            write_str(buf, f.processor_key);
            key(buf, "id");
            write_str(buf, &p.id);
            key(buf, "name");
            write_str(buf, &p.name);
            key(buf, "createdAt");
            write_timestamp(buf, p.created_at.unix_nanos());
            key(buf, "updatedAt");
            write_timestamp(buf, p.updated_at.unix_nanos());
            buf.push(b'}');
        }
        None => buf.extend_from_slice(b"null"),
    }
    key(buf, f.version_key);
    match processor.and_then(|p| p.version(run.processor_version_id).map(|v| (p, v))) {
        Some((p, v)) => {
            buf.extend_from_slice(b"{\"object\":\"");
            buf.extend_from_slice(f.processor_key.as_bytes());
            buf.extend_from_slice(b"_version\"");
            key(buf, "id");
            write_str(buf, &v.id);
            key(buf, "description");
            text_or_null(buf, v.description.as_deref());
            key(buf, "version");
            write_str(buf, &v.version);
            key(buf, f.processor_id_key);
            write_str(buf, &p.id);
            key(buf, "createdAt");
            write_timestamp(buf, v.created_at.unix_nanos());
            key(buf, "createdBy");
            buf.extend_from_slice(b"null}");
        }
        None => buf.extend_from_slice(b"null"),
    }
    key(buf, "failureReason");
    let reason = match run.details.and_then(|d| d.failure_reason.as_deref()) {
        Some(given) => Some(given),
        None => full.failure_reason.map(current_failure_word),
    };
    text_or_null(buf, reason);
    key(buf, "failureMessage");
    text_or_null(buf, full.failure_message);
    key(buf, "metadata");
    match pinned.and_then(|d| d.metadata.as_ref()) {
        Some(metadata) => serde_json::to_writer(&mut *buf, metadata).expect("a Vec takes JSON"),
        None => buf.extend_from_slice(b"null"),
    }
    let flag = |value: Option<bool>| -> &'static [u8] {
        if value.unwrap_or(false) {
            b"true"
        } else {
            b"false"
        }
    };
    key(buf, "reviewed");
    buf.extend_from_slice(flag(pinned.and_then(|d| d.reviewed)));
    key(buf, "edited");
    buf.extend_from_slice(flag(pinned.and_then(|d| d.edited)));
    let package = run.details.and_then(|d| d.package) == Some(true);
    key(buf, "file");
    match &full.files {
        // A run over several files shows them all, and no one `file`.
        given if package => {
            buf.extend_from_slice(b"null");
            if f.has_files {
                let files = match json_of(given) {
                    Value::Array(files) => Value::Array(files.iter().map(file_summary).collect()),
                    _ => Value::Null,
                };
                key(buf, "files");
                serde_json::to_writer(&mut *buf, &files).expect("a Vec takes JSON");
            }
        }
        crate::full_run::Files::Derived(file) => {
            buf.extend_from_slice(b"{\"object\":\"file\"");
            key(buf, "id");
            write_str(buf, &file.id);
            key(buf, "name");
            write_str(buf, file.name);
            key(buf, "type");
            text_or_null(buf, file.file_type);
            key(buf, "parentFileId");
            buf.extend_from_slice(b"null");
            key(buf, "metadata");
            match file.metadata.page_count {
                Some(pages) => {
                    buf.extend_from_slice(b"{\"pageCount\":");
                    crate::http::wire::json::write_u64(buf, u64::from(pages));
                    buf.push(b'}');
                }
                None => buf.extend_from_slice(b"{}"),
            }
            key(buf, "createdAt");
            write_timestamp(buf, file.created_at.unix_nanos());
            key(buf, "updatedAt");
            write_timestamp(buf, file.updated_at.unix_nanos());
            buf.push(b'}');
        }
        given => {
            let file = match json_of(given) {
                Value::Array(files) => files.first().map_or(Value::Null, file_summary),
                _ => Value::Null,
            };
            serde_json::to_writer(&mut *buf, &file).expect("a Vec takes JSON");
        }
    }
    if f.has_files && !package {
        key(buf, "files");
        buf.extend_from_slice(b"null");
    }
    key(buf, "parseRunId");
    text_or_null(buf, pinned.and_then(|d| d.parse_run_id.as_deref()));
    key(buf, "dashboardUrl");
    let plain = run
        .id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if plain {
        // What `write_str` would write, without making the string first.
        buf.push(b'"');
        buf.extend_from_slice(crate::full_run::DASHBOARD_RUNS.as_bytes());
        buf.extend_from_slice(run.id.as_bytes());
        buf.push(b'"');
    } else {
        write_str(
            buf,
            &format!("{}{}", crate::full_run::DASHBOARD_RUNS, run.id),
        );
    }
    key(buf, "usage");
    match run.credits {
        Some(credits) => {
            buf.extend_from_slice(b"{\"credits\":");
            write_f64(buf, credits);
            buf.push(b'}');
        }
        None => buf.extend_from_slice(b"null"),
    }
    key(buf, "createdAt");
    write_timestamp(buf, run.created_nanos);
    key(buf, "updatedAt");
    write_timestamp(buf, run.updated_nanos);
    buf.push(b'}');
}

/// A part of a full run as JSON: `run_object` writes only the parts it
/// shows (a summary never writes the config).
fn json_of<T: serde::Serialize>(part: &T) -> Value {
    serde_json::to_value(part).expect("a full run's parts are JSON")
}

/// The failure reasons derived for runs that pin none (the legacy
/// vocabulary) in the current API's words, which the SDKs document for
/// these runs. A reason a run was given (a marker's, a fixture's, the
/// control plane's) is shown as given.
fn current_failure(reason: Value) -> Value {
    match reason.as_str() {
        Some(word) => json!(current_failure_word(word)),
        None => reason,
    }
}

fn current_failure_word(reason: &str) -> &str {
    match reason {
        "FILE_PARSING_ERROR" | "UNSUPPORTED_FILE_TYPE" => "FAILED_TO_PROCESS_FILE",
        "PROCESSING_TIMEOUT" => "ABORTED",
        other => other,
    }
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
