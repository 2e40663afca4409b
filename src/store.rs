//! The in-memory store: organizations, workspaces, API keys and processor runs,
//! with the indexes that make a keyset page cost O(log n + page size).
//! Knows nothing of HTTP or page tokens.
//!
//! Runs live once, in a vector of fixed-size records: strings many runs share
//! (workspace, processor and source ids, processor names and versions) are held
//! once and referred to by number, and each run's own text (id, file name) sits
//! in one arena. Per workspace and per sort field, a sorted list of
//! positions orders them by `(sort value, id)`, and one more list per
//! equality-filter value (`status=FAILED`, `processorId=ex_…`, …) orders the
//! runs that have it. A page binary-searches the cursor in the smallest list the
//! request's equality filters allow, then walks on checking the remaining
//! filters until the page is full.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::hash::BuildHasher;
use std::sync::Arc;

use hashbrown::HashTable;
use memchr::memmem::Finder;
use rustc_hash::{FxBuildHasher, FxHashMap};

use crate::domain::{
    ApiKey, KeyScope, Order, Organization, Position, ProcessorRun, ProcessorType, RunDetails,
    RunId, RunSource, RunStatus, SortBy, SortDir, Timestamp, Usage,
};

/// Why the store refused a change or a look-up. Its text names the field at
/// fault, as fixture errors and 400s quote it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// No live run with this id in the workspace asked about; a run of
    /// another workspace is not found either.
    #[error("no processor run `{0}`")]
    RunNotFound(String),
    #[error("id: duplicate run id `{0}`")]
    DuplicateRun(String),
    /// A field breaks a rule; `field` names it, empty for the whole item.
    #[error("{}{reason}", if field.is_empty() { String::new() } else { format!("{field}: ") })]
    Invalid { field: String, reason: String },
    /// More than the compact layout can address.
    #[error("{0}")]
    Full(&'static str),
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> StoreError {
    StoreError::Invalid {
        field: field.into(),
        reason: reason.into(),
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

pub struct PageRequest<'a> {
    pub filters: &'a Filters,
    pub order: Order,
    pub after: Option<&'a Position>,
    pub limit: usize,
}

/// One page of runs, still in the store: read out as `RunView`s.
pub struct Page<'a> {
    store: &'a Store,
    slots: Vec<u32>,
    /// True when at least one more matching run follows the last one returned.
    pub has_more: bool,
}

impl Page<'_> {
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The ids on the page, in order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.slots.iter().map(|&slot| self.store.id(slot))
    }

    pub fn last_position(&self, by: SortBy) -> Option<Position> {
        self.slots.last().map(|&slot| Position {
            at_nanos: self.store.runs[slot as usize].at[field(by)],
            id: self.store.id(slot).to_owned(),
        })
    }

    /// The page's runs, in order.
    pub fn runs(&self) -> impl ExactSizeIterator<Item = RunView<'_>> {
        self.slots.iter().map(|&slot| self.store.view(slot))
    }
}

/// A change to a stored run; `None` leaves a field as it is.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RunChange {
    pub status: Option<RunStatus>,
    pub updated_at: Option<Timestamp>,
    pub credits: Option<f64>,
}

/// One run as the store holds it, borrowed: what the wire writers and the
/// full-object derivation read. Cheap to make (no allocation).
#[derive(Clone, Copy, Debug)]
pub struct RunView<'a> {
    pub id: &'a str,
    pub workspace_id: &'a str,
    pub status: RunStatus,
    pub processor_id: &'a str,
    pub processor_name: &'a str,
    pub processor_version_id: &'a str,
    /// As stored: older runs have none (the summary leaves it out).
    pub processor_type: Option<ProcessorType>,
    pub source: RunSource,
    pub source_id: Option<&'a str>,
    pub file_name: &'a str,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The same times as nanoseconds, for writers that format them fast.
    pub created_nanos: i64,
    pub updated_nanos: i64,
    pub credits: Option<f64>,
    /// The full-object fields a fixture pinned, if any.
    pub details: Option<&'a RunDetails>,
}

/// A repeated string's number in `Symbols`.
type Sym = u32;
const NO_SYM: Sym = Sym::MAX;

/// Strings many runs share (workspace, processor and source ids, processor
/// names and versions), each held once and referred to by number.
#[derive(Default)]
struct Symbols {
    texts: Vec<Arc<str>>,
    numbers: FxHashMap<Arc<str>, Sym>,
}

impl Symbols {
    fn intern(&mut self, text: &str) -> Sym {
        if let Some(&number) = self.numbers.get(text) {
            return number;
        }
        let number = Sym::try_from(self.texts.len()).expect("fewer than 4 billion strings");
        let shared: Arc<str> = Arc::from(text);
        self.texts.push(Arc::clone(&shared));
        self.numbers.insert(shared, number);
        number
    }

    fn get(&self, text: &str) -> Option<Sym> {
        self.numbers.get(text).copied()
    }

    fn text(&self, number: Sym) -> &str {
        &self.texts[number as usize]
    }
}

/// A processor version as runs name it: id, name, version and type. A workspace
/// has a few dozen, shared by all its runs.
struct Processor {
    id: Sym,
    name: Sym,
    version: Sym,
    kind: Option<ProcessorType>,
}

/// Where a run's own text (id, file name) sits in `Store::text`.
#[derive(Clone, Copy, Debug)]
struct Span {
    start: u32,
    len: u32,
}

/// A run as the store keeps it: fixed-size fields, numbers for shared strings,
/// spans into one text buffer. About 80 bytes, plus its text.
struct StoredRun {
    /// Sort values as nanoseconds, `[createdAt, updatedAt]`.
    at: [i64; 2],
    credits: Option<f64>,
    id: Span,
    file_name: Span,
    /// `fileNameContains` is case-insensitive: lower-cased once, at insert. The
    /// same span as `file_name` when lower-casing changes nothing.
    file_name_lower: Span,
    workspace: Sym,
    processor: u32,
    source_id: Sym,
    status: RunStatus,
    source: RunSource,
    /// False once removed: the slot stays (indexes number runs by slot) but
    /// is in no index, no id look-up and no export.
    live: bool,
}

/// The equality filters resolved against the store: ids as their numbers.
struct Wanted<'a> {
    status: Option<RunStatus>,
    processor_id: Option<Sym>,
    processor_type: Option<ProcessorType>,
    source_id: Option<Sym>,
    source: Option<RunSource>,
    /// Built once per request: a substring search set up for its needle.
    file_name_contains: Option<Finder<'a>>,
}

impl Wanted<'_> {
    fn index_keys(&self) -> impl Iterator<Item = FilterKey> {
        [
            self.status.map(FilterKey::Status),
            self.processor_id.map(FilterKey::ProcessorId),
            self.processor_type.map(FilterKey::Type),
            self.source_id.map(FilterKey::SourceId),
            self.source.map(FilterKey::Source),
        ]
        .into_iter()
        .flatten()
    }
}

/// One equality-filter value; ids by their `Symbols` number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum FilterKey {
    Status(RunStatus),
    Type(ProcessorType),
    Source(RunSource),
    ProcessorId(Sym),
    SourceId(Sym),
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

/// What ordering slots needs: the runs' times and the text their ids are in.
#[derive(Clone, Copy)]
struct Rows<'a> {
    runs: &'a [StoredRun],
    text: &'a str,
}

impl<'a> Rows<'a> {
    fn span(&self, span: Span) -> &'a str {
        &self.text[span.start as usize..(span.start + span.len) as usize]
    }

    fn id(&self, slot: u32) -> &'a str {
        self.span(self.runs[slot as usize].id)
    }

    /// The order of two slots under one sort field: time, then id.
    fn compare(&self, by: usize, a: u32, b: u32) -> Ordering {
        let (x, y) = (&self.runs[a as usize], &self.runs[b as usize]);
        x.at[by]
            .cmp(&y.at[by])
            .then_with(|| self.id(a).cmp(self.id(b)))
    }
}

/// Merges `new` (sorted) into `existing` (sorted). A few new slots are placed by
/// binary search; many are merged in one pass.
fn merge_into(existing: &mut Slots, mut new: Slots, rows: Rows<'_>, by: usize) {
    if existing.is_empty() {
        // Most lists of a first load: take the new one as it is, no copy.
        new.shrink_to_fit();
        *existing = new;
    } else if new.len() <= 64 {
        for slot in new {
            let at = existing.partition_point(|&e| rows.compare(by, e, slot) == Ordering::Less);
            existing.insert(at, slot);
        }
    } else {
        let mut merged = Vec::with_capacity(existing.len() + new.len());
        let (mut i, mut j) = (0, 0);
        while i < existing.len() && j < new.len() {
            if rows.compare(by, existing[i], new[j]) == Ordering::Less {
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
    /// Adds slots already sorted under this index's field. `group_of` gives
    /// each slot's filter groups as positions in `groups`, worked out once per
    /// batch for both fields, so no key is hashed per run here; `sizes` says
    /// how many slots each group gets, so each list is allocated once, exactly.
    fn add_sorted(
        &mut self,
        sorted: Slots,
        groups: &[FilterKey],
        sizes: &[usize],
        group_of: impl Fn(u32) -> GroupIds,
        rows: Rows<'_>,
        by: usize,
    ) {
        let mut lists: Vec<Slots> = sizes.iter().map(|&n| Vec::with_capacity(n)).collect();
        for &slot in &sorted {
            for group in group_of(slot).into_iter().take_while(|&g| g != NO_GROUP) {
                lists[group as usize].push(slot);
            }
        }
        merge_into(&mut self.all, sorted, rows, by);
        for (key, slots) in groups.iter().zip(lists) {
            if !slots.is_empty() {
                merge_into(self.by_filter.entry(*key).or_default(), slots, rows, by);
            }
        }
    }

    /// The smallest list that holds every run the filters can match, or `None`
    /// when some equality filter has no run at all.
    fn narrowest(&self, wanted: &Wanted<'_>) -> Option<&Slots> {
        let mut best = &self.all;
        for key in wanted.index_keys() {
            let slots = self.by_filter.get(&key)?;
            if slots.len() < best.len() {
                best = slots;
            }
        }
        Some(best)
    }
}

/// Batches at least this big index their two sort orders in parallel.
const PARALLEL_INDEXING: usize = 16_384;

/// One workspace's share of a batch of new runs, ready to be indexed.
struct Batch<'a> {
    /// The workspace's new slots, in the order added.
    slots: &'a [u32],
    /// The batch's first slot: `group_ids[slot - first]` is a slot's groups.
    first: usize,
    groups: &'a [FilterKey],
    group_ids: &'a [GroupIds],
    /// How many of `slots` each group holds: the same for both sort fields.
    sizes: Vec<usize>,
    rows: Rows<'a>,
}

impl<'a> Batch<'a> {
    fn new(
        slots: &'a [u32],
        first: usize,
        groups: &'a [FilterKey],
        group_ids: &'a [GroupIds],
        rows: Rows<'a>,
    ) -> Self {
        // Counted in slot order, which reads `group_ids` front to back.
        let mut sizes = vec![0; groups.len()];
        for &slot in slots {
            let ids = group_ids[slot as usize - first];
            for group in ids.into_iter().take_while(|&g| g != NO_GROUP) {
                sizes[group as usize] += 1;
            }
        }
        Batch {
            slots,
            first,
            groups,
            group_ids,
            sizes,
            rows,
        }
    }

    /// Sorts the slots under field `by` and adds them to `index`.
    fn index(&self, index: &mut SortIndex, by: usize) {
        let rows = self.rows;
        // Sort on the time held inline; look at ids only where times tie.
        let mut keyed: Vec<(i64, u32)> = self
            .slots
            .iter()
            .map(|&slot| (rows.runs[slot as usize].at[by], slot))
            .collect();
        keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| rows.id(a.1).cmp(rows.id(b.1))));
        let sorted: Slots = keyed.into_iter().map(|(_, slot)| slot).collect();
        let group_of = |slot: u32| self.group_ids[slot as usize - self.first];
        index.add_sorted(sorted, self.groups, &self.sizes, group_of, rows, by);
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
    workspace_orgs: FxHashMap<String, String>,
    keys: Vec<ApiKey>,
    /// `keys[i].display_name()`, shared by every request that uses the key.
    key_names: Vec<Arc<str>>,
    key_by_token: FxHashMap<String, usize>,
    /// Every run, in the order added; indexes refer to runs by position here.
    runs: Vec<StoredRun>,
    /// Each run's id and file name (and its lower-case form where different),
    /// end to end: one allocation for all of them instead of three per run.
    text: String,
    /// Slots in `runs`, found by the hash of their id.
    run_ids: HashTable<u32>,
    symbols: Symbols,
    processors: Vec<Processor>,
    /// Numbers in `processors`, found by the hash of the processor's strings.
    processor_numbers: HashTable<u32>,
    workspaces: FxHashMap<Sym, WorkspaceRuns>,
    /// The full-object fields fixtures pin, by slot; most runs have none and
    /// cost nothing here (their full object is derived on read).
    details: FxHashMap<u32, Box<RunDetails>>,
    /// Runs not removed.
    live_runs: usize,
}
impl Store {
    pub fn add_organization(&mut self, org: Organization) -> Result<(), StoreError> {
        crate::domain::check_id(&org.id).map_err(|e| invalid("", format!("id {e}")))?;
        if self.organizations.iter().any(|o| o.id == org.id) {
            return Err(invalid(
                "",
                format!("duplicate organization id `{}`", org.id),
            ));
        }
        let mut seen = HashSet::new();
        for (i, ws) in org.workspaces.iter().enumerate() {
            crate::domain::check_id(&ws.id)
                .map_err(|e| invalid("", format!("workspaces[{i}].id {e}")))?;
            if self.workspace_orgs.contains_key(&ws.id) || !seen.insert(&ws.id) {
                return Err(invalid(
                    format!("workspaces[{i}].id"),
                    format!("duplicate workspace id `{}`", ws.id),
                ));
            }
        }
        for ws in &org.workspaces {
            self.workspace_orgs.insert(ws.id.clone(), org.id.clone());
        }
        self.organizations.push(org);
        Ok(())
    }

    pub fn add_key(&mut self, key: ApiKey) -> Result<(), StoreError> {
        if key.token.is_empty() || key.token.chars().any(char::is_whitespace) {
            return Err(invalid(
                "token",
                "must be non-empty and contain no white space",
            ));
        }
        if self.key_by_token.contains_key(&key.token) {
            return Err(invalid("token", "the same token is declared twice"));
        }
        match key.scope {
            KeyScope::Workspace => {
                let ws = key.workspace_id.as_deref().ok_or_else(|| {
                    invalid("workspaceId", "required for a key with scope `workspace`")
                })?;
                let org = self
                    .workspace_orgs
                    .get(ws)
                    .ok_or_else(|| invalid("workspaceId", format!("unknown workspace `{ws}`")))?;
                if let Some(declared) = &key.organization_id
                    && declared != org
                {
                    return Err(invalid(
                        "organizationId",
                        format!("workspace `{ws}` belongs to `{org}`, not `{declared}`"),
                    ));
                }
            }
            KeyScope::Organization => {
                let org = key.organization_id.as_deref().ok_or_else(|| {
                    invalid(
                        "organizationId",
                        "required for a key with scope `organization`",
                    )
                })?;
                if !self.organizations.iter().any(|o| o.id == org) {
                    return Err(invalid(
                        "organizationId",
                        format!("unknown organization `{org}`"),
                    ));
                }
                if key.workspace_id.is_some() {
                    return Err(invalid(
                        "workspaceId",
                        "an organization key names its workspace per request, \
                         in x-extend-workspace-id",
                    ));
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
    fn check_run(&self, run: &ProcessorRun) -> Result<(), StoreError> {
        if !self.workspace_orgs.contains_key(&run.workspace_id) {
            return Err(invalid(
                "workspaceId",
                format!("unknown workspace `{}`", run.workspace_id),
            ));
        }
        if run.updated_at < run.created_at {
            return Err(invalid(
                "updatedAt",
                format!(
                    "{} is earlier than createdAt {}",
                    run.updated_at.to_rfc3339(),
                    run.created_at.to_rfc3339()
                ),
            ));
        }
        for (field, value) in [
            ("processorId", Some(&run.processor_id)),
            ("processorVersionId", Some(&run.processor_version_id)),
            ("sourceId", run.source_id.as_ref()),
        ] {
            if let Some(value) = value {
                crate::domain::check_id(value).map_err(|e| invalid("", format!("{field} {e}")))?;
            }
        }
        Ok(())
    }

    /// Adds runs all-or-nothing: each run is checked against the store and the
    /// runs before it as it arrives; on the first bad one, every run of the
    /// batch is taken out again. The error holds its position and the reason.
    ///
    /// Runs are taken from an iterator, so a generator can stream a million of
    /// them in without a second copy. A batch is indexed in one go: sorted once
    /// per workspace and field, then merged into each list, so loading a
    /// million runs costs a few sorts rather than a million scattered inserts.
    pub fn add_runs(
        &mut self,
        runs: impl IntoIterator<Item = ProcessorRun>,
    ) -> Result<usize, (usize, StoreError)> {
        let first = self.runs.len();
        let text_mark = self.text.len();
        let runs = runs.into_iter();
        self.reserve_runs(runs.size_hint().0);
        for (i, run) in runs.enumerate() {
            if let Err(reason) = self.push_run(run) {
                self.roll_back(first, text_mark);
                return Err((i, reason));
            }
        }
        self.index_from(first);
        Ok(self.runs.len() - first)
    }

    /// Makes room for `coming` more runs, as `add_runs`'s iterator announces
    /// them (exactly, for the generator): growing a million-entry table by
    /// doubling would rehash it twenty times.
    fn reserve_runs(&mut self, coming: usize) {
        self.runs.reserve(coming);
        self.text.reserve(coming * 48);
        let rows = Rows {
            runs: &self.runs,
            text: &self.text,
        };
        self.run_ids
            .reserve(coming, |&s| FxBuildHasher.hash_one(rows.id(s)));
    }

    /// Appends one run, unindexed. Strings it shares with other runs are
    /// interned; those stay even if the batch is rolled back (they are only
    /// names, and a filter on a name with no runs finds none).
    fn push_run(&mut self, run: ProcessorRun) -> Result<(), StoreError> {
        self.check_run(&run)?;
        let slot = u32::try_from(self.runs.len())
            .ok()
            .filter(|&slot| slot < u32::MAX)
            .ok_or(StoreError::Full("the store holds at most 4 billion runs"))?;
        let hasher = FxBuildHasher;
        let hash = hasher.hash_one(run.id.as_str());
        let rows = Rows {
            runs: &self.runs,
            text: &self.text,
        };
        if self
            .run_ids
            .find(hash, |&s| rows.id(s) == run.id.as_str())
            .is_some()
        {
            return Err(StoreError::DuplicateRun(run.id.as_str().to_owned()));
        }
        let id = self.push_text(run.id.as_str())?;
        let file_name = self.push_text(&run.file_name)?;
        let file_name_lower = self.push_lower_case(&run.file_name, file_name)?;
        let processor = self.processor_number(&run);
        let stored = StoredRun {
            at: [run.created_at.unix_nanos(), run.updated_at.unix_nanos()],
            credits: run.usage.as_ref().map(|u| u.credits),
            id,
            file_name,
            file_name_lower,
            workspace: self.symbols.intern(&run.workspace_id),
            processor,
            source_id: run
                .source_id
                .as_deref()
                .map_or(NO_SYM, |s| self.symbols.intern(s)),
            status: run.status,
            source: run.source,
            live: true,
        };
        if !run.details.is_empty() {
            self.details.insert(slot, Box::new(run.details));
        }
        self.runs.push(stored);
        self.live_runs += 1;
        let rows = Rows {
            runs: &self.runs,
            text: &self.text,
        };
        self.run_ids
            .insert_unique(hash, slot, |&s| hasher.hash_one(rows.id(s)));
        Ok(())
    }

    fn push_text(&mut self, text: &str) -> Result<Span, StoreError> {
        let start = u32::try_from(self.text.len()).ok();
        let end = u32::try_from(self.text.len() + text.len()).ok();
        let (Some(start), Some(_)) = (start, end) else {
            return Err(StoreError::Full(
                "the store holds at most 4 GiB of ids and file names",
            ));
        };
        self.text.push_str(text);
        Ok(Span {
            start,
            len: text.len() as u32,
        })
    }

    /// The span of a file name's lower-case form: `as_is` (the name's own span)
    /// when lower-casing changes nothing, else a copy lower-cased in the arena.
    /// ASCII, nearly every name, is lower-cased in place with no allocation.
    fn push_lower_case(&mut self, name: &str, as_is: Span) -> Result<Span, StoreError> {
        if name.is_ascii() {
            if !name.bytes().any(|b| b.is_ascii_uppercase()) {
                return Ok(as_is);
            }
            let span = self.push_text(name)?;
            self.text[span.start as usize..].make_ascii_lowercase();
            return Ok(span);
        }
        let lower = name.to_lowercase();
        if lower == name {
            Ok(as_is)
        } else {
            self.push_text(&lower)
        }
    }

    /// The processor table's number for a run's processor, adding it if new.
    /// Found by its strings, so the common case interns nothing.
    fn processor_number(&mut self, run: &ProcessorRun) -> u32 {
        let parts = (
            run.processor_id.as_str(),
            run.processor_name.as_str(),
            run.processor_version_id.as_str(),
            run.processor_type,
        );
        let hasher = FxBuildHasher;
        let hash = hasher.hash_one(parts);
        let (processors, symbols) = (&self.processors, &self.symbols);
        let same = |&n: &u32| {
            let p = &processors[n as usize];
            (
                symbols.text(p.id),
                symbols.text(p.name),
                symbols.text(p.version),
                p.kind,
            ) == parts
        };
        if let Some(&number) = self.processor_numbers.find(hash, same) {
            return number;
        }
        let (id, name, version, kind) = (
            self.symbols.intern(parts.0),
            self.symbols.intern(parts.1),
            self.symbols.intern(parts.2),
            parts.3,
        );
        let number = u32::try_from(self.processors.len()).expect("fewer than 4 billion processors");
        self.processors.push(Processor {
            id,
            name,
            version,
            kind,
        });
        let (processors, symbols) = (&self.processors, &self.symbols);
        self.processor_numbers.insert_unique(hash, number, |&n| {
            let p = &processors[n as usize];
            hasher.hash_one((
                symbols.text(p.id),
                symbols.text(p.name),
                symbols.text(p.version),
                p.kind,
            ))
        });
        number
    }

    /// Takes out the runs from slot `first` on, and their text.
    fn roll_back(&mut self, first: usize, text_mark: usize) {
        let hasher = FxBuildHasher;
        for slot in first..self.runs.len() {
            let rows = Rows {
                runs: &self.runs,
                text: &self.text,
            };
            let id = rows.id(slot as u32);
            if let Ok(entry) = self
                .run_ids
                .find_entry(hasher.hash_one(id), |&s| s as usize == slot)
            {
                entry.remove();
            }
        }
        self.details.retain(|&slot, _| (slot as usize) < first);
        self.live_runs -= self.runs.len() - first;
        self.runs.truncate(first);
        self.text.truncate(text_mark);
    }

    /// Indexes the runs from slot `first` on.
    fn index_from(&mut self, first: usize) {
        let rows = Rows {
            runs: &self.runs,
            text: &self.text,
        };
        let new = &self.runs[first..];
        // Each new run's filter groups, numbered once for the whole batch by
        // looking the value up in a table (enums by variant, ids by symbol
        // number): no hashing per run.
        let mut groups: Vec<FilterKey> = Vec::new();
        let mut number = |key: FilterKey, known: &mut u32| {
            if *known == NO_GROUP {
                *known = groups.len() as u32;
                groups.push(key);
            }
            *known
        };
        let mut by_status = [NO_GROUP; RunStatus::ALL.len()];
        let mut by_source = [NO_GROUP; RunSource::ALL.len()];
        let mut by_type = [NO_GROUP; ProcessorType::ALL.len()];
        // `[processorId, sourceId]` group of each symbol.
        let mut by_symbol = vec![[NO_GROUP; 2]; self.symbols.texts.len()];
        let group_ids: Vec<GroupIds> = new
            .iter()
            .map(|run| {
                let processor = &self.processors[run.processor as usize];
                let mut ids = [NO_GROUP; 5];
                ids[0] = number(
                    FilterKey::Status(run.status),
                    &mut by_status[run.status as usize],
                );
                ids[1] = number(
                    FilterKey::Source(run.source),
                    &mut by_source[run.source as usize],
                );
                ids[2] = number(
                    FilterKey::ProcessorId(processor.id),
                    &mut by_symbol[processor.id as usize][0],
                );
                let mut next = 3;
                if let Some(kind) = processor.kind {
                    ids[next] = number(FilterKey::Type(kind), &mut by_type[kind as usize]);
                    next += 1;
                }
                if run.source_id != NO_SYM {
                    ids[next] = number(
                        FilterKey::SourceId(run.source_id),
                        &mut by_symbol[run.source_id as usize][1],
                    );
                }
                ids
            })
            .collect();
        let mut per_workspace: FxHashMap<Sym, Slots> = FxHashMap::default();
        for (offset, entry) in new.iter().enumerate() {
            per_workspace
                .entry(entry.workspace)
                .or_default()
                .push((first + offset) as u32);
        }
        for (workspace, slots) in per_workspace {
            let ws = self.workspaces.entry(workspace).or_default();
            let [created, updated] = &mut ws.indexes;
            let batch = Batch::new(&slots, first, &groups, &group_ids, rows);
            // The two sort orders share nothing mutable: a big batch indexes
            // them on two threads. A small one is not worth a thread.
            if slots.len() >= PARALLEL_INDEXING {
                std::thread::scope(|scope| {
                    scope.spawn(|| batch.index(created, 0));
                    batch.index(updated, 1);
                });
            } else {
                batch.index(created, 0);
                batch.index(updated, 1);
            }
        }
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

    /// Runs in the store, not counting removed ones.
    pub fn run_count(&self) -> usize {
        self.live_runs
    }

    fn rows(&self) -> Rows<'_> {
        Rows {
            runs: &self.runs,
            text: &self.text,
        }
    }

    fn id(&self, slot: u32) -> &str {
        self.rows().id(slot)
    }

    /// Every run in the order added, in its fixture shape (for export).
    pub fn runs(&self) -> impl Iterator<Item = ProcessorRun> + '_ {
        let rows = self.rows();
        self.runs
            .iter()
            .enumerate()
            .filter(|(_, run)| run.live)
            .map(move |(slot, run)| {
                let processor = &self.processors[run.processor as usize];
                let text = |sym: Sym| self.symbols.text(sym).to_owned();
                ProcessorRun {
                    id: RunId::parse(rows.span(run.id)).expect("stored ids were checked"),
                    workspace_id: text(run.workspace),
                    status: run.status,
                    processor_id: text(processor.id),
                    processor_name: text(processor.name),
                    processor_version_id: text(processor.version),
                    processor_type: processor.kind,
                    source: run.source,
                    source_id: (run.source_id != NO_SYM).then(|| text(run.source_id)),
                    file_name: rows.span(run.file_name).to_owned(),
                    created_at: Timestamp::from_unix_nanos(run.at[0]),
                    updated_at: Timestamp::from_unix_nanos(run.at[1]),
                    usage: run.credits.map(|credits| Usage { credits }),
                    details: self
                        .details
                        .get(&(slot as u32))
                        .map(|d| RunDetails::clone(d))
                        .unwrap_or_default(),
                }
            })
    }

    /// A run as the layers above read it, borrowed from the store.
    fn view(&self, slot: u32) -> RunView<'_> {
        let run = &self.runs[slot as usize];
        let processor = &self.processors[run.processor as usize];
        let rows = self.rows();
        RunView {
            id: rows.span(run.id),
            workspace_id: self.symbols.text(run.workspace),
            status: run.status,
            processor_id: self.symbols.text(processor.id),
            processor_name: self.symbols.text(processor.name),
            processor_version_id: self.symbols.text(processor.version),
            processor_type: processor.kind,
            source: run.source,
            source_id: (run.source_id != NO_SYM).then(|| self.symbols.text(run.source_id)),
            file_name: rows.span(run.file_name),
            created_at: Timestamp::from_unix_nanos(run.at[0]),
            updated_at: Timestamp::from_unix_nanos(run.at[1]),
            created_nanos: run.at[0],
            updated_nanos: run.at[1],
            credits: run.credits,
            details: self.details.get(&slot).map(|d| &**d),
        }
    }

    /// The slot of a live run of this workspace with this id. A run of
    /// another workspace is not found: callers cannot tell the two apart.
    fn find(&self, workspace_id: &str, id: &str) -> Option<u32> {
        let rows = self.rows();
        let slot = *self
            .run_ids
            .find(FxBuildHasher.hash_one(id), |&s| rows.id(s) == id)?;
        let run = &self.runs[slot as usize];
        (run.live && self.symbols.text(run.workspace) == workspace_id).then_some(slot)
    }

    /// One run of a workspace.
    pub fn get(&self, workspace_id: &str, id: &str) -> Result<RunView<'_>, StoreError> {
        self.find(workspace_id, id)
            .map(|slot| self.view(slot))
            .ok_or_else(|| StoreError::RunNotFound(id.to_owned()))
    }

    /// The type a run without one is shown with in its full object: the
    /// type its processor's other runs carry, `EXTRACT` when none does
    /// (SPEC Part 4). The processor table holds a few dozen entries.
    pub fn processor_type_of(&self, processor_id: &str) -> ProcessorType {
        let Some(id) = self.symbols.get(processor_id) else {
            return ProcessorType::Extract;
        };
        self.processors
            .iter()
            .filter(|p| p.id == id)
            .find_map(|p| p.kind)
            .unwrap_or(ProcessorType::Extract)
    }

    /// Deletes a run for good: out of every index, the id look-up, exports
    /// and counts. Its slot and text stay (slots number the runs; the text is
    /// a few bytes) until the store is rebuilt. Page tokens that point at or
    /// past it still work: a cursor is a position in the order, not a slot.
    pub fn remove(&mut self, workspace_id: &str, id: &str) -> Result<(), StoreError> {
        let slot = self
            .find(workspace_id, id)
            .ok_or_else(|| StoreError::RunNotFound(id.to_owned()))?;
        self.unindex(slot);
        let hash = FxBuildHasher.hash_one(id);
        if let Ok(entry) = self.run_ids.find_entry(hash, |&s| s == slot) {
            entry.remove();
        }
        self.runs[slot as usize].live = false;
        self.details.remove(&slot);
        self.live_runs -= 1;
        Ok(())
    }

    /// Changes a run's status and `updatedAt`; the run moves to its new
    /// place in every index it is in (the `updatedAt` order, the status lists).
    pub fn update(
        &mut self,
        workspace_id: &str,
        id: &str,
        change: RunChange,
    ) -> Result<(), StoreError> {
        let slot = self
            .find(workspace_id, id)
            .ok_or_else(|| StoreError::RunNotFound(id.to_owned()))?;
        let run = &self.runs[slot as usize];
        let updated = change.updated_at.map_or(run.at[1], Timestamp::unix_nanos);
        if updated < run.at[0] {
            return Err(invalid(
                "updatedAt",
                format!(
                    "{} is earlier than createdAt {}",
                    Timestamp::from_unix_nanos(updated).to_rfc3339(),
                    Timestamp::from_unix_nanos(run.at[0]).to_rfc3339()
                ),
            ));
        }
        self.unindex(slot);
        let run = &mut self.runs[slot as usize];
        run.at[1] = updated;
        if let Some(status) = change.status {
            run.status = status;
        }
        if let Some(credits) = change.credits {
            run.credits = Some(credits);
        }
        self.index_one(slot);
        Ok(())
    }

    /// The equality-filter lists a run belongs in.
    fn filter_keys(&self, slot: u32) -> impl Iterator<Item = FilterKey> {
        let run = &self.runs[slot as usize];
        let processor = &self.processors[run.processor as usize];
        [
            Some(FilterKey::Status(run.status)),
            Some(FilterKey::Source(run.source)),
            Some(FilterKey::ProcessorId(processor.id)),
            processor.kind.map(FilterKey::Type),
            (run.source_id != NO_SYM).then_some(FilterKey::SourceId(run.source_id)),
        ]
        .into_iter()
        .flatten()
    }

    /// Takes one run out of its workspace's lists, found by binary search.
    fn unindex(&mut self, slot: u32) {
        let keys: Vec<FilterKey> = self.filter_keys(slot).collect();
        let workspace = self.runs[slot as usize].workspace;
        let rows = Rows {
            runs: &self.runs,
            text: &self.text,
        };
        let Some(ws) = self.workspaces.get_mut(&workspace) else {
            return;
        };
        for (by, index) in ws.indexes.iter_mut().enumerate() {
            let lists = std::iter::once(&mut index.all).chain(
                index
                    .by_filter
                    .iter_mut()
                    .filter(|(key, _)| keys.contains(key))
                    .map(|(_, slots)| slots),
            );
            for slots in lists {
                let at = slots.partition_point(|&e| rows.compare(by, e, slot) == Ordering::Less);
                if slots.get(at) == Some(&slot) {
                    slots.remove(at);
                }
            }
        }
    }

    /// Puts one run into its workspace's lists at its place.
    fn index_one(&mut self, slot: u32) {
        let keys: Vec<FilterKey> = self.filter_keys(slot).collect();
        let workspace = self.runs[slot as usize].workspace;
        let rows = Rows {
            runs: &self.runs,
            text: &self.text,
        };
        let ws = self.workspaces.entry(workspace).or_default();
        for (by, index) in ws.indexes.iter_mut().enumerate() {
            merge_into(&mut index.all, vec![slot], rows, by);
            for key in &keys {
                merge_into(
                    index.by_filter.entry(*key).or_default(),
                    vec![slot],
                    rows,
                    by,
                );
            }
        }
    }

    /// The filters with their ids as numbers, or `None` when an id filter names
    /// something no run has ever had (so nothing can match).
    fn resolve<'a>(&self, filters: &'a Filters) -> Option<Wanted<'a>> {
        let number = |id: &Option<String>| -> Option<Option<Sym>> {
            match id {
                None => Some(None),
                Some(id) => self.symbols.get(id).map(Some),
            }
        };
        Some(Wanted {
            status: filters.status,
            processor_id: number(&filters.processor_id)?,
            processor_type: filters.processor_type,
            source_id: number(&filters.source_id)?,
            source: filters.source,
            file_name_contains: filters.file_name_contains.as_deref().map(Finder::new),
        })
    }

    fn matches(&self, wanted: &Wanted<'_>, run: &StoredRun) -> bool {
        let processor = &self.processors[run.processor as usize];
        wanted.status.is_none_or(|s| run.status == s)
            && wanted.source.is_none_or(|s| run.source == s)
            && wanted
                .processor_type
                .is_none_or(|t| processor.kind == Some(t))
            && wanted.processor_id.is_none_or(|id| processor.id == id)
            && wanted.source_id.is_none_or(|id| run.source_id == id)
            && wanted.file_name_contains.as_ref().is_none_or(|needle| {
                needle
                    .find(self.rows().span(run.file_name_lower).as_bytes())
                    .is_some()
            })
    }

    /// One keyset page of a workspace's runs: a binary search for the cursor in
    /// the narrowest list, then a walk that checks the remaining filters.
    pub fn page(&self, workspace_id: &str, request: &PageRequest<'_>) -> Page<'_> {
        let mut page = Page {
            store: self,
            slots: Vec::new(),
            has_more: false,
        };
        let ws = self
            .symbols
            .get(workspace_id)
            .and_then(|number| self.workspaces.get(&number));
        let Some(ws) = ws else {
            return page;
        };
        let Some(wanted) = self.resolve(request.filters) else {
            return page;
        };
        let by = field(request.order.by);
        let Some(slots) = ws.indexes[by].narrowest(&wanted) else {
            return page;
        };
        let rows = self.rows();
        let key_of = |slot: u32| (rows.runs[slot as usize].at[by], rows.id(slot));
        // The part of the list after the cursor, in the request's direction.
        let window = match (request.order.dir, request.after) {
            (_, None) => slots.as_slice(),
            (SortDir::Asc, Some(after)) => {
                let cursor = (after.at_nanos, after.id.as_str());
                &slots[slots.partition_point(|&s| key_of(s) <= cursor)..]
            }
            (SortDir::Desc, Some(after)) => {
                let cursor = (after.at_nanos, after.id.as_str());
                &slots[..slots.partition_point(|&s| key_of(s) < cursor)]
            }
        };
        let (mut ascending, mut descending) = (window.iter(), window.iter().rev());
        let walk: &mut dyn Iterator<Item = &u32> = match request.order.dir {
            SortDir::Asc => &mut ascending,
            SortDir::Desc => &mut descending,
        };
        page.slots.reserve(request.limit.min(1024));
        for &slot in walk {
            if !self.matches(&wanted, &rows.runs[slot as usize]) {
                continue;
            }
            if page.slots.len() == request.limit {
                page.has_more = true;
                break;
            }
            page.slots.push(slot);
        }
        page
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Workspace;

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
            details: RunDetails::default(),
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
            let page = store.page("ws", &request);
            let served: Vec<&str> = page.ids().collect();
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

    fn page_ids(store: &Store, filters: &Filters, by: SortBy) -> Vec<String> {
        let request = PageRequest {
            filters,
            order: Order {
                by,
                dir: SortDir::Asc,
            },
            after: None,
            limit: 1000,
        };
        store
            .page("ws", &request)
            .ids()
            .map(str::to_owned)
            .collect()
    }

    /// A status or `updatedAt` change moves the run in every list it is in,
    /// and a removed run leaves them all, the id look-up and the export.
    #[test]
    fn updated_runs_move_and_removed_runs_leave_every_index() {
        let mut store = store();
        let runs: Vec<ProcessorRun> = (0..20)
            .map(|i| run(i, i64::from(i), RunStatus::Processing))
            .collect();
        store.add_runs(runs.clone()).unwrap();
        let processing = Filters {
            status: Some(RunStatus::Processing),
            ..Filters::default()
        };
        let processed = Filters {
            status: Some(RunStatus::Processed),
            ..Filters::default()
        };
        let moved = runs[3].id.as_str();
        let later = Timestamp::from_unix_nanos(runs[19].updated_at.unix_nanos() + 1);
        store
            .update(
                "ws",
                moved,
                RunChange {
                    status: Some(RunStatus::Processed),
                    updated_at: Some(later),
                    credits: Some(2.5),
                },
            )
            .unwrap();
        assert_eq!(page_ids(&store, &processed, SortBy::UpdatedAt), [moved]);
        assert!(!page_ids(&store, &processing, SortBy::UpdatedAt).contains(&moved.to_owned()));
        let by_update = page_ids(&store, &Filters::default(), SortBy::UpdatedAt);
        assert_eq!(by_update.last().map(String::as_str), Some(moved));
        // Its place in the createdAt order is where it was.
        let by_creation = page_ids(&store, &Filters::default(), SortBy::CreatedAt);
        assert_eq!(by_creation[3], moved);
        let view = store.get("ws", moved).unwrap();
        assert_eq!(
            (view.status, view.updated_at, view.credits),
            (RunStatus::Processed, later, Some(2.5))
        );
        // updatedAt never goes before createdAt.
        let early = RunChange {
            updated_at: Some(Timestamp::from_unix_nanos(0)),
            ..RunChange::default()
        };
        assert!(matches!(
            store.update("ws", moved, early),
            Err(StoreError::Invalid { .. })
        ));

        let gone = runs[7].id.as_str();
        store.remove("ws", gone).unwrap();
        assert_eq!(store.run_count(), 19);
        assert_eq!(
            store.get("ws", gone).unwrap_err(),
            StoreError::RunNotFound(gone.into())
        );
        assert_eq!(
            store.remove("ws", gone).unwrap_err(),
            StoreError::RunNotFound(gone.into())
        );
        for filters in [Filters::default(), processing.clone()] {
            for by in [SortBy::CreatedAt, SortBy::UpdatedAt] {
                let ids = page_ids(&store, &filters, by);
                assert!(!ids.contains(&gone.to_owned()), "{filters:?} {by:?}");
            }
        }
        assert!(store.runs().all(|r| r.id.as_str() != gone));
        assert_eq!(store.runs().count(), 19);
        // Another workspace cannot see or remove a run.
        assert!(store.get("ws_other", moved).is_err());
        assert!(store.remove("ws_other", moved).is_err());
        // Its id can be used again.
        store.add_runs(vec![runs[7].clone()]).unwrap();
        assert_eq!(store.run_count(), 20);
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
