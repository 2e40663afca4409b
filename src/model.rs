//! The domain types: what a processor run is, and the closed vocabularies the API
//! uses on the wire. Parsing happens here once; nothing further in re-checks a value.
//! No HTTP types here.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Declares a closed set of values spelled one fixed way on the wire, with
/// `ALL`, `as_str` and a `parse` whose error lists every accepted spelling.
/// The same spelling serves the query string, JSON bodies and fixtures.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// Exact, case-sensitive match: the API documents one spelling.
            pub fn parse(raw: &str) -> Result<Self, String> {
                match raw {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(format!(
                        "`{raw}` is not one of {}",
                        Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
                    )),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                $name::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

wire_enum!(
    /// Run status as the API spells it.
    RunStatus {
        Pending => "PENDING",
        Processing => "PROCESSING",
        Processed => "PROCESSED",
        Failed => "FAILED",
        Cancelled => "CANCELLED",
    }
);

wire_enum!(
    /// The kind of processor a run executed.
    ProcessorType {
        Extract => "EXTRACT",
        Classify => "CLASSIFY",
        Splitter => "SPLITTER",
    }
);

wire_enum!(
    /// What created the run.
    RunSource {
        Admin => "ADMIN",
        BatchProcessorRun => "BATCH_PROCESSOR_RUN",
        Playground => "PLAYGROUND",
        WorkflowConfiguration => "WORKFLOW_CONFIGURATION",
        WorkflowRun => "WORKFLOW_RUN",
        Studio => "STUDIO",
        Api => "API",
    }
);

wire_enum!(
    /// The `sortBy` query parameter.
    SortBy {
        CreatedAt => "createdAt",
        UpdatedAt => "updatedAt",
    }
);

wire_enum!(
    /// The `sortDir` query parameter; `asc` is earliest first.
    SortDir {
        Asc => "asc",
        Desc => "desc",
    }
);

wire_enum!(
    /// The documented values of `x-extend-api-version`.
    ApiVersion {
        V2024_02_01 => "2024-02-01",
        V2024_07_30 => "2024-07-30",
        V2024_11_14 => "2024-11-14",
        V2024_12_23 => "2024-12-23",
        V2025_04_21 => "2025-04-21",
        V2026_02_09 => "2026-02-09",
    }
);

wire_enum!(
    /// Whether an API key is tied to one workspace or to a whole organization.
    KeyScope {
        Workspace => "workspace",
        Organization => "organization",
    }
);

/// The longest ID the API documents.
pub const MAX_ID_LEN: usize = 255;

/// A processor run ID. Prefixes are opaque and have changed before (`dpr_` became
/// `exr_`), so only the length is checked. Cheap to clone: the store's indexes
/// each hold one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunId(Arc<str>);

impl RunId {
    pub fn parse(raw: &str) -> Result<Self, String> {
        check_id(raw)?;
        Ok(RunId(Arc::from(raw)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for RunId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RunId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        RunId::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// Any other ID the API hands out: non-empty, at most 255 characters.
pub fn check_id(raw: &str) -> Result<(), String> {
    if raw.is_empty() {
        return Err("must not be empty".into());
    }
    if raw.chars().count() > MAX_ID_LEN {
        return Err(format!("is longer than {MAX_ID_LEN} characters"));
    }
    Ok(())
}

/// A point in time, always held in UTC and written as RFC 3339 (`…Z`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let parsed = OffsetDateTime::parse(raw, &Rfc3339)
            .map_err(|e| format!("`{raw}` is not an RFC 3339 timestamp ({e})"))?;
        let utc = parsed.to_offset(time::UtcOffset::UTC);
        // Sort keys are i64 nanoseconds, which span 1677..2262.
        if i64::try_from(utc.unix_timestamp_nanos()).is_err() {
            return Err(format!("`{raw}` is outside the years 1678 to 2261"));
        }
        Ok(Timestamp(utc))
    }

    pub fn from_unix_nanos(nanos: i64) -> Self {
        Timestamp(
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos))
                .expect("every i64 of nanoseconds is a valid date"),
        )
    }

    pub fn now() -> Self {
        Timestamp(OffsetDateTime::now_utc())
    }

    /// The sort key: nanoseconds since the epoch. `parse` guarantees it fits.
    pub fn unix_nanos(self) -> i64 {
        self.0.unix_timestamp_nanos() as i64
    }

    pub fn to_rfc3339(self) -> String {
        self.0
            .format(&Rfc3339)
            .expect("a UTC time in 1678..2261 always formats as RFC 3339")
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Timestamp::parse(&raw).map_err(serde::de::Error::custom)
    }
}

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
}

impl RunDetails {
    pub fn is_empty(&self) -> bool {
        self == &RunDetails::default()
    }

    /// What the SDK's model needs of the pinned fields beyond their JSON type:
    /// a config of the run's type, files with the `File` fields it requires.
    /// The error names the field (`config.type`, `files[0].metadata`).
    pub fn check(&self, run_type: Option<ProcessorType>) -> Result<(), String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_normalised_to_utc() {
        let t = Timestamp::parse("2024-03-21T17:29:55+02:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-03-21T15:29:55Z");
        assert_eq!(Timestamp::from_unix_nanos(t.unix_nanos()), t);
    }

    #[test]
    fn enum_errors_list_the_accepted_values() {
        let err = RunStatus::parse("processed").unwrap_err();
        assert_eq!(
            err,
            "`processed` is not one of PENDING, PROCESSING, PROCESSED, FAILED, CANCELLED"
        );
    }

    #[test]
    fn ids_are_bounded() {
        assert!(RunId::parse("").is_err());
        assert!(RunId::parse(&"x".repeat(255)).is_ok());
        assert!(RunId::parse(&"x".repeat(256)).is_err());
    }
}
