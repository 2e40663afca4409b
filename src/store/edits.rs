//! Edit runs, form detection runs and edit templates (`/edit_runs`,
//! `/form_detection_runs`, `/edit_templates`): resources of their own, by id
//! and per workspace in `(createdAt, id)` order. An edit run and a form
//! detection run are one kind of record (`FormRun`): a PDF's form read,
//! and for an edit run filled; what differs is the family's
//! (`families::edit`).

use std::sync::Arc;

use super::workflows::{Keyed, Table};
use crate::domain::{JsonObject, RunStatus, StoredFile, Timestamp};

/// Which family a form run is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormRunKind {
    /// `edit_run` (`edr_`): a PDF's form filled.
    Edit,
    /// `form_detection_run` (`sgr_`): a PDF's form read as an edit schema.
    Detect,
}

/// What a run ends with when it ends PROCESSED, worked out when it was
/// made (the PDF read, and filled): nothing is left to do at its end but
/// to store the edited file.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The output's JSON without the edited file (`{filledValues?}` for an
    /// edit run; `{schema, annotatedSchema, mappingResult}` for detection).
    pub output: JsonObject,
    /// The edited file, made and read (edit runs); stored when it ends.
    pub edited: Option<StoredFile>,
    /// `metrics`, but for `processingTimeMs` (the run's own time).
    pub metrics: JsonObject,
    pub page_count: u32,
}

#[derive(Clone, Debug)]
pub struct FormRun {
    pub id: String,
    pub workspace_id: String,
    pub kind: FormRunKind,
    pub status: RunStatus,
    /// The file it read, as `FileSummary`.
    pub file: JsonObject,
    pub file_name: String,
    /// The config used, its defaults filled in.
    pub config: JsonObject,
    /// Its output once PROCESSED (an edit run's without `presignedUrl`,
    /// which is signed on each read).
    pub output: Option<JsonObject>,
    /// What it ends with, until it has ended.
    pub prepared: Option<Arc<Prepared>>,
    pub metrics: Option<JsonObject>,
    pub failure: Option<(String, String)>,
    pub credits: Option<f64>,
    /// Where the client that made it reached this server: the base of the
    /// edited file's link in webhook payloads.
    pub base_url: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An edit template as a fixture declares it: a saved file and config.
#[derive(Clone, Debug)]
pub struct EditTemplate {
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    pub description: Option<String>,
    /// The template's file (`file_…`, in the file store).
    pub file_id: String,
    /// `config` (`{}` when none was saved) and `schemaConfig`.
    pub config: JsonObject,
    pub schema_config: Option<JsonObject>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// As its fixture declared it (what an export writes back).
    pub declared: FixtureTemplate,
}

impl Keyed for FormRun {
    fn id(&self) -> &str {
        &self.id
    }
    fn workspace_id(&self) -> &str {
        &self.workspace_id
    }
    fn created_at(&self) -> Timestamp {
        self.created_at
    }
}

impl Keyed for EditTemplate {
    fn id(&self) -> &str {
        &self.id
    }
    fn workspace_id(&self) -> &str {
        &self.workspace_id
    }
    fn created_at(&self) -> Timestamp {
        self.created_at
    }
}

/// Form runs and edit templates of a store.
#[derive(Clone, Debug, Default)]
pub struct Edits {
    pub runs: Table<FormRun>,
    pub templates: Table<EditTemplate>,
}

/// An edit template as a fixture declares it: its form's fields (the
/// server makes the PDF, a file of the workspace named `fileName`), its
/// saved `config` and `schemaConfig`.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FixtureTemplate {
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub file_name: String,
    pub fields: Vec<FixtureField>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<JsonObject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_config: Option<JsonObject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
}

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FixtureField {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `text`, `checkbox`, `radio`, `dropdown`, `optionList`, `signature`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}
