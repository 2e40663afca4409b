//! The lifecycle of runs made through the API: one queue of the moments runs
//! finish, and one task that finishes them when their time comes. No task or
//! timer per run: a run in flight costs one queue entry (about 80 bytes), and
//! shutting down drops the queue without waiting for it.
//!
//! What a run becomes is decided when it is created: PROCESSED after the
//! processing time, or what a marker in its input asks for (see `Marker`).
//! The change is made under the store's write lock, and only if the run is
//! still `PROCESSING` in the same state it was created in: a run cancelled,
//! deleted or replaced (reset, new fixtures) in the meantime is left alone.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::domain::{JsonObject, RunStatus};
use crate::state::AppState;
use crate::store::RunChange;

const POISONED: &str = "a thread panicked while holding the lifecycle queue";

/// How a run ends when its time comes.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// With the output a rule pins, or (none) the one derived from its config.
    Processed {
        credits_thousandths: u64,
        output: Option<Arc<JsonObject>>,
    },
    Failed {
        reason: String,
        message: String,
    },
}

/// What the input of a run asks for, found in its file name, file URL or
/// raw text (like a payment sandbox's test card numbers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Marker {
    /// `__fail__` (no reason: the API's default for the run's view) or
    /// `__fail_<REASON>__`: FAILED, with that `failureReason`.
    Fail(Option<String>),
    /// `__hold__`: stays PROCESSING until cancelled, deleted or finished
    /// through the control plane.
    Hold,
    /// `__slow__`: takes ten times the processing time.
    Slow,
}

pub const DEFAULT_FAILURE: &str = "FILE_PARSING_ERROR";

/// What a bare `__fail__` ends a run made through the current API with:
/// the reason the SDKs document for a file that cannot be processed.
pub const CURRENT_DEFAULT_FAILURE: &str = "FAILED_TO_PROCESS_FILE";

/// The message a failure reason comes with.
pub fn failure_message(reason: &str) -> String {
    match reason {
        "FILE_PARSING_ERROR" => {
            "The file could not be parsed. It may be corrupted or password-protected.".into()
        }
        "PROCESSING_TIMEOUT" => "Processing did not finish within the time limit.".into(),
        "UNSUPPORTED_FILE_TYPE" => "The file type is not supported by this processor.".into(),
        "INTERNAL_ERROR" => "An internal error occurred while processing the document.".into(),
        "FAILED_TO_PROCESS_FILE" => {
            "The file could not be processed. It may be corrupted or password-protected.".into()
        }
        other => format!("The run failed: {other} (asked for by a marker in its input)."),
    }
}

impl Marker {
    /// The first marker in `text`, if any. Reasons are upper-case letters,
    /// digits and underscores.
    pub fn find(text: &str) -> Option<Marker> {
        if text.contains("__hold__") {
            return Some(Marker::Hold);
        }
        if let Some(at) = text.find("__fail") {
            let rest = &text[at + "__fail".len()..];
            if rest.starts_with("__") {
                return Some(Marker::Fail(None));
            }
            if let Some(reason) = rest.strip_prefix('_')
                && let Some(end) = reason.find("__")
            {
                let reason = &reason[..end];
                if !reason.is_empty()
                    && reason
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
                {
                    return Some(Marker::Fail(Some(reason.into())));
                }
            }
        }
        if text.contains("__slow__") {
            return Some(Marker::Slow);
        }
        None
    }
}

#[derive(Debug)]
struct Entry {
    due: Instant,
    /// Ties keep the order runs were made in.
    seq: u64,
    epoch: u64,
    workspace_id: String,
    run_id: String,
    outcome: Outcome,
    /// Which kind of run it is.
    track: Track,
}

/// The kinds of runs the lifecycle ends, each kept where its family keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Track {
    Processor,
    Parse,
    /// Edit and form detection runs.
    Form,
}

/// Entries order by due time, then by the order they were scheduled in.
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.due, self.seq).cmp(&(other.due, other.seq))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Entry {}

#[derive(Default)]
pub struct Lifecycle {
    queue: Mutex<(BinaryHeap<Reverse<Entry>>, u64)>,
    /// Runs the control plane holds: their time comes and goes.
    held: Mutex<std::collections::HashSet<String>>,
    wake: Notify,
    /// Woken after each batch of finished runs, for `sync` requests.
    finished: Notify,
}

impl Lifecycle {
    /// Runs waiting for their time.
    pub fn in_flight(&self) -> usize {
        self.queue.lock().expect(POISONED).0.len()
    }

    /// Schedules a run to end as `outcome` after `delay`. `epoch` is the
    /// store's at creation, so a reset in between leaves the run alone.
    pub fn schedule(
        &self,
        epoch: u64,
        workspace_id: &str,
        run_id: &str,
        delay: Duration,
        outcome: Outcome,
    ) {
        self.push(
            epoch,
            workspace_id,
            run_id,
            delay,
            outcome,
            Track::Processor,
        );
    }

    /// `schedule`, for a parse run.
    pub fn schedule_parse(
        &self,
        epoch: u64,
        workspace_id: &str,
        run_id: &str,
        delay: Duration,
        outcome: Outcome,
    ) {
        self.push(epoch, workspace_id, run_id, delay, outcome, Track::Parse);
    }

    /// `schedule`, for an edit or form detection run.
    pub fn schedule_form(
        &self,
        epoch: u64,
        workspace_id: &str,
        run_id: &str,
        delay: Duration,
        outcome: Outcome,
    ) {
        self.push(epoch, workspace_id, run_id, delay, outcome, Track::Form);
    }

    fn push(
        &self,
        epoch: u64,
        workspace_id: &str,
        run_id: &str,
        delay: Duration,
        outcome: Outcome,
        track: Track,
    ) {
        let mut queue = self.queue.lock().expect(POISONED);
        queue.1 += 1;
        let seq = queue.1;
        queue.0.push(Reverse(Entry {
            due: Instant::now() + delay,
            seq,
            epoch,
            workspace_id: workspace_id.to_owned(),
            run_id: run_id.to_owned(),
            outcome,
            track,
        }));
        drop(queue);
        self.wake.notify_one();
    }

    /// Drops every scheduled and held run (reset, new fixtures).
    pub fn clear(&self) {
        self.queue.lock().expect(POISONED).0.clear();
        self.held.lock().expect(POISONED).clear();
    }

    /// Keeps a run `PROCESSING` past its time, until it is ended otherwise.
    pub fn hold(&self, run_id: &str) {
        self.held.lock().expect(POISONED).insert(run_id.to_owned());
    }

    pub fn is_held(&self, run_id: &str) -> bool {
        self.held.lock().expect(POISONED).contains(run_id)
    }

    /// Waits until `done` says so or `deadline` passes. `done` is asked after
    /// registering for the next wake-up, so an end in between is not missed.
    pub async fn wait_until(&self, deadline: Instant, mut done: impl FnMut() -> bool) {
        loop {
            let notified = self.finished.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if done() || Instant::now() >= deadline {
                return;
            }
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
    }

    /// Wakes whoever waits on a run's end: after the lifecycle ends runs, and
    /// after any other change (a cancel, a delete, the control plane).
    pub fn notify_changed(&self) {
        self.finished.notify_waiters();
    }

    /// The entries due by `now`, and when the next one is.
    fn take_due(&self, now: Instant) -> (Vec<Entry>, Option<Instant>) {
        let mut queue = self.queue.lock().expect(POISONED);
        let mut due = Vec::new();
        while queue.0.peek().is_some_and(|Reverse(e)| e.due <= now) {
            let Reverse(entry) = queue.0.pop().expect("peeked");
            due.push(entry);
        }
        (due, queue.0.peek().map(|Reverse(e)| e.due))
    }
}

/// The one task that finishes runs. Runs until the server stops.
pub async fn drive(state: Arc<AppState>) {
    loop {
        let (mut due, next) = state.lifecycle.take_due(Instant::now());
        let forms: Vec<Entry> = due.extract_if(.., |e| e.track == Track::Form).collect();
        if !forms.is_empty() {
            let finished = state.finish_form_runs(
                forms
                    .into_iter()
                    .map(|e| (e.epoch, e.workspace_id, e.run_id, e.outcome)),
            );
            state.lifecycle.notify_changed();
            for (workspace_id, run_id) in finished {
                crate::webhooks::form_run_ended(&state, &workspace_id, &run_id);
            }
        }
        let parse: Vec<Entry> = due.extract_if(.., |e| e.track == Track::Parse).collect();
        if !parse.is_empty() {
            let finished = state.finish_parse_runs(
                parse
                    .into_iter()
                    .map(|e| (e.epoch, e.workspace_id, e.run_id, e.outcome)),
            );
            state.lifecycle.notify_changed();
            for (workspace_id, run_id) in finished {
                crate::webhooks::parse_run_ended(&state, &workspace_id, &run_id);
            }
        }
        if !due.is_empty() {
            let finished = state.finish_runs(due.into_iter().map(|e| {
                let change = match e.outcome {
                    Outcome::Processed {
                        credits_thousandths,
                        output,
                    } => RunChange {
                        status: Some(RunStatus::Processed),
                        credits: Some(credits_thousandths as f64 / 1000.0),
                        output: output.map(|o| JsonObject::clone(&o)),
                        ..RunChange::default()
                    },
                    Outcome::Failed { reason, message } => RunChange {
                        status: Some(RunStatus::Failed),
                        updated_at: None,
                        failure: Some((reason, message)),
                        ..RunChange::default()
                    },
                };
                (e.epoch, e.workspace_id, e.run_id, change)
            }));
            tracing::debug!(finished = finished.len(), "runs finished");
            state.lifecycle.notify_changed();
            for (workspace_id, run_id) in finished {
                crate::webhooks::run_ended(&state, &workspace_id, &run_id);
            }
        }
        let wake = state.lifecycle.wake.notified();
        match next {
            Some(at) => {
                let _ = tokio::time::timeout_at(at, wake).await;
            }
            None => wake.await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_found_where_they_are_meant() {
        assert_eq!(Marker::find("invoice.pdf"), None);
        assert_eq!(Marker::find("failed_invoices.pdf"), None);
        assert_eq!(Marker::find("scan__fail__.pdf"), Some(Marker::Fail(None)));
        assert_eq!(
            Marker::find("https://x.test/a/__fail_PROCESSING_TIMEOUT__.pdf"),
            Some(Marker::Fail(Some("PROCESSING_TIMEOUT".into())))
        );
        assert_eq!(Marker::find("__fail_lower__"), None);
        assert_eq!(Marker::find("w2__hold__.pdf"), Some(Marker::Hold));
        assert_eq!(Marker::find("big__slow__.pdf"), Some(Marker::Slow));
    }

    #[tokio::test]
    async fn due_entries_come_out_in_time_order() {
        let lifecycle = Lifecycle::default();
        let done = Outcome::Processed {
            credits_thousandths: 1000,
            output: None,
        };
        lifecycle.schedule(0, "ws", "b", Duration::from_millis(0), done.clone());
        lifecycle.schedule(0, "ws", "a", Duration::from_millis(0), done.clone());
        lifecycle.schedule(0, "ws", "later", Duration::from_secs(60), done);
        assert_eq!(lifecycle.in_flight(), 3);
        let (due, next) = lifecycle.take_due(Instant::now());
        let ids: Vec<&str> = due.iter().map(|e| e.run_id.as_str()).collect();
        assert_eq!(ids, ["b", "a"], "ties keep the order of scheduling");
        assert!(next.is_some());
        lifecycle.clear();
        assert_eq!(lifecycle.in_flight(), 0);
    }
}
