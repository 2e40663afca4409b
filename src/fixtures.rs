//! Fixture documents: reading them, checking them, and building a `Store` from
//! them. The default document is compiled into the binary so the server runs from
//! any folder. Every error names the document and the field at fault.

use std::fmt;
use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::domain::{ApiKey, Organization};
use crate::domain::{FixtureFile, Processor, ProcessorRun, StoredFile, WebhookEndpoint};
use crate::store::{Admission, Store, StoreError};

/// The built-in document, used when no `--fixtures` is given.
pub const DEFAULT_DOCUMENT: &str = include_str!("../fixtures/default.json");
pub const DEFAULT_NAME: &str = "built-in fixtures";

/// One fixture document, camelCase like the API. Unknown fields are an error: a
/// typo such as `processorRun` would otherwise load an empty store in silence.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Document {
    #[serde(default)]
    pub organizations: Vec<Organization>,
    #[serde(default)]
    pub api_keys: Vec<ApiKey>,
    /// The processor catalogue. When a document gives it, its runs must name
    /// these processors and versions; when not, it is derived from the runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processors: Option<Vec<Processor>>,
    #[serde(default)]
    pub processor_runs: Vec<ProcessorRun>,
    /// Files, as `GET /files` lists them; the content inline.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FixtureFile>,
    /// Webhook endpoints, each with its `signingSecret` (so a test knows it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webhook_endpoints: Vec<WebhookEndpoint>,
    /// Workflows: their draft's steps and their deployed versions' (no runs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workflows: Vec<FixtureWorkflow>,
    /// Edit templates: their form's fields (the server makes the PDF) and
    /// saved configs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edit_templates: Vec<crate::store::edits::FixtureTemplate>,
}

/// A workflow as a fixture declares it: `steps` are the draft's, checked as
/// `POST /workflows` checks them; each of `versions` is deployed in turn
/// (`"1"`, `"2"`, …), checked as a deploy is.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FixtureWorkflow {
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<crate::domain::Timestamp>,
    pub steps: Vec<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<FixtureWorkflowVersion>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FixtureWorkflowVersion {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub steps: Vec<serde_json::Value>,
}

/// A bad document: where it came from, where in it, and what is wrong.
#[derive(Debug, PartialEq)]
pub struct FixtureError {
    pub source: String,
    pub path: String,
    pub reason: String,
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() || self.path == "." {
            write!(f, "{}: {}", self.source, self.reason)
        } else {
            write!(f, "{}: {}: {}", self.source, self.path, self.reason)
        }
    }
}

impl std::error::Error for FixtureError {}

/// Most of a parse error kept: serde quotes the value at fault, and a
/// 400 MB string must not come back as a 400 MB message.
const CLIP: usize = 480;

/// `text` cut to its first and last `most / 2` characters when longer, with
/// what was left out said between them.
pub fn clip(text: String, most: usize) -> String {
    let count = text.chars().count();
    if count <= most {
        return text;
    }
    let head: String = text.chars().take(most / 2).collect();
    let tail: String = text.chars().skip(count - most / 2).collect();
    format!("{head}… ({} characters left out) …{tail}", count - most)
}

/// The longest JSON string a document may hold. serde quotes a value it
/// cannot take in its error, so a huge string would cost several times its
/// size to refuse; this refuses it for the cost of one scan.
const MAX_STRING: usize = 96 << 20;

/// Where the first string longer than `most` bytes starts, and its length,
/// in JSON text (escapes counted as written). Only a text longer than `most`
/// can hold one, so smaller ones are not scanned.
fn longest_string_over(bytes: &[u8], most: usize) -> Option<(usize, usize)> {
    if bytes.len() <= most {
        return None;
    }
    let mut at = 0;
    while let Some(open) = memchr::memchr(b'"', &bytes[at..]).map(|i| at + i) {
        let mut end = open + 1;
        loop {
            match memchr::memchr2(b'"', b'\\', &bytes[end..]) {
                None => return None,
                Some(i) if bytes[end + i] == b'\\' => end += i + 2,
                Some(i) => {
                    end += i;
                    break;
                }
            }
            if end >= bytes.len() {
                return None;
            }
        }
        let length = end - open - 1;
        if length > most {
            return Some((open, length));
        }
        at = end + 1;
    }
    None
}

/// Parses one document. `source` names it in errors (a file path, or "request body").
pub fn parse_document(source: &str, text: &str) -> Result<Document, FixtureError> {
    parse_json(source, text.as_bytes())
}

/// Parses JSON into `T`, naming the field at fault (`processorRuns[3].status`)
/// and rejecting anything after the value.
pub fn parse_json<T: DeserializeOwned>(source: &str, bytes: &[u8]) -> Result<T, FixtureError> {
    let fail = |path: String, reason: String| FixtureError {
        source: source.to_owned(),
        path: clip(path, CLIP),
        reason: clip(reason, CLIP),
    };
    // Every document and body is a JSON object. Serde would also read a struct
    // from an array of its fields in order, so `[]` would be an empty document.
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        Some(b'[') => {
            return Err(fail(
                String::new(),
                "must be a JSON object (`{…}`), not an array".into(),
            ));
        }
        _ => {}
    }
    if let Some((at, length)) = longest_string_over(bytes, MAX_STRING) {
        return Err(fail(
            String::new(),
            format!(
                "a string of {length} bytes at byte {at}; the longest a document takes is {} MiB \
                 (a 50 MiB file's content in base64 is 67 MiB)",
                MAX_STRING >> 20
            ),
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| fail(e.path().to_string(), e.inner().to_string()))?;
    de.end().map_err(|e| fail(String::new(), e.to_string()))?;
    Ok(value)
}

/// Builds one store from several documents, as if they were one: all the
/// organizations first, then the keys, then the processors, then the runs, so
/// a document may refer to a workspace or processor that another declares.
pub fn build_store(documents: Vec<(String, Document)>) -> Result<Store, FixtureError> {
    let mut store = Store::default();
    let fail = |source: &str, path: String, reason: StoreError| FixtureError {
        source: source.to_owned(),
        path,
        reason: reason.to_string(),
    };
    for (source, doc) in &documents {
        for (i, org) in doc.organizations.iter().enumerate() {
            store
                .add_organization(org.clone())
                .map_err(|r| fail(source, format!("organizations[{i}]"), r))?;
        }
    }
    for (source, doc) in &documents {
        for (i, key) in doc.api_keys.iter().enumerate() {
            store
                .add_key(key.clone())
                .map_err(|r| fail(source, format!("apiKeys[{i}]"), r))?;
        }
    }
    for (source, doc) in &documents {
        for (i, processor) in doc.processors.iter().flatten().enumerate() {
            store
                .add_processor(processor.clone())
                .map_err(|r| fail(source, format!("processors[{i}]"), r))?;
        }
    }
    for (source, doc) in &documents {
        for (i, file) in doc.files.iter().enumerate() {
            let stored = StoredFile::try_from(file.clone()).map_err(|(field, reason)| {
                fail(
                    source,
                    format!("files[{i}]"),
                    StoreError::Invalid { field, reason },
                )
            })?;
            store
                .add_file(stored, None)
                .map_err(|r| fail(source, format!("files[{i}]"), r))?;
        }
    }
    for (source, doc) in &documents {
        for (i, template) in doc.edit_templates.iter().enumerate() {
            crate::families::edit::add_fixture(&mut store, template).map_err(
                |(path, reason)| FixtureError {
                    source: source.clone(),
                    path: format!("editTemplates[{i}]{path}"),
                    reason,
                },
            )?;
        }
    }
    for (source, doc) in &documents {
        for (i, endpoint) in doc.webhook_endpoints.iter().enumerate() {
            store
                .add_endpoint(endpoint.clone())
                .map_err(|r| fail(source, format!("webhookEndpoints[{i}]"), r))?;
        }
    }
    for (source, doc) in documents {
        let admission = if doc.processors.is_some() {
            Admission::Require
        } else {
            Admission::Derive
        };
        store
            .add_runs_with(doc.processor_runs, admission)
            .map_err(|(i, r)| fail(&source, format!("processorRuns[{i}]"), r))?;
        // After the runs: a step may name a processor derived from them.
        for (i, workflow) in doc.workflows.iter().enumerate() {
            crate::families::workflows::add_fixture(&mut store, workflow).map_err(
                |(path, reason)| FixtureError {
                    source: source.clone(),
                    path: format!("workflows[{i}]{path}"),
                    reason,
                },
            )?;
        }
    }
    Ok(store)
}

/// Expands `--fixtures` arguments: a file is itself, a folder is its `*.json`
/// files in name order (not recursive, so stray sub-folders are left alone).
pub fn expand_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, FixtureError> {
    let mut files = Vec::new();
    for path in paths {
        let io_error = |e: std::io::Error| FixtureError {
            source: path.display().to_string(),
            path: String::new(),
            reason: e.to_string(),
        };
        if path.metadata().map_err(io_error)?.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(io_error)?
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "json"))
                .collect();
            if found.is_empty() {
                return Err(FixtureError {
                    source: path.display().to_string(),
                    path: String::new(),
                    reason: "the folder holds no .json fixture documents".into(),
                });
            }
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// Reads and parses each file. Nothing is merged until every file has parsed.
pub fn read_documents(files: &[PathBuf]) -> Result<Vec<(String, Document)>, FixtureError> {
    files
        .iter()
        .map(|file| {
            let source = file.display().to_string();
            let text = std::fs::read_to_string(file).map_err(|e| FixtureError {
                source: source.clone(),
                path: String::new(),
                reason: e.to_string(),
            })?;
            let document = parse_document(&source, &text)?;
            Ok((source, document))
        })
        .collect()
}

/// The documents the server starts with: the built-in one, or the given paths.
pub fn load_documents(paths: &[PathBuf]) -> Result<Vec<(String, Document)>, FixtureError> {
    if paths.is_empty() {
        let doc = parse_document(DEFAULT_NAME, DEFAULT_DOCUMENT)?;
        return Ok(vec![(DEFAULT_NAME.to_owned(), doc)]);
    }
    read_documents(&expand_paths(paths)?)
}

/// The current state as a document that `build_store` turns back into it.
pub fn export(store: &Store) -> Document {
    Document {
        organizations: store.organizations().to_vec(),
        api_keys: store.keys().to_vec(),
        processors: Some(store.processors().to_vec()),
        processor_runs: store.runs().collect(),
        // A template's file is made from its declaration, not exported.
        files: store
            .files()
            .into_iter()
            .filter(|f| !store.edits.templates.iter().any(|t| t.file_id == f.id))
            .map(FixtureFile::from)
            .collect(),
        webhook_endpoints: store.endpoints().into_iter().cloned().collect(),
        workflows: crate::families::workflows::export(store),
        edit_templates: crate::families::edit::export(store),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_string_past_the_longest_is_refused_before_parsing() {
        let long = "a".repeat(40);
        let text = format!(r#"{{"apiKeys": [], "x": "b\\\"{long}", "y": "{long}"}}"#);
        assert_eq!(longest_string_over(text.as_bytes(), 30), Some((21, 45)));
        assert_eq!(longest_string_over(text.as_bytes(), 50), None);
        assert_eq!(longest_string_over(br#"{"a": "\""#, 3), None);
    }

    #[test]
    fn a_huge_value_at_fault_is_quoted_in_part() {
        let text = format!(r#"{{"processorRuns": "{}"}}"#, "a".repeat(1_000_000));
        let error = parse_document("request body", &text).unwrap_err();
        let message = error.to_string();
        assert!(message.len() < 1000, "{} bytes", message.len());
        assert!(message.contains("characters left out"), "{message}");
        assert!(message.contains("expected a sequence"), "{message}");
    }
    use super::*;

    #[test]
    fn the_built_in_document_loads() {
        let store =
            build_store(load_documents(&[]).unwrap()).expect("the default fixtures are valid");
        assert!(store.run_count() >= 60);
    }

    #[test]
    fn errors_name_the_source_and_the_field() {
        let text = r#"{"processorRuns": [{"id": "exr_1", "status": "DONE"}]}"#;
        let err = parse_document("a.json", text).unwrap_err();
        assert_eq!(err.source, "a.json");
        assert_eq!(err.path, "processorRuns[0].status");
        assert!(err.reason.contains("`DONE` is not one of"), "{err}");
    }

    #[test]
    fn an_array_is_not_a_document() {
        let err = parse_document("a.json", " []").unwrap_err();
        assert_eq!(
            err.to_string(),
            "a.json: must be a JSON object (`{…}`), not an array"
        );
    }

    #[test]
    fn trailing_garbage_is_an_error() {
        assert!(parse_document("a.json", "{} {}").is_err());
    }
}
