//! The in-memory store: organizations, workspaces, API keys and processor runs,
//! with the indexes that make a keyset page cost O(log n + page size).
//! Knows nothing of HTTP or page tokens.
//!
//! Per workspace and per sort field, every run sits in one ordered map keyed by
//! `(sort value, id)`, and again in one map per equality-filter value
//! (`status=FAILED`, `processorId=ex_…`, …). A page starts at the cursor with a
//! range seek in the smallest map that the request's equality filters allow, then
//! walks forward checking the remaining filters until the page is full.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Bound;
use std::sync::Arc;

use crate::model::{
    ApiVersion, KeyScope, ProcessorRun, ProcessorType, RunId, RunSource, RunStatus, SortBy, SortDir,
};

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Organization {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub workspaces: Vec<Workspace>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Workspace {
    pub id: String,
    pub name: String,
}

/// An API key as a fixture declares it. `name` is how logs and the journal refer to
/// the key, so the token itself never needs to be printed after start-up.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiKey {
    pub token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub scope: KeyScope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    /// The version used when a request sends no `x-extend-api-version`; keys made
    /// before 2025-04-21 have `2024-12-23` here, newer keys none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_api_version: Option<ApiVersion>,
}

impl ApiKey {
    /// A name safe to log: the fixture's, or the token's first characters.
    pub fn display_name(&self) -> String {
        match &self.name {
            Some(name) => name.clone(),
            None => {
                let shown: String = self.token.chars().take(8).collect();
                format!("{shown}…")
            }
        }
    }
}

/// The equality filters of a list request, and the lower-cased `fileNameContains`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters {
    pub status: Option<RunStatus>,
    pub processor_id: Option<String>,
    pub processor_type: Option<ProcessorType>,
    pub source_id: Option<String>,
    pub source: Option<RunSource>,
    /// Already lower-cased by whoever built the filter.
    pub file_name_contains: Option<String>,
}

impl Filters {
    fn index_keys(&self) -> Vec<FilterKey> {
        let mut keys = Vec::new();
        if let Some(status) = self.status {
            keys.push(FilterKey::Status(status));
        }
        if let Some(id) = &self.processor_id {
            keys.push(FilterKey::ProcessorId(id.as_str().into()));
        }
        if let Some(kind) = self.processor_type {
            keys.push(FilterKey::Type(kind));
        }
        if let Some(id) = &self.source_id {
            keys.push(FilterKey::SourceId(id.as_str().into()));
        }
        if let Some(source) = self.source {
            keys.push(FilterKey::Source(source));
        }
        keys
    }

    fn matches(&self, entry: &StoredRun) -> bool {
        let run = &entry.run;
        self.status.is_none_or(|s| run.status == s)
            && self
                .processor_type
                .is_none_or(|t| run.processor_type == Some(t))
            && self.source.is_none_or(|s| run.source == s)
            && self
                .processor_id
                .as_deref()
                .is_none_or(|id| run.processor_id == id)
            && self
                .source_id
                .as_deref()
                .is_none_or(|id| run.source_id.as_deref() == Some(id))
            && self
                .file_name_contains
                .as_deref()
                .is_none_or(|needle| entry.file_name_lower.contains(needle))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Order {
    pub by: SortBy,
    pub dir: SortDir,
}

impl Default for Order {
    /// SPEC Part 2: `updatedAt`, newest first.
    fn default() -> Self {
        Order {
            by: SortBy::UpdatedAt,
            dir: SortDir::Desc,
        }
    }
}

/// Where the previous page ended: the last run's sort value and id. The next
/// page starts strictly after it, so runs added meanwhile never shift the walk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    pub at_nanos: i64,
    pub id: RunId,
}

pub struct PageRequest<'a> {
    pub filters: &'a Filters,
    pub order: Order,
    pub after: Option<&'a Position>,
    pub limit: usize,
}

pub struct Page<'a> {
    pub runs: Vec<&'a ProcessorRun>,
    /// True when at least one more matching run follows the last one returned.
    pub has_more: bool,
}

impl Page<'_> {
    pub fn last_position(&self, by: SortBy) -> Option<Position> {
        self.runs.last().map(|run| Position {
            at_nanos: run.sort_value(by).unix_nanos(),
            id: run.id.clone(),
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum FilterKey {
    Status(RunStatus),
    Type(ProcessorType),
    Source(RunSource),
    ProcessorId(Box<str>),
    SourceId(Box<str>),
}

impl FilterKey {
    fn of(run: &ProcessorRun) -> Vec<FilterKey> {
        let mut keys = vec![
            FilterKey::Status(run.status),
            FilterKey::Source(run.source),
            FilterKey::ProcessorId(run.processor_id.as_str().into()),
        ];
        if let Some(kind) = run.processor_type {
            keys.push(FilterKey::Type(kind));
        }
        if let Some(id) = &run.source_id {
            keys.push(FilterKey::SourceId(id.as_str().into()));
        }
        keys
    }
}

struct StoredRun {
    run: ProcessorRun,
    /// `fileNameContains` is case-insensitive; lower-case once, at insert.
    file_name_lower: String,
}

type SortKey = (i64, RunId);
type RunMap = BTreeMap<SortKey, Arc<StoredRun>>;

#[derive(Default)]
struct SortIndex {
    all: RunMap,
    by_filter: HashMap<FilterKey, RunMap>,
}

impl SortIndex {
    fn insert(&mut self, key: SortKey, entry: &Arc<StoredRun>) {
        for filter in FilterKey::of(&entry.run) {
            self.by_filter
                .entry(filter)
                .or_default()
                .insert(key.clone(), Arc::clone(entry));
        }
        self.all.insert(key, Arc::clone(entry));
    }

    /// The smallest map that holds every run the filters can match, or `None`
    /// when some equality filter has no run at all.
    fn narrowest(&self, filters: &Filters) -> Option<&RunMap> {
        let mut best = &self.all;
        for key in filters.index_keys() {
            let map = self.by_filter.get(&key)?;
            if map.len() < best.len() {
                best = map;
            }
        }
        Some(best)
    }
}

#[derive(Default)]
struct WorkspaceRuns {
    by_created: SortIndex,
    by_updated: SortIndex,
}

impl WorkspaceRuns {
    fn index(&self, by: SortBy) -> &SortIndex {
        match by {
            SortBy::CreatedAt => &self.by_created,
            SortBy::UpdatedAt => &self.by_updated,
        }
    }
}

/// Everything the API serves. Mutations check their input against what is
/// already there and return a reason instead of half-applying.
#[derive(Default)]
pub struct Store {
    organizations: Vec<Organization>,
    /// Workspace id → its organization's id.
    workspace_orgs: HashMap<String, String>,
    keys: Vec<ApiKey>,
    key_by_token: HashMap<String, usize>,
    runs: HashMap<String, WorkspaceRuns>,
    run_ids: HashSet<RunId>,
    /// Runs in the order they were added, for export.
    insertion_order: Vec<Arc<StoredRun>>,
}

impl Store {
    pub fn add_organization(&mut self, org: Organization) -> Result<(), String> {
        crate::model::check_id(&org.id).map_err(|e| format!("id {e}"))?;
        if self.organizations.iter().any(|o| o.id == org.id) {
            return Err(format!("duplicate organization id `{}`", org.id));
        }
        let mut seen = HashSet::new();
        for (i, ws) in org.workspaces.iter().enumerate() {
            crate::model::check_id(&ws.id).map_err(|e| format!("workspaces[{i}].id {e}"))?;
            if self.workspace_orgs.contains_key(&ws.id) || !seen.insert(&ws.id) {
                return Err(format!(
                    "workspaces[{i}].id: duplicate workspace id `{}`",
                    ws.id
                ));
            }
        }
        for ws in &org.workspaces {
            self.workspace_orgs.insert(ws.id.clone(), org.id.clone());
        }
        self.organizations.push(org);
        Ok(())
    }

    pub fn add_key(&mut self, key: ApiKey) -> Result<(), String> {
        if key.token.is_empty() || key.token.chars().any(char::is_whitespace) {
            return Err("token: must be non-empty and contain no white space".into());
        }
        if self.key_by_token.contains_key(&key.token) {
            return Err("token: the same token is declared twice".into());
        }
        match key.scope {
            KeyScope::Workspace => {
                let ws = key
                    .workspace_id
                    .as_deref()
                    .ok_or("workspaceId: required for a key with scope `workspace`".to_owned())?;
                let org = self
                    .workspace_orgs
                    .get(ws)
                    .ok_or(format!("workspaceId: unknown workspace `{ws}`"))?;
                if let Some(declared) = &key.organization_id
                    && declared != org
                {
                    return Err(format!(
                        "organizationId: workspace `{ws}` belongs to `{org}`, not `{declared}`"
                    ));
                }
            }
            KeyScope::Organization => {
                let org = key.organization_id.as_deref().ok_or(
                    "organizationId: required for a key with scope `organization`".to_owned(),
                )?;
                if !self.organizations.iter().any(|o| o.id == org) {
                    return Err(format!("organizationId: unknown organization `{org}`"));
                }
                if key.workspace_id.is_some() {
                    return Err(
                        "workspaceId: an organization key names its workspace per request, \
                         in x-extend-workspace-id"
                            .into(),
                    );
                }
            }
        }
        self.key_by_token.insert(key.token.clone(), self.keys.len());
        self.keys.push(key);
        Ok(())
    }

    /// Checks one run against the store without adding it: the reason names the
    /// field at fault.
    pub fn check_run(&self, run: &ProcessorRun) -> Result<(), String> {
        if self.run_ids.contains(&run.id) {
            return Err(format!("id: duplicate run id `{}`", run.id.as_str()));
        }
        if !self.workspace_orgs.contains_key(&run.workspace_id) {
            return Err(format!(
                "workspaceId: unknown workspace `{}`",
                run.workspace_id
            ));
        }
        if run.updated_at < run.created_at {
            return Err(format!(
                "updatedAt: {} is earlier than createdAt {}",
                run.updated_at.to_rfc3339(),
                run.created_at.to_rfc3339()
            ));
        }
        for (field, value) in [
            ("processorId", Some(&run.processor_id)),
            ("processorVersionId", Some(&run.processor_version_id)),
            ("sourceId", run.source_id.as_ref()),
        ] {
            if let Some(value) = value {
                crate::model::check_id(value).map_err(|e| format!("{field} {e}"))?;
            }
        }
        Ok(())
    }

    pub fn add_run(&mut self, run: ProcessorRun) -> Result<(), String> {
        self.check_run(&run)?;
        let entry = Arc::new(StoredRun {
            file_name_lower: run.file_name.to_lowercase(),
            run,
        });
        let run = &entry.run;
        self.run_ids.insert(run.id.clone());
        let ws = match self.runs.entry(run.workspace_id.clone()) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(WorkspaceRuns::default()),
        };
        ws.by_created
            .insert((run.created_at.unix_nanos(), run.id.clone()), &entry);
        ws.by_updated
            .insert((run.updated_at.unix_nanos(), run.id.clone()), &entry);
        self.insertion_order.push(entry);
        Ok(())
    }

    pub fn key(&self, token: &str) -> Option<&ApiKey> {
        self.key_by_token.get(token).map(|&i| &self.keys[i])
    }

    pub fn keys(&self) -> &[ApiKey] {
        &self.keys
    }

    pub fn organizations(&self) -> &[Organization] {
        &self.organizations
    }

    /// The organization a workspace belongs to, if the workspace exists.
    pub fn workspace_org(&self, workspace_id: &str) -> Option<&str> {
        self.workspace_orgs.get(workspace_id).map(String::as_str)
    }

    pub fn run_count(&self) -> usize {
        self.run_ids.len()
    }

    pub fn runs(&self) -> impl Iterator<Item = &ProcessorRun> {
        self.insertion_order.iter().map(|entry| &entry.run)
    }

    /// One keyset page of a workspace's runs.
    pub fn page(&self, workspace_id: &str, request: &PageRequest<'_>) -> Page<'_> {
        let empty = Page {
            runs: Vec::new(),
            has_more: false,
        };
        let Some(ws) = self.runs.get(workspace_id) else {
            return empty;
        };
        let Some(map) = ws.index(request.order.by).narrowest(request.filters) else {
            return empty;
        };
        let after = request.after.map(|p| (p.at_nanos, p.id.clone()));
        let range: Box<dyn Iterator<Item = &Arc<StoredRun>>> = match (request.order.dir, after) {
            (SortDir::Asc, None) => Box::new(map.values()),
            (SortDir::Desc, None) => Box::new(map.values().rev()),
            (SortDir::Asc, Some(key)) => Box::new(
                map.range((Bound::Excluded(key), Bound::Unbounded))
                    .map(|(_, v)| v),
            ),
            (SortDir::Desc, Some(key)) => Box::new(
                map.range((Bound::Unbounded, Bound::Excluded(key)))
                    .rev()
                    .map(|(_, v)| v),
            ),
        };
        let mut runs = Vec::with_capacity(request.limit.min(1024));
        let mut has_more = false;
        for entry in range.filter(|entry| request.filters.matches(entry)) {
            if runs.len() == request.limit {
                has_more = true;
                break;
            }
            runs.push(&entry.run);
        }
        Page { runs, has_more }
    }
}
