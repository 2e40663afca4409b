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
//!
//! This file is the facade (`get`, `page`, `add_runs`, `update`, `remove`,
//! tenancy look-ups, export) and the types callers see; `table.rs` holds the
//! records and adds runs, `index.rs` keeps the sorted lists, `query.rs` pages.

mod batches;
mod catalogue;
pub mod edits;
mod files;
mod index;
mod keyset;
pub mod parse_runs;
mod query;
mod table;
mod webhooks;
pub mod workflows;

pub use batches::Batch;
use batches::Batches;
pub use catalogue::Admission;
use catalogue::Catalogue;
pub use files::FileLimits;
use files::Files;
use webhooks::Endpoints;

use std::cmp::Ordering;
use std::collections::HashSet;
use std::hash::BuildHasher;
use std::sync::Arc;

use hashbrown::HashTable;
use memchr::memmem::Finder;
use rustc_hash::{FxBuildHasher, FxHashMap};

use crate::configs::check_config;
use crate::domain::{
    ApiKey, EndpointStatus, JsonObject, KeyScope, Order, Organization, Position, Processor,
    ProcessorRun, ProcessorType, RunDetails, RunId, RunSource, RunStatus, SortBy, SortDir,
    StoredFile, Timestamp, Usage, WebhookEndpoint, check_headers, check_url,
};

use self::index::*;
use self::query::*;
use self::table::*;

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
    /// No processor with this id in the workspace asked about.
    #[error("no processor `{0}`")]
    ProcessorNotFound(String),
    /// The processor exists, but has no version with this id.
    #[error("no processor version `{0}`")]
    VersionNotFound(String),
    #[error("no file `{0}`")]
    FileNotFound(String),
    #[error("no webhook endpoint `{0}`")]
    EndpointNotFound(String),
    /// A file over `--max-file-size`, or one the store has no room left for.
    #[error("{0}")]
    TooLarge(String),
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
    /// A family's list: runs whose type is this one, an older run stored
    /// without a type counting as its processor's (`EXTRACT` when no run
    /// said). Not an index's: a walk that checks each run (every family
    /// list holds most of a workspace's runs of its type anyway).
    pub family: Option<ProcessorType>,
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
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunChange {
    pub status: Option<RunStatus>,
    pub updated_at: Option<Timestamp>,
    pub credits: Option<f64>,
    /// `failureReason` and `failureMessage`, kept with the run's details.
    pub failure: Option<(String, String)>,
    /// An output to serve exactly, kept with the run's details.
    pub output: Option<JsonObject>,
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
    /// The full-object fields a fixture pinned, if any: filled by `get`,
    /// `None` in a page's views (a page has no use for them).
    pub details: Option<&'a RunDetails>,
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
    processors: Vec<RunProcessor>,
    /// Numbers in `processors`, found by the hash of the processor's strings.
    processor_numbers: HashTable<u32>,
    workspaces: FxHashMap<Sym, WorkspaceRuns>,
    /// The full-object fields fixtures pin, by slot; most runs have none and
    /// cost nothing here (their full object is derived on read).
    details: FxHashMap<u32, Box<RunDetails>>,
    /// Runs not removed.
    live_runs: usize,
    /// Processors and their versions, declared or derived from the runs.
    catalogue: Catalogue,
    files: Files,
    webhook_endpoints: Endpoints,
    /// Batches made through the API (not in fixture documents).
    batches: Batches,
    /// Parse runs made through the API (not in fixture documents).
    pub parse_runs: parse_runs::ParseRuns,
    /// Workflows, workflow runs and webhook subscriptions.
    pub workflows: workflows::Workflows,
    /// Edit runs, form detection runs and edit templates.
    pub edits: edits::Edits,
}

impl Store {
    /// A store with one organization holding one workspace: what unit tests
    /// start from.
    #[cfg(test)]
    pub(crate) fn with_one_workspace(workspace_id: &str) -> Store {
        let mut store = Store::default();
        store
            .add_organization(Organization {
                id: "org".into(),
                name: "O".into(),
                workspaces: vec![crate::domain::Workspace {
                    id: workspace_id.into(),
                    name: "W".into(),
                }],
            })
            .expect("one organization with one workspace is valid");
        store
    }

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

    /// Adds runs all-or-nothing: each run is checked against the store and the
    /// runs before it as it arrives; on the first bad one, every run of the
    /// batch is taken out again. The error holds its position and the reason.
    ///
    /// Runs are taken from an iterator, so a generator can stream a million of
    /// them in without a second copy. A batch is indexed in one go: sorted once
    /// per workspace and field, then merged into each list, so loading a
    /// million runs costs a few sorts rather than a million scattered inserts.
    ///
    /// Each run meets the processor catalogue as `admission` says: a missing
    /// processor or version is derived from it, or is an error.
    pub fn add_runs(
        &mut self,
        runs: impl IntoIterator<Item = ProcessorRun>,
    ) -> Result<usize, (usize, StoreError)> {
        self.add_runs_with(runs, Admission::Derive)
    }

    pub fn add_runs_with(
        &mut self,
        runs: impl IntoIterator<Item = ProcessorRun>,
        admission: Admission,
    ) -> Result<usize, (usize, StoreError)> {
        let first = self.runs.len();
        let text_mark = self.text.len();
        let runs = runs.into_iter();
        self.reserve_runs(runs.size_hint().0);
        self.catalogue.begin_batch();
        for (i, run) in runs.enumerate() {
            let added = self
                .check_run(&run)
                .and_then(|()| self.catalogue.admit(&run, admission))
                .and_then(|()| self.push_run(run));
            if let Err(reason) = added {
                self.roll_back(first, text_mark);
                self.catalogue.roll_back();
                return Err((i, reason));
            }
        }
        self.catalogue.settle();
        self.index_from(first);
        Ok(self.runs.len() - first)
    }

    /// Adds a processor declared whole (a fixture's, or one made through the
    /// API), after checking its workspace and its versions' configs.
    pub fn add_processor(&mut self, processor: Processor) -> Result<(), StoreError> {
        if !self.workspace_orgs.contains_key(&processor.workspace_id) {
            return Err(invalid(
                "workspaceId",
                format!("unknown workspace `{}`", processor.workspace_id),
            ));
        }
        for (field, v) in processor.versions_by_field() {
            check_config(processor.processor_type, &v.config)
                .map_err(|(at, reason)| invalid(format!("{field}.config{at}"), reason))?;
        }
        self.catalogue.add(processor)
    }

    /// Adds a file, as uploaded or declared in fixtures. `limits` (uploads
    /// only) bound its size and the store's total.
    pub fn add_file(
        &mut self,
        file: StoredFile,
        limits: Option<FileLimits>,
    ) -> Result<(), StoreError> {
        if !self.workspace_orgs.contains_key(&file.workspace_id) {
            return Err(invalid(
                "workspaceId",
                format!("unknown workspace `{}`", file.workspace_id),
            ));
        }
        if self.files.contains(&file.id) {
            return Err(invalid("id", format!("duplicate file id `{}`", file.id)));
        }
        if let Some(limits) = limits {
            let size = file.content.len();
            if size > limits.max_file_bytes {
                return Err(StoreError::TooLarge(format!(
                    "the file is {size} bytes; this server takes files of at most {} bytes (--max-file-size)",
                    limits.max_file_bytes
                )));
            }
            let stored = self.files.total_bytes();
            if stored + size > limits.max_total_bytes {
                return Err(StoreError::TooLarge(format!(
                    "the server holds {stored} bytes of files and takes at most {} in all \
                     (--max-files-size); delete files or reset",
                    limits.max_total_bytes
                )));
            }
        }
        self.files.insert(file);
        Ok(())
    }

    /// Bytes of every stored file, all workspaces.
    pub fn total_file_bytes(&self) -> usize {
        self.files.total_bytes()
    }

    pub fn file(&self, workspace_id: &str, id: &str) -> Option<&StoredFile> {
        self.files.get(workspace_id, id)
    }

    /// A file by id alone: for the download link, whose signature names it.
    pub fn file_by_id(&self, id: &str) -> Option<&StoredFile> {
        self.files.by_id(id)
    }

    pub fn remove_file(&mut self, workspace_id: &str, id: &str) -> Result<StoredFile, StoreError> {
        self.files
            .remove(workspace_id, id)
            .ok_or_else(|| StoreError::FileNotFound(id.to_owned()))
    }

    /// Every file, oldest first (for export).
    pub fn files(&self) -> Vec<&StoredFile> {
        self.files.all()
    }

    pub fn file_page(
        &self,
        workspace_id: &str,
        name_contains: Option<&str>,
        dir: SortDir,
        after: Option<&Position>,
        limit: usize,
    ) -> (Vec<&StoredFile>, bool) {
        self.files
            .page(workspace_id, name_contains, dir, after, limit)
    }

    /// The id of the workspace's run that ended (PROCESSED or FAILED) last.
    pub fn latest_ended_run(&self, workspace_id: &str) -> Option<String> {
        [RunStatus::Processed, RunStatus::Failed]
            .into_iter()
            .filter_map(|status| {
                let filters = Filters {
                    status: Some(status),
                    ..Filters::default()
                };
                let page = self.page(
                    workspace_id,
                    &PageRequest {
                        filters: &filters,
                        order: Order::default(),
                        after: None,
                        limit: 1,
                    },
                );
                page.runs()
                    .next()
                    .map(|run| (run.updated_at, run.id.to_owned()))
            })
            .max()
            .map(|(_, id)| id)
    }

    /// Adds a webhook endpoint of a workspace that exists, with a new id.
    pub fn add_endpoint(&mut self, endpoint: WebhookEndpoint) -> Result<(), StoreError> {
        if !self.workspace_orgs.contains_key(&endpoint.workspace_id) {
            return Err(invalid(
                "workspaceId",
                format!("unknown workspace `{}`", endpoint.workspace_id),
            ));
        }
        if self.webhook_endpoints.contains(&endpoint.id) {
            return Err(invalid(
                "id",
                format!("duplicate webhook endpoint id `{}`", endpoint.id),
            ));
        }
        check_url(&endpoint.url).map_err(|reason| invalid("url", reason))?;
        if let Some(options) = &endpoint.advanced_options {
            check_headers(options).map_err(|(name, reason)| {
                invalid(format!("advancedOptions.headers.{name}"), reason)
            })?;
        }
        if endpoint.signing_secret.trim().is_empty() {
            return Err(invalid("signingSecret", "must not be empty"));
        }
        if endpoint.url_threshold().is_some() {
            return Err(invalid(
                "advancedOptions.payload.format",
                "`url` (payloads as signed links) is not emulated; use `json`",
            ));
        }
        self.webhook_endpoints.insert(endpoint);
        Ok(())
    }

    pub fn endpoint(&self, workspace_id: &str, id: &str) -> Option<&WebhookEndpoint> {
        self.webhook_endpoints.get(workspace_id, id)
    }

    /// An endpoint by id alone: for deliveries, which name theirs.
    pub fn endpoint_by_id(&self, id: &str) -> Option<&WebhookEndpoint> {
        self.webhook_endpoints.by_id(id)
    }

    /// Changes an endpoint in place; `change` must check before it changes.
    pub fn edit_endpoint<T, E: From<StoreError>>(
        &mut self,
        workspace_id: &str,
        id: &str,
        change: impl FnOnce(&mut WebhookEndpoint) -> Result<T, E>,
    ) -> Result<T, E> {
        let endpoint = self
            .webhook_endpoints
            .get_mut(workspace_id, id)
            .ok_or_else(|| StoreError::EndpointNotFound(id.to_owned()))?;
        change(endpoint)
    }

    pub fn remove_endpoint(
        &mut self,
        workspace_id: &str,
        id: &str,
    ) -> Result<WebhookEndpoint, StoreError> {
        let removed = self
            .webhook_endpoints
            .remove(workspace_id, id)
            .ok_or_else(|| StoreError::EndpointNotFound(id.to_owned()))?;
        // Its subscriptions go with it.
        self.workflows.subscriptions.retain(|s| s.endpoint_id != id);
        Ok(removed)
    }

    /// A workspace's endpoints, oldest first.
    pub fn endpoints_in(&self, workspace_id: &str) -> impl Iterator<Item = &WebhookEndpoint> {
        self.webhook_endpoints.in_workspace(workspace_id)
    }

    /// Every endpoint, oldest first (for export).
    pub fn endpoints(&self) -> Vec<&WebhookEndpoint> {
        self.webhook_endpoints.all()
    }

    pub fn endpoint_page(
        &self,
        workspace_id: &str,
        status: Option<EndpointStatus>,
        dir: SortDir,
        after: Option<&Position>,
        limit: usize,
    ) -> (Vec<&WebhookEndpoint>, bool) {
        self.webhook_endpoints
            .page(workspace_id, status, dir, after, limit)
    }

    /// A processor of the workspace, if it has one with this id.
    /// A processor of the workspace; never an inline one (see
    /// `Processor::inline`), which no route may read or change by its id.
    pub fn processor(&self, workspace_id: &str, id: &str) -> Option<&Processor> {
        self.catalogue.get(workspace_id, id).filter(|p| !p.inline)
    }

    /// A processor of the workspace, an inline one too.
    pub fn any_processor(&self, workspace_id: &str, id: &str) -> Option<&Processor> {
        self.catalogue.get(workspace_id, id)
    }

    /// Every processor, in the order added (for export).
    pub fn processors(&self) -> &[Processor] {
        self.catalogue.all()
    }

    /// A page of the workspace's processors (see `Catalogue::page`).
    pub fn processor_page(
        &self,
        workspace_id: &str,
        processor_type: Option<ProcessorType>,
        order: Order,
        after: Option<&Position>,
        limit: usize,
    ) -> (Vec<&Processor>, bool) {
        self.catalogue
            .page(workspace_id, processor_type, order, after, limit)
    }

    /// Changes one processor of the workspace in place; `edit` may refuse.
    pub fn edit_processor<T, E: From<StoreError>>(
        &mut self,
        workspace_id: &str,
        id: &str,
        edit: impl FnOnce(&mut Processor) -> Result<T, E>,
    ) -> Result<T, E> {
        if self
            .any_processor(workspace_id, id)
            .is_some_and(|p| p.inline)
        {
            return Err(StoreError::ProcessorNotFound(id.to_owned()).into());
        }
        self.catalogue.edit(workspace_id, id, edit)
    }

    /// What a run's full object is made from besides the run: its type (its
    /// processor's, for a run stored without one) and its version's config.
    pub fn run_processor(
        &self,
        workspace_id: &str,
        run: &RunView<'_>,
    ) -> (ProcessorType, Option<&Arc<JsonObject>>) {
        let processor = self.catalogue.get(workspace_id, run.processor_id);
        let kind = run
            .processor_type
            .or(processor.map(|p| p.processor_type))
            .unwrap_or(ProcessorType::Extract);
        let config = processor
            .and_then(|p| p.version(run.processor_version_id))
            .map(|v| &v.config);
        (kind, config)
    }

    /// The config of the processor version a run was made with.
    pub fn version_config(
        &self,
        workspace_id: &str,
        processor_id: &str,
        version_id: &str,
    ) -> Option<&Arc<JsonObject>> {
        self.catalogue
            .version_config(workspace_id, processor_id, version_id)
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

    /// One run of a workspace.
    pub fn get(&self, workspace_id: &str, id: &str) -> Result<RunView<'_>, StoreError> {
        let slot = self
            .find(workspace_id, id)
            .ok_or_else(|| StoreError::RunNotFound(id.to_owned()))?;
        Ok(RunView {
            details: self.details.get(&slot).map(|d| &**d),
            ..self.view(slot)
        })
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
        if let Some((reason, message)) = change.failure {
            let details = self.details.entry(slot).or_default();
            details.failure_reason = Some(reason);
            details.failure_message = Some(message);
        }
        if let Some(output) = change.output {
            self.details.entry(slot).or_default().output = Some(output);
        }
        self.index_one(slot);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        Store::with_one_workspace("ws")
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
                    ..RunChange::default()
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
