//! The in-memory store: organizations, workspaces, API keys and processor runs,
//! with the indexes that make a keyset page cost O(log n + page size).
//! Knows nothing of HTTP or page tokens.
//!
//! Runs live once, in a vector. Per workspace and per sort field, a sorted list of
//! positions orders them by `(sort value, id)`, and one more list per
//! equality-filter value (`status=FAILED`, `processorId=ex_…`, …) orders the
//! runs that have it. A page binary-searches the cursor in the smallest list the
//! request's equality filters allow, then walks on checking the remaining
//! filters until the page is full.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

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
    /// A name safe to log and journal: the fixture's, or for an unnamed key a
    /// digest of the token. Never the token or a piece of it: short test
    /// tokens would be printed whole. Worked out once, when the key is added.
    fn display_name(&self) -> String {
        match &self.name {
            Some(name) => name.clone(),
            None => {
                use sha2::{Digest, Sha256};
                let digest = Sha256::digest(self.token.as_bytes());
                let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
                format!("key-{hex}")
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
    fn index_keys(&self) -> impl Iterator<Item = FilterKey<&str>> {
        [
            self.status.map(FilterKey::Status),
            self.processor_id.as_deref().map(FilterKey::ProcessorId),
            self.processor_type.map(FilterKey::Type),
            self.source_id.as_deref().map(FilterKey::SourceId),
            self.source.map(FilterKey::Source),
        ]
        .into_iter()
        .flatten()
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

/// One equality-filter value. Generic over the string type so a batch can be
/// grouped with borrowed ids and allocate once per distinct value, not per run.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum FilterKey<S = Box<str>> {
    Status(RunStatus),
    Type(ProcessorType),
    Source(RunSource),
    ProcessorId(S),
    SourceId(S),
}

impl<'a> FilterKey<&'a str> {
    /// Every filter value a run has; at most five.
    fn of(run: &'a ProcessorRun) -> impl Iterator<Item = FilterKey<&'a str>> {
        [
            Some(FilterKey::Status(run.status)),
            Some(FilterKey::Source(run.source)),
            Some(FilterKey::ProcessorId(run.processor_id.as_str())),
            run.processor_type.map(FilterKey::Type),
            run.source_id.as_deref().map(FilterKey::SourceId),
        ]
        .into_iter()
        .flatten()
    }

    fn to_owned_key(&self) -> FilterKey {
        match *self {
            FilterKey::Status(s) => FilterKey::Status(s),
            FilterKey::Type(t) => FilterKey::Type(t),
            FilterKey::Source(s) => FilterKey::Source(s),
            FilterKey::ProcessorId(id) => FilterKey::ProcessorId(id.into()),
            FilterKey::SourceId(id) => FilterKey::SourceId(id.into()),
        }
    }
}

struct StoredRun {
    run: ProcessorRun,
    /// Sort values as nanoseconds, `[createdAt, updatedAt]`, computed once.
    at: [i64; 2],
    /// `fileNameContains` is case-insensitive; lower-case once, at insert.
    file_name_lower: String,
}

impl StoredRun {
    fn new(run: ProcessorRun) -> Self {
        StoredRun {
            at: [run.created_at.unix_nanos(), run.updated_at.unix_nanos()],
            file_name_lower: run.file_name.to_lowercase(),
            run,
        }
    }
}

fn field(by: SortBy) -> usize {
    match by {
        SortBy::CreatedAt => 0,
        SortBy::UpdatedAt => 1,
    }
}

/// A run's filter groups (at most five) as positions in a batch's group list;
/// `NO_GROUP` fills the rest. Twenty bytes a run while a batch is indexed.
type GroupIds = [u32; 5];
const NO_GROUP: u32 = u32::MAX;

/// Slots (indexes into `Store::runs`) in ascending `(sort value, id)` order.
/// Four bytes an entry: a run sits in about a dozen of these.
type Slots = Vec<u32>;

/// The order of two slots under one sort field: time, then id.
fn compare(runs: &[StoredRun], by: usize, a: u32, b: u32) -> Ordering {
    let (x, y) = (&runs[a as usize], &runs[b as usize]);
    x.at[by]
        .cmp(&y.at[by])
        .then_with(|| x.run.id.cmp(&y.run.id))
}

/// Merges `new` (sorted) into `existing` (sorted). A few new slots are placed by
/// binary search; many are merged in one pass.
fn merge_into(existing: &mut Slots, mut new: Slots, runs: &[StoredRun], by: usize) {
    if existing.is_empty() {
        // Most lists of a first load: take the new one as it is, no copy.
        new.shrink_to_fit();
        *existing = new;
    } else if new.len() <= 64 {
        for slot in new {
            let at = existing.partition_point(|&e| compare(runs, by, e, slot) == Ordering::Less);
            existing.insert(at, slot);
        }
    } else {
        let mut merged = Vec::with_capacity(existing.len() + new.len());
        let (mut i, mut j) = (0, 0);
        while i < existing.len() && j < new.len() {
            if compare(runs, by, existing[i], new[j]) == Ordering::Less {
                merged.push(existing[i]);
                i += 1;
            } else {
                merged.push(new[j]);
                j += 1;
            }
        }
        merged.extend_from_slice(&existing[i..]);
        merged.extend_from_slice(&new[j..]);
        *existing = merged;
    }
}

#[derive(Default)]
struct SortIndex {
    all: Slots,
    by_filter: FxHashMap<FilterKey, Slots>,
}

impl SortIndex {
    /// Adds slots already sorted under this index's field.
    /// Adds slots already sorted under this index's field. `group_of` gives
    /// each slot's filter groups as positions in `groups`, worked out once per
    /// batch for both fields, so no key is hashed here.
    fn add_sorted(
        &mut self,
        sorted: Slots,
        groups: &[FilterKey<&str>],
        group_of: impl Fn(u32) -> GroupIds,
        runs: &[StoredRun],
        by: usize,
    ) {
        let mut lists: Vec<Slots> = vec![Vec::new(); groups.len()];
        for &slot in &sorted {
            for group in group_of(slot).into_iter().take_while(|&g| g != NO_GROUP) {
                lists[group as usize].push(slot);
            }
        }
        merge_into(&mut self.all, sorted, runs, by);
        for (key, slots) in groups.iter().zip(lists) {
            let list = self.by_filter.entry(key.to_owned_key()).or_default();
            merge_into(list, slots, runs, by);
        }
    }

    /// The smallest list that holds every run the filters can match, or `None`
    /// when some equality filter has no run at all.
    fn narrowest(&self, filters: &Filters) -> Option<&Slots> {
        let mut best = &self.all;
        for key in filters.index_keys() {
            let key = key.to_owned_key();
            let slots = self.by_filter.get(&key)?;
            if slots.len() < best.len() {
                best = slots;
            }
        }
        Some(best)
    }
}

#[derive(Default)]
struct WorkspaceRuns {
    /// `[createdAt, updatedAt]`, as `field` numbers them.
    indexes: [SortIndex; 2],
}

/// Everything the API serves. Mutations check their input against what is
/// already there and return a reason instead of half-applying.
#[derive(Default)]
pub struct Store {
    organizations: Vec<Organization>,
    /// Workspace id → its organization's id.
    workspace_orgs: HashMap<String, String>,
    keys: Vec<ApiKey>,
    /// `keys[i].display_name()`, shared by every request that uses the key.
    key_names: Vec<Arc<str>>,
    key_by_token: HashMap<String, usize>,
    /// Every run, in the order added; indexes refer to runs by position here.
    runs: Vec<StoredRun>,
    run_ids: FxHashSet<RunId>,
    workspaces: FxHashMap<String, WorkspaceRuns>,
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
        self.key_names.push(key.display_name().into());
        self.keys.push(key);
        Ok(())
    }

    /// Checks one run's fields against the store (ids are checked as they are
    /// added): the reason names the field at fault.
    fn check_run(&self, run: &ProcessorRun) -> Result<(), String> {
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

    /// Adds runs all-or-nothing: every run is checked, against the store and
    /// against the others in the batch, before any is added. The error holds
    /// the position of the first bad run and the reason.
    ///
    /// A batch is indexed in one go: sorted once per workspace and field, then
    /// merged into each list, so loading a million runs costs a few sorts
    /// rather than a million scattered inserts.
    pub fn add_runs(&mut self, runs: Vec<ProcessorRun>) -> Result<usize, (usize, String)> {
        for (i, run) in runs.iter().enumerate() {
            self.check_run(run).map_err(|reason| (i, reason))?;
        }
        // Ids last, by inserting them: one hash per run finds duplicates against
        // the store and within the batch. On a duplicate, the batch's ids go again.
        self.run_ids.reserve(runs.len());
        for (i, run) in runs.iter().enumerate() {
            if !self.run_ids.insert(run.id.clone()) {
                for earlier in &runs[..i] {
                    self.run_ids.remove(&earlier.id);
                }
                return Err((i, format!("id: duplicate run id `{}`", run.id.as_str())));
            }
        }
        let added = runs.len();
        let first = self.runs.len();
        assert!(
            first + added <= u32::MAX as usize,
            "the store holds at most 4 billion runs"
        );
        self.runs.reserve(added);
        self.runs.extend(runs.into_iter().map(StoredRun::new));
        // Each new run's filter groups, numbered once for the whole batch.
        let mut group_numbers: FxHashMap<FilterKey<&str>, u32> = FxHashMap::default();
        let mut groups: Vec<FilterKey<&str>> = Vec::new();
        let group_ids: Vec<GroupIds> = self.runs[first..]
            .iter()
            .map(|entry| {
                let mut ids = [NO_GROUP; 5];
                for (slot, key) in ids.iter_mut().zip(FilterKey::of(&entry.run)) {
                    let next = groups.len() as u32;
                    let number = *group_numbers.entry(key.clone()).or_insert_with(|| {
                        groups.push(key);
                        next
                    });
                    *slot = number;
                }
                ids
            })
            .collect();
        let mut per_workspace: FxHashMap<&str, Slots> = FxHashMap::default();
        for (offset, entry) in self.runs[first..].iter().enumerate() {
            let slot = (first + offset) as u32;
            per_workspace
                .entry(entry.run.workspace_id.as_str())
                .or_default()
                .push(slot);
        }
        for (workspace, slots) in per_workspace {
            let ws = self.workspaces.entry(workspace.to_owned()).or_default();
            for (by, index) in ws.indexes.iter_mut().enumerate() {
                // Sort on the time held inline; look at ids only where times tie.
                let mut keyed: Vec<(i64, u32)> = slots
                    .iter()
                    .map(|&slot| (self.runs[slot as usize].at[by], slot))
                    .collect();
                keyed.sort_unstable_by(|a, b| {
                    a.0.cmp(&b.0)
                        .then_with(|| compare(&self.runs, by, a.1, b.1))
                });
                let sorted: Slots = keyed.into_iter().map(|(_, slot)| slot).collect();
                let group_of = |slot: u32| group_ids[slot as usize - first];
                index.add_sorted(sorted, &groups, group_of, &self.runs, by);
            }
        }
        Ok(added)
    }

    /// The key with this token, and the name logs and the journal use for it.
    pub fn key(&self, token: &str) -> Option<(&ApiKey, &Arc<str>)> {
        self.key_by_token
            .get(token)
            .map(|&i| (&self.keys[i], &self.key_names[i]))
    }

    pub fn keys(&self) -> &[ApiKey] {
        &self.keys
    }

    pub fn organizations(&self) -> &[Organization] {
        &self.organizations
    }

    pub fn workspace_count(&self) -> usize {
        self.workspace_orgs.len()
    }

    /// The organization a workspace belongs to, if the workspace exists.
    pub fn workspace_org(&self, workspace_id: &str) -> Option<&str> {
        self.workspace_orgs.get(workspace_id).map(String::as_str)
    }

    pub fn run_count(&self) -> usize {
        self.runs.len()
    }

    pub fn runs(&self) -> impl Iterator<Item = &ProcessorRun> {
        self.runs.iter().map(|entry| &entry.run)
    }

    /// One keyset page of a workspace's runs: a binary search for the cursor in
    /// the narrowest list, then a walk that checks the remaining filters.
    pub fn page(&self, workspace_id: &str, request: &PageRequest<'_>) -> Page<'_> {
        let empty = Page {
            runs: Vec::new(),
            has_more: false,
        };
        let Some(ws) = self.workspaces.get(workspace_id) else {
            return empty;
        };
        let by = field(request.order.by);
        let Some(slots) = ws.indexes[by].narrowest(request.filters) else {
            return empty;
        };
        let key_of = |slot: u32| {
            let entry = &self.runs[slot as usize];
            (entry.at[by], &entry.run.id)
        };
        let walk: Box<dyn Iterator<Item = &u32>> = match (request.order.dir, request.after) {
            (SortDir::Asc, None) => Box::new(slots.iter()),
            (SortDir::Desc, None) => Box::new(slots.iter().rev()),
            (SortDir::Asc, Some(after)) => {
                let cursor = (after.at_nanos, &after.id);
                let start = slots.partition_point(|&s| key_of(s) <= cursor);
                Box::new(slots[start..].iter())
            }
            (SortDir::Desc, Some(after)) => {
                let cursor = (after.at_nanos, &after.id);
                let end = slots.partition_point(|&s| key_of(s) < cursor);
                Box::new(slots[..end].iter().rev())
            }
        };
        let mut runs = Vec::with_capacity(request.limit.min(1024));
        let mut has_more = false;
        for &slot in walk {
            let entry = &self.runs[slot as usize];
            if !request.filters.matches(entry) {
                continue;
            }
            if runs.len() == request.limit {
                has_more = true;
                break;
            }
            runs.push(&entry.run);
        }
        Page { runs, has_more }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Timestamp;

    fn run(i: u32, minute: i64, status: RunStatus) -> ProcessorRun {
        let at = Timestamp::from_unix_nanos(1_700_000_000_000_000_000 + minute * 60_000_000_000);
        ProcessorRun {
            id: RunId::parse(&format!("exr_{:05}", (i * 7919) % 100_000)).unwrap(),
            workspace_id: "ws".into(),
            status,
            processor_id: format!("ex_{}", i % 3),
            processor_name: "P".into(),
            processor_version_id: "exv".into(),
            processor_type: None,
            source: RunSource::Api,
            source_id: None,
            file_name: "f.pdf".into(),
            created_at: at,
            updated_at: at,
            usage: None,
        }
    }

    fn store() -> Store {
        let mut store = Store::default();
        store
            .add_organization(Organization {
                id: "org".into(),
                name: "O".into(),
                workspaces: vec![Workspace {
                    id: "ws".into(),
                    name: "W".into(),
                }],
            })
            .unwrap();
        store
    }

    /// Every batch size takes a different merge path (empty list, binary
    /// inserts, one-pass merge); all must leave the lists in order.
    #[test]
    fn batches_of_any_size_keep_every_list_in_order() {
        let mut store = store();
        let mut all = Vec::new();
        let mut next = 0;
        for size in [5, 1, 70, 64, 65, 300, 2] {
            let batch: Vec<ProcessorRun> = (next..next + size)
                .map(|i| {
                    let status = if i % 4 == 0 {
                        RunStatus::Failed
                    } else {
                        RunStatus::Processed
                    };
                    run(i, i64::from((i * 37) % 50), status)
                })
                .collect();
            next += size;
            all.extend(batch.clone());
            store.add_runs(batch).unwrap();
        }
        for filters in [
            Filters::default(),
            Filters {
                status: Some(RunStatus::Failed),
                ..Filters::default()
            },
            Filters {
                processor_id: Some("ex_1".into()),
                ..Filters::default()
            },
        ] {
            let request = PageRequest {
                filters: &filters,
                order: Order {
                    by: SortBy::CreatedAt,
                    dir: SortDir::Asc,
                },
                after: None,
                limit: 10_000,
            };
            let served: Vec<&str> = store
                .page("ws", &request)
                .runs
                .iter()
                .map(|r| r.id.as_str())
                .collect();
            let mut expected: Vec<&ProcessorRun> = all
                .iter()
                .filter(|r| filters.status.is_none_or(|s| r.status == s))
                .filter(|r| {
                    filters
                        .processor_id
                        .as_deref()
                        .is_none_or(|p| r.processor_id == p)
                })
                .collect();
            expected.sort_by_key(|r| (r.created_at, r.id.clone()));
            let expected: Vec<&str> = expected.iter().map(|r| r.id.as_str()).collect();
            assert_eq!(served, expected, "{filters:?}");
        }
    }

    #[test]
    fn a_duplicate_leaves_no_id_of_its_batch_behind() {
        let mut store = store();
        store.add_runs(vec![run(1, 0, RunStatus::Failed)]).unwrap();
        let err = store
            .add_runs(vec![
                run(2, 0, RunStatus::Failed),
                run(1, 0, RunStatus::Failed),
            ])
            .unwrap_err();
        assert_eq!(err.0, 1);
        // run 2 was rolled back, so it can be added now.
        store.add_runs(vec![run(2, 0, RunStatus::Failed)]).unwrap();
        assert_eq!(store.run_count(), 2);
    }
}
