//! A processor run: what the store keeps of it and how a fixture spells it,
//! with the full-object fields a fixture may pin.

use serde::{Deserialize, Serialize};

use super::{ProcessorType, RunId, RunSource, RunStatus, SortBy, Timestamp};

/// Credits a run consumed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Usage {
    pub credits: f64,
}

/// A stored run: the summary the API returns, plus what the filters need
/// (`workspaceId`, `source`, `sourceId`, `fileName`), plus any full-object
/// field a fixture pins (`details`). This is also the shape of a run in a
/// fixture document, where the details sit beside the other fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "FixtureRun", into = "FixtureRun")]
pub struct ProcessorRun {
    pub id: RunId,
    pub workspace_id: String,
    pub status: RunStatus,
    pub processor_id: String,
    pub processor_name: String,
    pub processor_version_id: String,
    pub processor_type: Option<ProcessorType>,
    pub source: RunSource,
    pub source_id: Option<String>,
    pub file_name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub usage: Option<Usage>,
    pub details: RunDetails,
}

/// A JSON object, as the SDK's models require for outputs, configs and metadata.
pub type JsonObject = serde_json::Map<String, serde_json::Value>;

/// The fields of the full run (`GET /processor_runs/{id}`) that a fixture may
/// pin; each one given is served exactly as given, the others are derived
/// from the run (`full_run.rs`). Checked at load where the SDK's model needs
/// a shape (`check`), so a strict parse of the served run never fails.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunDetails {
    pub output: Option<JsonObject>,
    pub initial_output: Option<JsonObject>,
    pub reviewed_output: Option<JsonObject>,
    pub config: Option<JsonObject>,
    pub files: Option<Vec<JsonObject>>,
    pub metadata: Option<JsonObject>,
    pub failure_reason: Option<String>,
    pub failure_message: Option<String>,
    pub reviewed: Option<bool>,
    pub edited: Option<bool>,
    pub edits: Option<JsonObject>,
    /// The document's own text, where the run has one (a `rawText` or
    /// `text` input, an uploaded text file, a fixture's): a derived
    /// extraction takes its string and amount fields from it where a
    /// field's name points at a line (`invoice_number` ← `Invoice #12345`).
    /// Kept to `MAX_TEXT` bytes. Not part of the API's run object.
    pub text: Option<String>,
    /// A run over several files (the current API's `package`): its
    /// objects show `files` and no `file`.
    pub package: Option<bool>,
    /// The parse run that read its file first (`parseRunId`): one made
    /// with every run made through the API (`families::parse::companion`).
    pub parse_run_id: Option<String>,
}

/// The most of a document's text a run keeps.
pub const MAX_TEXT: usize = 16 * 1024;

/// `text` cut to at most `MAX_TEXT` bytes, at a character boundary.
pub fn clip_text(text: &str) -> String {
    let mut end = text.len().min(MAX_TEXT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

impl RunDetails {
    pub fn is_empty(&self) -> bool {
        self == &RunDetails::default()
    }

    /// What the SDK's model needs of the pinned fields beyond their JSON type:
    /// a config of the run's type, files with the `File` fields it requires.
    /// The error names the field (`config.type`, `files[0].metadata`).
    pub fn check(&self, run_type: Option<ProcessorType>) -> Result<(), String> {
        let outputs = [
            ("output", &self.output),
            ("initialOutput", &self.initial_output),
            ("reviewedOutput", &self.reviewed_output),
        ];
        for (field, output) in outputs {
            if let Some(output) = output {
                crate::openapi::check_output(run_type, output)
                    .map_err(|e| format!("{field}: {e}"))?;
            }
        }
        if let Some(config) = &self.config {
            let declared = config
                .get("type")
                .and_then(|t| t.as_str())
                .ok_or("config.type: required, one of EXTRACT, CLASSIFY, SPLITTER")?;
            let declared =
                ProcessorType::parse(declared).map_err(|e| format!("config.type: {e}"))?;
            if let Some(run_type) = run_type
                && run_type != declared
            {
                return Err(format!(
                    "config.type: `{declared}` does not match the run's type `{run_type}`"
                ));
            }
            let list = match declared {
                ProcessorType::Extract => None,
                ProcessorType::Classify => Some("classifications"),
                ProcessorType::Splitter => Some("splitClassifications"),
            };
            if let Some(list) = list
                && !config.get(list).is_some_and(|v| v.is_array())
            {
                return Err(format!(
                    "config.{list}: required, an array, for a {declared} config"
                ));
            }
        }
        for (i, file) in self.files.iter().flatten().enumerate() {
            for field in ["id", "name", "createdAt", "updatedAt"] {
                if !file.get(field).is_some_and(|v| v.is_string()) {
                    return Err(format!("files[{i}].{field}: required, a string"));
                }
            }
            if !file.get("metadata").is_some_and(|v| v.is_object()) {
                return Err(format!("files[{i}].metadata: required, a JSON object"));
            }
        }
        Ok(())
    }
}

/// A run as a fixture document spells it: the summary and filter fields and
/// the pinned details side by side. Parsed here, then split into `ProcessorRun`.
/// The details are spelled out rather than `#[serde(flatten)]`ed: serde
/// cannot deny unknown fields through a flatten, and a typo must stay an error.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FixtureRun {
    id: RunId,
    workspace_id: String,
    status: RunStatus,
    processor_id: String,
    processor_name: String,
    processor_version_id: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    processor_type: Option<ProcessorType>,
    source: RunSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source_id: Option<String>,
    file_name: String,
    created_at: Timestamp,
    updated_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    usage: Option<Usage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    output: Option<JsonObject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    initial_output: Option<JsonObject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reviewed_output: Option<JsonObject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    config: Option<JsonObject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    files: Option<Vec<JsonObject>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    metadata: Option<JsonObject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failure_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failure_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reviewed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    edited: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    edits: Option<JsonObject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    package: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parse_run_id: Option<String>,
}

impl TryFrom<FixtureRun> for ProcessorRun {
    type Error = String;

    fn try_from(f: FixtureRun) -> Result<Self, String> {
        let details = RunDetails {
            output: f.output,
            initial_output: f.initial_output,
            reviewed_output: f.reviewed_output,
            config: f.config,
            files: f.files,
            metadata: f.metadata,
            failure_reason: f.failure_reason,
            failure_message: f.failure_message,
            reviewed: f.reviewed,
            edited: f.edited,
            edits: f.edits,
            text: f.text.as_deref().map(clip_text),
            package: f.package,
            parse_run_id: f.parse_run_id,
        };
        details.check(f.processor_type)?;
        Ok(ProcessorRun {
            id: f.id,
            workspace_id: f.workspace_id,
            status: f.status,
            processor_id: f.processor_id,
            processor_name: f.processor_name,
            processor_version_id: f.processor_version_id,
            processor_type: f.processor_type,
            source: f.source,
            source_id: f.source_id,
            file_name: f.file_name,
            created_at: f.created_at,
            updated_at: f.updated_at,
            usage: f.usage,
            details,
        })
    }
}

impl From<ProcessorRun> for FixtureRun {
    fn from(run: ProcessorRun) -> Self {
        let d = run.details;
        FixtureRun {
            id: run.id,
            workspace_id: run.workspace_id,
            status: run.status,
            processor_id: run.processor_id,
            processor_name: run.processor_name,
            processor_version_id: run.processor_version_id,
            processor_type: run.processor_type,
            source: run.source,
            source_id: run.source_id,
            file_name: run.file_name,
            created_at: run.created_at,
            updated_at: run.updated_at,
            usage: run.usage,
            output: d.output,
            initial_output: d.initial_output,
            reviewed_output: d.reviewed_output,
            config: d.config,
            files: d.files,
            metadata: d.metadata,
            failure_reason: d.failure_reason,
            failure_message: d.failure_message,
            reviewed: d.reviewed,
            edited: d.edited,
            edits: d.edits,
            text: d.text,
            package: d.package,
            parse_run_id: d.parse_run_id,
        }
    }
}

impl ProcessorRun {
    /// The value the run sorts on under `sort_by`.
    pub fn sort_value(&self, sort_by: SortBy) -> Timestamp {
        match sort_by {
            SortBy::CreatedAt => self.created_at,
            SortBy::UpdatedAt => self.updated_at,
        }
    }
}
