//! Parse runs (`/parse_runs`): a resource of their own, not processor runs
//! (no processor, no legacy view), by id and per workspace in
//! `(createdAt, id)` order for keyset pages. Those of a workspace are the
//! ones its tests made: plain maps do.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::keyset::{Keys, ids_after, take_page};
use crate::domain::{JsonObject, ParseRunSource, Position, RunStatus, SortDir, Timestamp};

#[derive(Clone, Debug)]
pub struct ParseRun {
    pub id: String,
    pub workspace_id: String,
    pub status: RunStatus,
    /// The file it read, as `FileSummary`.
    pub file: JsonObject,
    pub file_name: String,
    pub page_count: u32,
    /// The document's own text, where the server has it (an uploaded text
    /// file): its chunks are made of it.
    pub text: Option<String>,
    /// The config used, its defaults filled in.
    pub config: JsonObject,
    pub metadata: Option<JsonObject>,
    pub source: ParseRunSource,
    pub source_id: Option<String>,
    /// The batch it is one of (`batchId`).
    pub batch_id: Option<String>,
    /// An output a rule or the control plane pinned; else derived on read.
    pub output: Option<Arc<JsonObject>>,
    pub failure: Option<(String, String)>,
    pub credits: Option<f64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// When it ended, for `metrics.processingTimeMs`.
    pub ended_at: Option<Timestamp>,
}

/// The filters of `GET /parse_runs`.
#[derive(Clone, Debug, Default)]
pub struct ParseFilters {
    pub status: Option<RunStatus>,
    pub batch_id: Option<String>,
    pub source: Option<ParseRunSource>,
    pub source_id: Option<String>,
    /// Lower-cased.
    pub file_name_contains: Option<String>,
}

#[derive(Clone, Default)]
pub struct ParseRuns {
    runs: FxHashMap<String, ParseRun>,
    by_created: FxHashMap<String, Keys>,
    /// The runs of each batch, by the batch's id.
    by_batch: FxHashMap<String, Vec<String>>,
}

impl ParseRuns {
    pub fn get(&self, workspace_id: &str, id: &str) -> Option<&ParseRun> {
        self.runs.get(id).filter(|r| r.workspace_id == workspace_id)
    }

    pub fn get_mut(&mut self, workspace_id: &str, id: &str) -> Option<&mut ParseRun> {
        self.runs
            .get_mut(id)
            .filter(|r| r.workspace_id == workspace_id)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.runs.contains_key(id)
    }

    /// Any workspace's (a signed link names the run by id alone).
    pub fn by_id(&self, id: &str) -> Option<&ParseRun> {
        self.runs.get(id)
    }

    /// The caller checked the id is new.
    pub fn insert(&mut self, run: ParseRun) {
        if let Some(batch) = &run.batch_id {
            self.by_batch
                .entry(batch.clone())
                .or_default()
                .push(run.id.clone());
        }
        self.by_created
            .entry(run.workspace_id.clone())
            .or_default()
            .insert((run.created_at.unix_nanos(), run.id.clone()));
        self.runs.insert(run.id.clone(), run);
    }

    pub fn remove(&mut self, workspace_id: &str, id: &str) -> Option<ParseRun> {
        self.get(workspace_id, id)?;
        let run = self.runs.remove(id)?;
        if let Some(set) = self.by_created.get_mut(workspace_id) {
            set.remove(&(run.created_at.unix_nanos(), run.id.clone()));
        }
        if let Some(batch) = &run.batch_id
            && let Some(ids) = self.by_batch.get_mut(batch)
        {
            ids.retain(|id| id != &run.id);
        }
        Some(run)
    }

    /// A page, newest first (the API gives parse runs no sort parameters),
    /// after `after`; and whether more follow.
    pub fn page(
        &self,
        workspace_id: &str,
        filters: &ParseFilters,
        after: Option<&Position>,
        limit: usize,
    ) -> (Vec<&ParseRun>, bool) {
        let Some(set) = self.by_created.get(workspace_id) else {
            return (Vec::new(), false);
        };
        let matching = ids_after(set, SortDir::Desc, after)
            .filter_map(|id| self.runs.get(id))
            .filter(|r| filters.status.is_none_or(|s| r.status == s))
            .filter(|r| {
                filters
                    .batch_id
                    .as_ref()
                    .is_none_or(|b| r.batch_id.as_ref() == Some(b))
            })
            // `source` is ignored beside `batchId`, as the API documents.
            .filter(|r| filters.batch_id.is_some() || filters.source.is_none_or(|s| r.source == s))
            .filter(|r| {
                filters
                    .source_id
                    .as_ref()
                    .is_none_or(|s| r.source_id.as_ref() == Some(s))
            })
            .filter(|r| {
                filters
                    .file_name_contains
                    .as_ref()
                    .is_none_or(|part| r.file_name.to_lowercase().contains(part.as_str()))
            });
        take_page(matching, limit)
    }

    /// Whether any run of the batch has yet to end.
    pub fn batch_unfinished(&self, workspace_id: &str, batch_id: &str) -> bool {
        self.by_batch
            .get(batch_id)
            .into_iter()
            .flatten()
            .filter_map(|id| self.get(workspace_id, id))
            .any(|r| matches!(r.status, RunStatus::Pending | RunStatus::Processing))
    }
}
