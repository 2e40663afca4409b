//! Workflows, their versions, workflow runs and webhook subscriptions
//! (`/workflows`, `/workflow_runs`, `/webhook_subscriptions`): resources of
//! their own, by id and per workspace in `(createdAt, id)` order for keyset
//! pages. A workflow run's step runs name the runs its steps made in the
//! other families (parse, extract, classify, split); those runs live where
//! their family's do, with `source` `WORKFLOW_RUN` and the workflow run's id
//! as `sourceId`.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::keyset::Keys;
use crate::domain::{
    EventType, JsonObject, StepRunStatus, SubscriptionResource, Timestamp, WorkflowRunStatus,
};

/// `"draft"`: the version a workflow's edits change.
pub const DRAFT: &str = "draft";

#[derive(Clone, Debug)]
pub struct Workflow {
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub draft: WorkflowVersion,
    /// Deployed versions, oldest first (`"1"`, `"2"`, …).
    pub versions: Vec<WorkflowVersion>,
}

impl Workflow {
    /// `"draft"`, a deployed number, or a version's id.
    pub fn version(&self, version: &str) -> Option<&WorkflowVersion> {
        match version {
            DRAFT => Some(&self.draft),
            other => self
                .versions
                .iter()
                .chain(std::iter::once(&self.draft))
                .find(|v| v.version == other || v.id == other),
        }
    }

    /// The newest deployed version, else the draft.
    pub fn latest(&self) -> &WorkflowVersion {
        self.versions.last().unwrap_or(&self.draft)
    }
}

#[derive(Clone, Debug)]
pub struct WorkflowVersion {
    pub id: String,
    /// `"draft"` or `"1"`, `"2"`, …
    pub version: String,
    pub name: Option<String>,
    /// The step definitions as given (`{type, name, config?, next?}`),
    /// shared with the runs that run them.
    pub steps: Arc<Vec<JsonObject>>,
    pub created_at: Timestamp,
}

/// What a step run did, or does: the run it made in another family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepTarget {
    /// Nothing (a step the emulator passes through).
    None,
    Parse(String),
    /// An extract, classify or split run.
    Processor(String),
}

#[derive(Clone, Debug)]
pub struct StepRun {
    pub id: String,
    /// The step's id (`step_…`), name and type in its version.
    pub step_id: String,
    pub step_name: String,
    pub step_type: String,
    pub status: StepRunStatus,
    pub target: StepTarget,
    /// A pass-through step's result, made when it ran.
    pub result: Option<serde_json::Value>,
}

#[derive(Clone, Debug)]
pub struct WorkflowRun {
    pub id: String,
    pub workspace_id: String,
    pub workflow_id: String,
    pub version_id: String,
    /// The version's steps as they were when the run was made: a draft
    /// changed meanwhile does not change a run of it.
    pub steps: Arc<Vec<JsonObject>>,
    pub name: Option<String>,
    pub status: WorkflowRunStatus,
    pub metadata: JsonObject,
    pub batch_id: Option<String>,
    pub priority: Option<serde_json::Number>,
    /// The input as each step's create body gives it (`{"file": …}` or
    /// `{"package": …}`).
    pub input: JsonObject,
    /// The input's files (`FileSummary`).
    pub files: Vec<JsonObject>,
    /// Lower-cased names of its files, for `fileNameContains`.
    pub file_names: String,
    /// Outputs given at creation, by the processor they are for.
    pub outputs: Vec<(String, JsonObject)>,
    pub failure: Option<(String, String)>,
    pub reviewed: bool,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<Timestamp>,
    pub rejection_note: Option<String>,
    pub start_time: Option<Timestamp>,
    pub end_time: Option<Timestamp>,
    pub step_runs: Vec<StepRun>,
    /// Names of the steps reached so far: each runs once per run.
    pub reached: Vec<String>,
    /// The HUMAN_REVIEW steps reached and not yet decided, first first.
    pub review_steps: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl WorkflowRun {
    /// Whether any step run has yet to end.
    pub fn steps_unfinished(&self) -> bool {
        self.step_runs.iter().any(|s| {
            matches!(
                s.status,
                StepRunStatus::Pending | StepRunStatus::Waiting | StepRunStatus::Processing
            )
        })
    }
}

#[derive(Clone, Debug)]
pub struct Subscription {
    pub id: String,
    pub workspace_id: String,
    pub endpoint_id: String,
    pub resource_type: SubscriptionResource,
    pub resource_id: String,
    pub enabled_events: Vec<EventType>,
    pub created_at: Timestamp,
}

/// One resource kind by id, with each workspace's `(createdAt, id)` keys.
#[derive(Clone, Debug)]
pub struct Table<T> {
    by_id: FxHashMap<String, T>,
    keys: FxHashMap<String, Keys>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table {
            by_id: FxHashMap::default(),
            keys: FxHashMap::default(),
        }
    }
}

/// What a table keeps of each item.
pub trait Keyed {
    fn id(&self) -> &str;
    fn workspace_id(&self) -> &str;
    fn created_at(&self) -> Timestamp;
}

macro_rules! keyed {
    ($($t:ty),+) => {$(
        impl Keyed for $t {
            fn id(&self) -> &str { &self.id }
            fn workspace_id(&self) -> &str { &self.workspace_id }
            fn created_at(&self) -> Timestamp { self.created_at }
        }
    )+};
}
keyed!(Workflow, WorkflowRun, Subscription);

impl<T: Keyed> Table<T> {
    pub fn get(&self, workspace_id: &str, id: &str) -> Option<&T> {
        self.by_id
            .get(id)
            .filter(|t| t.workspace_id() == workspace_id)
    }

    pub fn get_mut(&mut self, workspace_id: &str, id: &str) -> Option<&mut T> {
        self.by_id
            .get_mut(id)
            .filter(|t| t.workspace_id() == workspace_id)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// The caller checked the id is new.
    pub fn insert(&mut self, item: T) {
        self.keys
            .entry(item.workspace_id().to_owned())
            .or_default()
            .insert((item.created_at().unix_nanos(), item.id().to_owned()));
        self.by_id.insert(item.id().to_owned(), item);
    }

    pub fn remove(&mut self, workspace_id: &str, id: &str) -> Option<T> {
        self.get(workspace_id, id)?;
        let item = self.by_id.remove(id)?;
        if let Some(keys) = self.keys.get_mut(workspace_id) {
            keys.remove(&(item.created_at().unix_nanos(), item.id().to_owned()));
        }
        Some(item)
    }

    /// Keeps only the items `keep` says to.
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        let gone: Vec<(String, String)> = self
            .by_id
            .values()
            .filter(|t| !keep(t))
            .map(|t| (t.workspace_id().to_owned(), t.id().to_owned()))
            .collect();
        for (workspace_id, id) in gone {
            self.remove(&workspace_id, &id);
        }
    }

    /// The workspace's keys, for pages.
    pub fn keys(&self, workspace_id: &str) -> Option<&Keys> {
        self.keys.get(workspace_id)
    }

    pub fn by_id(&self, id: &str) -> Option<&T> {
        self.by_id.get(id)
    }

    pub fn in_workspace<'a>(&'a self, workspace_id: &'a str) -> impl Iterator<Item = &'a T> + 'a {
        self.keys
            .get(workspace_id)
            .into_iter()
            .flatten()
            .filter_map(|(_, id)| self.by_id.get(id))
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.by_id.values()
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// Workflows, their runs and the webhook subscriptions of a store.
#[derive(Clone, Debug, Default)]
pub struct Workflows {
    pub workflows: Table<Workflow>,
    pub runs: Table<WorkflowRun>,
    pub subscriptions: Table<Subscription>,
    /// The workflow run each step's run (`pr_…`, `exr_…`, …) belongs to,
    /// while the step runs.
    pub by_target: FxHashMap<String, String>,
}

/// A page of `items` in `(time, id)` order, strictly after `after`, and
/// whether more follow: for the small lists kept here, sorted per request.
pub fn page_sorted<'a, T>(
    mut items: Vec<&'a T>,
    key: impl Fn(&T) -> (i64, &str),
    dir: crate::domain::SortDir,
    after: Option<&crate::domain::Position>,
    limit: usize,
) -> (Vec<&'a T>, bool) {
    use crate::domain::SortDir;
    items.sort_by(|a, b| {
        let order = key(a).cmp(&key(b));
        match dir {
            SortDir::Asc => order,
            SortDir::Desc => order.reverse(),
        }
    });
    let past = |item: &&T| match after {
        None => true,
        Some(at) => {
            let here = key(item);
            let there = (at.at_nanos, at.id.as_str());
            match dir {
                SortDir::Asc => here > there,
                SortDir::Desc => here < there,
            }
        }
    };
    super::keyset::take_page(items.into_iter().filter(past), limit)
}
