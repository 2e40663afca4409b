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
/// (`workspaceId`, `source`, `sourceId`, `fileName`). This is also the shape of a
/// run in a fixture document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProcessorRun {
    pub id: RunId,
    pub workspace_id: String,
    pub status: RunStatus,
    pub processor_id: String,
    pub processor_name: String,
    pub processor_version_id: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub processor_type: Option<ProcessorType>,
    pub source: RunSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    pub file_name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
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
