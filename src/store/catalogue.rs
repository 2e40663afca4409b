//! The processor catalogue of every workspace. Processors are few (dozens per
//! workspace, against millions of runs), so they are kept whole, found by
//! `(workspace, id)`, and ordered per workspace by `(createdAt, id)` and
//! `(updatedAt, id)` in two sets for keyset pages.
//!
//! Where fixtures declare no processors, the catalogue is derived from the
//! runs as they are added: each `(workspace, processorId)` is a processor,
//! each `processorVersionId` one of its published versions, the config the
//! built-in one for the processor's name and type. A batch of runs is added
//! all-or-nothing, so the catalogue keeps an undo log until the batch settles.

use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};
use sha2::{Digest, Sha256};

use crate::configs::builtin_config;
use crate::domain::{
    DRAFT, JsonObject, Order, Position, Processor, ProcessorRun, ProcessorType, ProcessorVersion,
    SortBy, VersionNumber,
};

use super::keyset::{Keys, ids_after, take_page};
use super::{StoreError, invalid};

/// How runs meet the catalogue when they are added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// A run whose processor is missing makes one (and a missing version).
    Derive,
    /// The runs' document declares its processors: a run must name one of
    /// them and one of its versions.
    Require,
}

/// What a derived processor still learns from runs.
#[derive(Clone, Copy, Debug)]
struct Derived {
    /// No run has said its type yet (older runs carry none): `EXTRACT` until one does.
    type_known: bool,
}

/// A processor's state before a batch touched it, to put back on failure.
struct Snapshot {
    index: usize,
    processor: Processor,
    derived: Option<Derived>,
}

#[derive(Default)]
pub struct Catalogue {
    processors: Vec<Processor>,
    /// `Some` while the processor is what runs made it; an API edit ends that.
    derived: Vec<Option<Derived>>,
    by_id: FxHashMap<String, FxHashMap<String, usize>>,
    /// Per workspace: by `createdAt`, by `updatedAt`.
    order: FxHashMap<String, [Keys; 2]>,
    /// The batch under way: processors it added (from this index on) and the
    /// ones it changed, as they were.
    batch_start: usize,
    touched: Vec<Snapshot>,
    touched_set: FxHashSet<usize>,
}

fn sort_key(p: &Processor, by: SortBy) -> (i64, String) {
    let at = match by {
        SortBy::CreatedAt => p.created_at,
        SortBy::UpdatedAt => p.updated_at,
    };
    (at.unix_nanos(), p.id.clone())
}

/// An id made from the processor's, so a derived draft is the same on every start.
fn derived_id(prefix: &str, parts: &[&str]) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut digest = Sha256::new();
    for part in parts {
        digest.update((part.len() as u64).to_le_bytes());
        digest.update(part.as_bytes());
    }
    let digest = digest.finalize();
    let mut id = String::from(prefix);
    id.extend(
        digest[..21]
            .iter()
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char),
    );
    id
}

impl Catalogue {
    pub fn get(&self, workspace_id: &str, id: &str) -> Option<&Processor> {
        self.index_of(workspace_id, id).map(|i| &self.processors[i])
    }

    fn index_of(&self, workspace_id: &str, id: &str) -> Option<usize> {
        self.by_id.get(workspace_id)?.get(id).copied()
    }

    /// Every processor, in the order added (for export).
    pub fn all(&self) -> &[Processor] {
        &self.processors
    }

    /// The config a run of this processor version was made with, if both exist.
    pub fn version_config(
        &self,
        workspace_id: &str,
        processor_id: &str,
        version_id: &str,
    ) -> Option<&Arc<JsonObject>> {
        Some(
            &self
                .get(workspace_id, processor_id)?
                .version(version_id)?
                .config,
        )
    }

    /// One page in `order`, strictly after `after`, of the processors of one
    /// type (or all); `true` when more follow.
    pub fn page(
        &self,
        workspace_id: &str,
        processor_type: Option<ProcessorType>,
        order: Order,
        after: Option<&Position>,
        limit: usize,
    ) -> (Vec<&Processor>, bool) {
        let Some(sets) = self.order.get(workspace_id) else {
            return (Vec::new(), false);
        };
        let set = &sets[usize::from(order.by == SortBy::UpdatedAt)];
        let matching = ids_after(set, order.dir, after)
            .filter_map(|id| self.get(workspace_id, id))
            .filter(|p| !p.inline && processor_type.is_none_or(|t| p.processor_type == t));
        take_page(matching, limit)
    }

    fn index(&mut self, i: usize) {
        let p = &self.processors[i];
        let sets = self.order.entry(p.workspace_id.clone()).or_default();
        sets[0].insert(sort_key(p, SortBy::CreatedAt));
        sets[1].insert(sort_key(p, SortBy::UpdatedAt));
    }

    fn unindex(&mut self, p: &Processor) {
        if let Some(sets) = self.order.get_mut(&p.workspace_id) {
            sets[0].remove(&sort_key(p, SortBy::CreatedAt));
            sets[1].remove(&sort_key(p, SortBy::UpdatedAt));
        }
    }

    /// Adds a processor given whole (a fixture's, or one made through the
    /// API); the caller has checked its workspace and configs.
    pub fn add(&mut self, mut processor: Processor) -> Result<(), StoreError> {
        check_versions(&processor)?;
        // Kept in number order, so lists need not sort them.
        processor
            .versions
            .sort_by_key(|v| VersionNumber::parse(&v.version));
        if self.get(&processor.workspace_id, &processor.id).is_some() {
            return Err(invalid(
                "id",
                format!(
                    "duplicate processor id `{}` in workspace `{}`",
                    processor.id, processor.workspace_id
                ),
            ));
        }
        let i = self.processors.len();
        self.by_id
            .entry(processor.workspace_id.clone())
            .or_default()
            .insert(processor.id.clone(), i);
        self.processors.push(processor);
        self.derived.push(None);
        self.index(i);
        Ok(())
    }

    /// Changes one processor with `edit`, keeping its place in the orders; an
    /// edited processor is no longer derived from runs.
    pub fn edit<T, E: From<StoreError>>(
        &mut self,
        workspace_id: &str,
        id: &str,
        edit: impl FnOnce(&mut Processor) -> Result<T, E>,
    ) -> Result<T, E> {
        let i = self
            .index_of(workspace_id, id)
            .ok_or_else(|| StoreError::ProcessorNotFound(id.to_owned()))?;
        let p = &self.processors[i];
        let keys = [
            sort_key(p, SortBy::CreatedAt),
            sort_key(p, SortBy::UpdatedAt),
        ];
        let answer = edit(&mut self.processors[i])?;
        if let Some(sets) = self.order.get_mut(workspace_id) {
            for (set, key) in sets.iter_mut().zip(&keys) {
                set.remove(key);
            }
        }
        self.index(i);
        self.derived[i] = None;
        Ok(answer)
    }

    pub fn begin_batch(&mut self) {
        self.batch_start = self.processors.len();
        self.touched.clear();
        self.touched_set.clear();
    }

    /// Checks a run against the catalogue and, in `Derive`, grows it. Call
    /// between `begin_batch` and `settle` or `roll_back`.
    pub fn admit(&mut self, run: &ProcessorRun, admission: Admission) -> Result<(), StoreError> {
        let ws = run.workspace_id.as_str();
        let Some(i) = self.index_of(ws, &run.processor_id) else {
            if admission == Admission::Require {
                return Err(invalid(
                    "processorId",
                    format!(
                        "processor `{}` is not among the document's processors of workspace `{ws}`",
                        run.processor_id
                    ),
                ));
            }
            return self.derive(run);
        };
        let p = &self.processors[i];
        if let Some(kind) = run.processor_type
            && kind != p.processor_type
        {
            let known = self.derived[i].is_none_or(|d| d.type_known);
            if known {
                return Err(invalid(
                    "type",
                    format!(
                        "the run is `{kind}` but processor `{}` is `{}`",
                        p.id, p.processor_type
                    ),
                ));
            }
        }
        let has_version = p.version(&run.processor_version_id).is_some();
        let Some(derived) = self.derived[i] else {
            if !has_version {
                return Err(invalid(
                    "processorVersionId",
                    format!(
                        "`{}` is not a version of processor `{}`",
                        run.processor_version_id, p.id
                    ),
                ));
            }
            return Ok(());
        };
        // A derived processor learns from each run: its times, its type, its versions.
        let created = run.created_at.unix_nanos();
        let updated = run.updated_at.unix_nanos();
        let learns_type = !derived.type_known && run.processor_type.is_some();
        let widens = created < p.created_at.unix_nanos() || updated > p.updated_at.unix_nanos();
        let older_version = p
            .version(&run.processor_version_id)
            .is_some_and(|v| created < v.created_at.unix_nanos());
        if has_version && !learns_type && !widens && !older_version {
            return Ok(());
        }
        self.snapshot(i);
        let p = &mut self.processors[i];
        if learns_type {
            p.processor_type = run.processor_type.expect("checked above");
            self.derived[i] = Some(Derived { type_known: true });
        }
        p.created_at = p.created_at.min(run.created_at);
        p.updated_at = p.updated_at.max(run.updated_at);
        match p
            .versions
            .iter_mut()
            .find(|v| v.id == run.processor_version_id)
        {
            Some(v) => {
                v.created_at = v.created_at.min(run.created_at);
                v.updated_at = v.created_at;
            }
            None => p.versions.push(published(run)),
        }
        Ok(())
    }

    fn snapshot(&mut self, i: usize) {
        if i >= self.batch_start || !self.touched_set.insert(i) {
            return;
        }
        self.touched.push(Snapshot {
            index: i,
            processor: self.processors[i].clone(),
            derived: self.derived[i],
        });
    }

    fn derive(&mut self, run: &ProcessorRun) -> Result<(), StoreError> {
        crate::domain::check_id(&run.processor_id)
            .map_err(|e| invalid("processorId", e.to_string()))?;
        let i = self.processors.len();
        let processor_type = run.processor_type.unwrap_or(ProcessorType::Extract);
        let version = published(run);
        self.processors.push(Processor {
            id: run.processor_id.clone(),
            workspace_id: run.workspace_id.clone(),
            name: run.processor_name.clone(),
            processor_type,
            created_at: run.created_at,
            updated_at: run.updated_at,
            draft_version: version.clone(),
            versions: vec![version],
            inline: false,
        });
        self.derived.push(Some(Derived {
            type_known: run.processor_type.is_some(),
        }));
        self.by_id
            .entry(run.workspace_id.clone())
            .or_default()
            .insert(run.processor_id.clone(), i);
        Ok(())
    }

    /// The batch is in: derived processors get their configs, version numbers
    /// (`1.0`, `2.0`… by their first run) and drafts, and their places in the orders.
    pub fn settle(&mut self) {
        let touched: Vec<Snapshot> = std::mem::take(&mut self.touched);
        for snapshot in &touched {
            self.unindex(&snapshot.processor);
        }
        let changed = touched
            .iter()
            .map(|s| s.index)
            .chain(self.batch_start..self.processors.len());
        let changed: Vec<usize> = changed.collect();
        for &i in &changed {
            if self.derived[i].is_some() {
                finish_derived(&mut self.processors[i]);
            }
            self.index(i);
        }
        self.batch_start = self.processors.len();
        self.touched_set.clear();
    }

    /// The batch failed: everything it added or changed goes back.
    pub fn roll_back(&mut self) {
        for snapshot in std::mem::take(&mut self.touched).into_iter().rev() {
            self.processors[snapshot.index] = snapshot.processor;
            self.derived[snapshot.index] = snapshot.derived;
        }
        for p in self.processors.drain(self.batch_start..) {
            if let Some(ids) = self.by_id.get_mut(&p.workspace_id) {
                ids.remove(&p.id);
            }
        }
        self.derived.truncate(self.batch_start);
        self.touched_set.clear();
    }
}

/// A version first seen on a run; numbered when the batch settles.
fn published(run: &ProcessorRun) -> ProcessorVersion {
    ProcessorVersion {
        id: run.processor_version_id.clone(),
        version: String::new(),
        description: None,
        config: Arc::new(JsonObject::new()),
        created_at: run.created_at,
        updated_at: run.created_at,
    }
}

fn finish_derived(p: &mut Processor) {
    let config = builtin_config(&p.name, p.processor_type);
    p.versions
        .sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    for (n, v) in p.versions.iter_mut().enumerate() {
        v.version = format!("{}.0", n + 1);
        v.config = config.clone();
    }
    p.draft_version = ProcessorVersion {
        id: derived_id(
            p.processor_type.prefixes().2,
            &[&p.workspace_id, &p.id, DRAFT],
        ),
        version: DRAFT.to_owned(),
        description: None,
        config,
        created_at: p.created_at,
        updated_at: p.updated_at,
    };
}

/// A processor's versions as a fixture may give them: a draft called
/// `draft`, published ones numbered `major.minor`, every id used once.
fn check_versions(p: &Processor) -> Result<(), StoreError> {
    crate::domain::check_id(&p.id).map_err(|e| invalid("id", e.to_string()))?;
    if p.draft_version.version != DRAFT {
        return Err(invalid(
            "draftVersion.version",
            format!("must be `{DRAFT}`, not `{}`", p.draft_version.version),
        ));
    }
    let mut ids = FxHashSet::default();
    let mut numbers = FxHashSet::default();
    for (field, v) in p.versions_by_field() {
        let is_draft = field == "draftVersion";
        crate::domain::check_id(&v.id)
            .map_err(|e| invalid(format!("{field}.id"), e.to_string()))?;
        if !ids.insert(v.id.as_str()) {
            return Err(invalid(
                format!("{field}.id"),
                format!("version id `{}` is used twice", v.id),
            ));
        }
        if !is_draft {
            let number = VersionNumber::parse(&v.version).ok_or_else(|| {
                invalid(
                    format!("{field}.version"),
                    format!("`{}` is not a version number like `1.0`", v.version),
                )
            })?;
            if !numbers.insert(number) {
                return Err(invalid(
                    format!("{field}.version"),
                    format!("version `{}` is published twice", v.version),
                ));
            }
        }
    }
    Ok(())
}
