//! The full run `GET /processor_runs/{id}` answers, written by hand: the
//! derived parts (an extraction's values and one metadata entry per leaf)
//! are most of the body, and serde's per-field work was most of a get's
//! cost. Pinned fields, which a fixture gives as JSON, go through serde. The
//! tests hold the bytes to what serde writes for the same `FullRun`.

use crate::domain::JsonObject;
use crate::full_run::{
    Config, DerivedFile, Field, Files, FullRun, LeafNumbers, Output, PAGE_HEIGHT, PAGE_WIDTH,
};
use crate::http::wire::json;

/// About what a derived full run takes; a buffer sized from it rarely grows.
pub const FULL_RUN_BYTES: usize = 8192;

fn write_value<T: serde::Serialize + ?Sized>(buf: &mut Vec<u8>, value: &T) {
    serde_json::to_writer(&mut *buf, value).expect("writing to a Vec cannot fail");
}

fn key(buf: &mut Vec<u8>, name: &[u8]) {
    buf.push(b',');
    buf.push(b'"');
    buf.extend_from_slice(name);
    buf.extend_from_slice(b"\":");
}

fn optional_object(buf: &mut Vec<u8>, name: &[u8], value: Option<&JsonObject>) {
    if let Some(value) = value {
        key(buf, name);
        write_value(buf, value);
    }
}

/// The run's JSON, in `FullRun`'s field order.
pub fn write_full_run(run: &FullRun<'_>, buf: &mut Vec<u8>) {
    buf.extend_from_slice(b"{\"object\":");
    json::write_str(buf, run.object);
    key(buf, b"id");
    json::write_str(buf, run.id);
    key(buf, b"processorId");
    json::write_str(buf, run.processor_id);
    key(buf, b"processorVersionId");
    json::write_str(buf, run.processor_version_id);
    key(buf, b"processorName");
    json::write_str(buf, run.processor_name);
    key(buf, b"status");
    json::write_str(buf, run.status.as_str());
    key(buf, b"output");
    write_output(buf, &run.output);
    if let Some(reason) = run.failure_reason {
        key(buf, b"failureReason");
        json::write_str(buf, reason);
    }
    if let Some(message) = run.failure_message {
        key(buf, b"failureMessage");
        json::write_str(buf, message);
    }
    optional_object(buf, b"metadata", run.metadata);
    key(buf, b"reviewed");
    buf.extend_from_slice(if run.reviewed { b"true" } else { b"false" });
    key(buf, b"edited");
    buf.extend_from_slice(if run.edited { b"true" } else { b"false" });
    key(buf, b"edits");
    match run.edits {
        Some(edits) => write_value(buf, edits),
        None => buf.extend_from_slice(b"{}"),
    }
    key(buf, b"type");
    json::write_str(buf, run.processor_type.as_str());
    key(buf, b"config");
    match &run.config {
        Config::Given(given) => write_value(buf, &*crate::configs::legacy_view(given)),
        Config::Derived(raw) => buf.extend_from_slice(raw.get().as_bytes()),
    }
    optional_object(buf, b"initialOutput", run.initial_output);
    optional_object(buf, b"reviewedOutput", run.reviewed_output);
    key(buf, b"files");
    match &run.files {
        Files::Given(files) => write_value(buf, files),
        Files::Derived(file) => {
            buf.push(b'[');
            write_file(buf, file);
            buf.push(b']');
        }
    }
    key(buf, b"mergedProcessors");
    buf.extend_from_slice(b"[]");
    key(buf, b"url");
    json::write_str(buf, &run.url);
    if let Some(usage) = &run.usage {
        key(buf, b"usage");
        buf.extend_from_slice(b"{\"credits\":");
        json::write_f64(buf, usage.credits);
        buf.push(b'}');
    }
    buf.push(b'}');
}

fn write_file(buf: &mut Vec<u8>, file: &DerivedFile<'_>) {
    buf.extend_from_slice(b"{\"object\":");
    json::write_str(buf, file.object);
    key(buf, b"id");
    json::write_str(buf, &file.id);
    key(buf, b"name");
    json::write_str(buf, file.name);
    if let Some(kind) = file.file_type {
        key(buf, b"type");
        json::write_str(buf, kind);
    }
    key(buf, b"metadata");
    match file.metadata.page_count {
        Some(pages) => {
            buf.extend_from_slice(b"{\"pageCount\":");
            json::write_u64(buf, u64::from(pages));
            buf.push(b'}');
        }
        None => buf.extend_from_slice(b"{}"),
    }
    key(buf, b"createdAt");
    json::write_timestamp(buf, file.created_at.unix_nanos());
    key(buf, b"updatedAt");
    json::write_timestamp(buf, file.updated_at.unix_nanos());
    buf.push(b'}');
}

fn write_output(buf: &mut Vec<u8>, output: &Output<'_>) {
    match output {
        Output::Given(given) => write_value(buf, given),
        Output::Empty => buf.extend_from_slice(b"{}"),
        Output::Other(object) => write_value(buf, object),
        Output::Extraction(extraction) => {
            buf.extend_from_slice(b"{\"value\":");
            write_field(buf, &extraction.value);
            buf.extend_from_slice(b",\"metadata\":{");
            let mut first = true;
            let _ = extraction.for_each_leaf(|path, leaf, numbers| {
                if !first {
                    buf.push(b',');
                }
                first = false;
                json::write_str(buf, path);
                buf.push(b':');
                write_leaf(buf, leaf, numbers);
                Ok::<(), ()>(())
            });
            buf.extend_from_slice(b"}}");
        }
    }
}

fn write_field(buf: &mut Vec<u8>, field: &Field) {
    match field {
        Field::Object(fields) => {
            buf.push(b'{');
            for (i, (name, value)) in fields.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                json::write_str(buf, name);
                buf.push(b':');
                write_field(buf, value);
            }
            buf.push(b'}');
        }
        Field::Array(items) => {
            buf.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                write_field(buf, item);
            }
            buf.push(b']');
        }
        Field::Choice(value) => write_value(buf, value),
        Field::Number(n) => json::write_f64(buf, *n),
        Field::Integer(n) => write_value(buf, n),
        Field::Bool(b) => buf.extend_from_slice(if *b { b"true" } else { b"false" }),
        Field::Null => buf.extend_from_slice(b"null"),
        Field::Text(text) => json::write_str(buf, text),
    }
}

/// One metadata entry. The citation quotes the leaf as text: strings as
/// they are, numbers in their shortest form (`2231.36`, `12`).
fn write_leaf(buf: &mut Vec<u8>, leaf: &Field, numbers: &LeafNumbers) {
    buf.extend_from_slice(b"{\"ocrConfidence\":");
    json::write_thousandths(buf, u64::from(numbers.ocr_confidence));
    buf.extend_from_slice(b",\"logprobsConfidence\":");
    json::write_thousandths(buf, u64::from(numbers.logprobs_confidence));
    buf.extend_from_slice(b",\"citations\":[{\"page\":");
    json::write_u64(buf, u64::from(numbers.page));
    buf.extend_from_slice(b",\"referenceText\":");
    match leaf {
        Field::Text(text) => json::write_str(buf, text),
        other => json::write_str(buf, &other.reference_text()),
    }
    buf.extend_from_slice(b",\"polygon\":[");
    for (j, point) in numbers.polygon.iter().enumerate() {
        if j > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(b"{\"x\":");
        json::write_whole_f64(buf, point.x);
        buf.extend_from_slice(b",\"y\":");
        json::write_whole_f64(buf, point.y);
        buf.push(b'}');
    }
    buf.extend_from_slice(b"],\"pageWidth\":");
    json::write_whole_f64(buf, PAGE_WIDTH);
    buf.extend_from_slice(b",\"pageHeight\":");
    json::write_whole_f64(buf, PAGE_HEIGHT);
    buf.extend_from_slice(b"}]}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use crate::full_run::full_run;
    use crate::generate::{GenerateSpec, add_generated_runs};
    use crate::store::{Filters, PageRequest, Store};

    fn every_run(store: &Store, workspace: &str, check: &mut dyn FnMut(&FullRun<'_>)) -> usize {
        let filters = Filters::default();
        let page = store.page(
            workspace,
            &PageRequest {
                filters: &filters,
                order: crate::domain::Order::default(),
                after: None,
                limit: usize::MAX,
            },
        );
        let mut seen = 0;
        for listed in page.runs() {
            // As the route does: the run with its pinned fields.
            let run = store.get(workspace, listed.id).unwrap();
            let (kind, config) = store.run_processor(workspace, &run);
            check(&full_run(&run, kind, config));
            seen += 1;
        }
        seen
    }

    fn assert_same_bytes(run: &FullRun<'_>) {
        let mut written = Vec::new();
        write_full_run(run, &mut written);
        let reference = serde_json::to_vec(run).unwrap();
        assert_eq!(
            String::from_utf8(written).unwrap(),
            String::from_utf8(reference).unwrap(),
            "{}",
            run.id
        );
    }

    /// Every kind and status the generator makes, and every pinned field.
    #[test]
    fn full_runs_are_written_as_serde_writes_them() {
        let mut store = fixtures::build_store(fixtures::load_documents(&[]).unwrap()).unwrap();
        let spec = GenerateSpec {
            count: 3000,
            seed: 7,
            workspace: Some("ws_acme".into()),
        };
        add_generated_runs(&mut store, &spec, &mut |_| {}).unwrap();
        let seen = every_run(&store, "ws_acme", &mut assert_same_bytes);
        assert!(seen > 3000, "{seen}");

        let pinned = serde_json::json!({
            "organizations": [{"id": "o", "name": "O", "workspaces": [{"id": "w", "name": "W"}]}],
            "processorRuns": [{
                "id": "exr_pinned", "workspaceId": "w", "status": "PROCESSED",
                "processorId": "ex_1", "processorName": "Odd \"name\"", "processorVersionId": "exv_1",
                "type": "EXTRACT", "source": "API", "fileName": "a\u{7}b.pdf",
                "createdAt": "2024-01-01T00:00:00.5Z", "updatedAt": "2024-01-02T00:00:00Z",
                "usage": {"credits": 0.1},
                "output": {"value": {"total": 1}, "metadata": {}},
                "initialOutput": {"value": {}, "metadata": {}},
                "reviewedOutput": {"value": {"total": 2}, "metadata": {}},
                "config": {"type": "EXTRACT", "schema": {"type": "object", "properties": {
                    "when": {"type": "string", "format": "date"},
                    "n": {"type": "integer"}, "ok": {"type": "boolean"},
                    "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}}}}},
                "files": [{"object": "file", "id": "file_1", "name": "x", "metadata": {},
                           "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z"}],
                "metadata": {"k": [1, 2]}, "failureReason": "R", "failureMessage": "M\n",
                "reviewed": true, "edited": true, "edits": {"total": {"editedValue": 2}}
            }, {
                "id": "exr_schema_only", "workspaceId": "w", "status": "PROCESSED",
                "processorId": "ex_1", "processorName": "P", "processorVersionId": "exv_1",
                "type": "EXTRACT", "source": "API", "fileName": "b.docx",
                "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z",
                "config": {"type": "EXTRACT", "schema": {"type": "object", "properties": {
                    "when": {"type": "string", "format": "date"},
                    "n": {"type": ["integer", "null"]}, "ok": {"type": "boolean"}, "nothing": {"type": "null"},
                    "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}}}}}
            }]
        });
        let store = fixtures::build_store(vec![(
            "test".into(),
            serde_json::from_value(pinned).unwrap(),
        )])
        .unwrap();
        assert_eq!(every_run(&store, "w", &mut assert_same_bytes), 2);
    }
}
