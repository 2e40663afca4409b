//! The processor catalogue: processors and their versions, as the store keeps
//! them, as the API shows them and as a fixture document spells them (one
//! shape for all three, camelCase like the API, plus `workspaceId`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{JsonObject, ProcessorType, Timestamp};

/// A processor: its current draft and its published versions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Processor {
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub processor_type: ProcessorType,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// What `POST /processors/{id}` edits and `publish` copies.
    pub draft_version: ProcessorVersion,
    /// Published, oldest first; numbered `1.0`, `1.1`, `2.0`…
    #[serde(default)]
    pub versions: Vec<ProcessorVersion>,
    /// The workspace's holder of runs made with an inline `config` (no
    /// extractor, classifier or splitter named): every run belongs to a
    /// processor, but this one is listed nowhere, and such runs show no
    /// processor in the current API's objects.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inline: bool,
}

/// One version: the draft (`version: "draft"`) or a published one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProcessorVersion {
    pub id: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Shared between versions that have the same config, and with the
    /// built-in configs when the catalogue is derived from runs.
    pub config: Arc<JsonObject>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

pub const DRAFT: &str = "draft";

/// A published version number, `major.minor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VersionNumber {
    pub major: u32,
    pub minor: u32,
}

impl VersionNumber {
    pub fn parse(raw: &str) -> Option<VersionNumber> {
        let (major, minor) = raw.split_once('.')?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(major) || !digits(minor) {
            return None;
        }
        Some(VersionNumber {
            major: major.parse().ok()?,
            minor: minor.parse().ok()?,
        })
    }

    /// The number a release of this kind gets after `latest` (none yet: `1.0`
    /// for a major release, `0.1` for a minor one); `None` past `u32::MAX`
    /// (a fixture may hold any number).
    pub fn next(latest: Option<VersionNumber>, major: bool) -> Option<VersionNumber> {
        let latest = latest.unwrap_or(VersionNumber { major: 0, minor: 0 });
        Some(if major {
            VersionNumber {
                major: latest.major.checked_add(1)?,
                minor: 0,
            }
        } else {
            VersionNumber {
                major: latest.major,
                minor: latest.minor.checked_add(1)?,
            }
        })
    }
}

impl std::fmt::Display for VersionNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl Processor {
    /// The latest published version, by number.
    pub fn latest(&self) -> Option<&ProcessorVersion> {
        self.versions
            .iter()
            .max_by_key(|v| VersionNumber::parse(&v.version))
    }

    /// Every version with the field a fixture gives it under (`draftVersion`,
    /// `versions[0]`…), for errors that name it.
    pub fn versions_by_field(&self) -> impl Iterator<Item = (String, &ProcessorVersion)> {
        std::iter::once(("draftVersion".to_owned(), &self.draft_version)).chain(
            self.versions
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("versions[{i}]"), v)),
        )
    }

    /// Publishes `config` (none: the draft's) as the next `major` or minor
    /// version, made at `at` (which also moves `updatedAt`); the version
    /// made, or `None` when its number would pass `u32::MAX`.
    pub fn publish(
        &mut self,
        id: String,
        major: bool,
        description: Option<String>,
        config: Option<Arc<JsonObject>>,
        at: Timestamp,
    ) -> Option<&ProcessorVersion> {
        let latest = self.latest().and_then(|v| VersionNumber::parse(&v.version));
        let number = VersionNumber::next(latest, major)?;
        self.versions.push(ProcessorVersion {
            id,
            version: number.to_string(),
            description,
            config: config.unwrap_or_else(|| self.draft_version.config.clone()),
            created_at: at,
            updated_at: at,
        });
        self.updated_at = at;
        self.versions.last()
    }

    /// The draft or a published version, by id.
    pub fn version(&self, version_id: &str) -> Option<&ProcessorVersion> {
        std::iter::once(&self.draft_version)
            .chain(&self.versions)
            .find(|v| v.id == version_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_count_up() {
        let next = |latest: Option<&str>, major| {
            VersionNumber::next(latest.and_then(VersionNumber::parse), major)
                .unwrap()
                .to_string()
        };
        assert_eq!(next(None, true), "1.0");
        assert_eq!(next(None, false), "0.1");
        assert_eq!(next(Some("1.0"), false), "1.1");
        assert_eq!(next(Some("1.9"), false), "1.10");
        assert_eq!(next(Some("1.10"), true), "2.0");
        assert_eq!(
            VersionNumber::next(VersionNumber::parse("1.4294967295"), false),
            None
        );
        assert_eq!(VersionNumber::parse("1.x"), None);
        assert_eq!(VersionNumber::parse("draft"), None);
        assert!(VersionNumber::parse("1.10") > VersionNumber::parse("1.9"));
    }
}
