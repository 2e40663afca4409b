//! Batches made through `POST /{family}/batch`: what a `BatchRun` is besides
//! its runs. A batch's runs carry its id as their `sourceId` (with `source`
//! `BATCH_PROCESSOR_RUN`, as the API's batch runs do), so its state is read
//! from them: nothing here changes as they end.

use rustc_hash::FxHashMap;

use crate::domain::{ProcessorType, RunSource, RunStatus, Timestamp};

use super::{Filters, PageRequest, Store};
use crate::domain::Order;

#[derive(Clone, Debug)]
pub struct Batch {
    pub id: String,
    pub workspace_id: String,
    /// The runs it made.
    pub run_count: usize,
    /// The family its runs are of: a processor type's, or (`None`) parse runs.
    pub kind: Option<ProcessorType>,
    /// The processor its runs ran (a processor batch's), for the
    /// processor's webhook subscriptions.
    pub processor_id: Option<String>,
    pub created_at: Timestamp,
    /// Whether its end has been announced (`batch_processor_run.*`): once.
    pub announced: bool,
}

/// Batches by id.
#[derive(Clone, Debug, Default)]
pub struct Batches {
    by_id: FxHashMap<String, Batch>,
}

impl Batches {
    pub fn add(&mut self, batch: Batch) {
        self.by_id.insert(batch.id.clone(), batch);
    }

    pub fn get(&self, workspace_id: &str, id: &str) -> Option<&Batch> {
        self.by_id
            .get(id)
            .filter(|b| b.workspace_id == workspace_id)
    }

    fn get_mut(&mut self, workspace_id: &str, id: &str) -> Option<&mut Batch> {
        self.by_id
            .get_mut(id)
            .filter(|b| b.workspace_id == workspace_id)
    }
}

impl Store {
    pub fn add_batch(&mut self, batch: Batch) {
        self.batches.add(batch);
    }

    /// Marks the batch's end announced if all its runs have ended and it was
    /// not yet: whether this call did (runs that end together each ask).
    pub fn announce_batch_end(&mut self, workspace_id: &str, id: &str) -> bool {
        let ended = match self.batches.get(workspace_id, id) {
            Some(batch) => !batch.announced && !self.batch_unfinished(batch),
            None => false,
        };
        if ended && let Some(batch) = self.batches.get_mut(workspace_id, id) {
            batch.announced = true;
        }
        ended
    }

    /// A batch of the workspace, if it has one with this id.
    pub fn batch(&self, workspace_id: &str, id: &str) -> Option<&Batch> {
        self.batches.get(workspace_id, id)
    }

    /// Whether any run of the batch has yet to end (`PENDING` or
    /// `PROCESSING`): two look-ups of the `sourceId` index.
    pub fn batch_unfinished(&self, batch: &Batch) -> bool {
        if batch.kind.is_none() {
            return self
                .parse_runs
                .batch_unfinished(&batch.workspace_id, &batch.id);
        }
        [RunStatus::Pending, RunStatus::Processing]
            .into_iter()
            .any(|status| {
                let filters = Filters {
                    status: Some(status),
                    source_id: Some(batch.id.clone()),
                    source: Some(RunSource::BatchProcessorRun),
                    ..Filters::default()
                };
                let request = PageRequest {
                    filters: &filters,
                    order: Order::default(),
                    after: None,
                    limit: 1,
                };
                !self.page(&batch.workspace_id, &request).is_empty()
            })
    }
}
