//! Webhooks: the events a run's end makes (`events.rs`), the deliveries
//! each sandbox keeps and queues per endpoint (`outbox.rs`), and the task
//! that sends them, signed, with retries (`deliver.rs`). The endpoints
//! themselves live in the store (`/webhook_endpoints`, fixtures).

pub mod deliver;
pub mod events;
pub mod outbox;

pub use deliver::{SIGNATURE_HEADER, TIMESTAMP_HEADER, drive, signature};
pub use outbox::{Delivery, DeliveryState, Outbox};

use crate::state::AppState;

/// Queues the events of a run that just ended (PROCESSED or FAILED) for
/// every endpoint of its workspace that takes them, after its workflow run
/// (if a step made it) has gone on. Returns how many.
pub fn run_ended(state: &AppState, workspace_id: &str, run_id: &str) -> usize {
    crate::families::workflow_engine::step_ended(state, workspace_id, run_id);
    let mut events = events::run_end(state, workspace_id, run_id, None);
    events.extend(events::batch_end(state, workspace_id, run_id));
    let count = events.len();
    for event in events {
        state.webhooks.push(event, state.now(), None);
    }
    count
}

/// A parse run ended (PROCESSED or FAILED): its events (see
/// `events::parse_run_end`), and its batch's if it was the last.
pub fn parse_run_ended(state: &AppState, workspace_id: &str, run_id: &str) -> usize {
    crate::families::workflow_engine::step_ended(state, workspace_id, run_id);
    let mut events = events::parse_run_end(state, workspace_id, run_id);
    events.extend(events::parse_batch_end(state, workspace_id, run_id));
    let count = events.len();
    for event in events {
        state.webhooks.push(event, state.now(), None);
    }
    count
}

/// An edit or form detection run ended: `edit_run.*` or
/// `form_detection_run.*` with the full run (see `events::form_run_end`).
pub fn form_run_ended(state: &AppState, workspace_id: &str, run_id: &str) -> usize {
    let events = events::form_run_end(state, workspace_id, run_id);
    let count = events.len();
    for event in events {
        state.webhooks.push(event, state.now(), None);
    }
    count
}

/// A parse run was cancelled: it may have been the last of its batch.
pub fn parse_run_cancelled(state: &AppState, workspace_id: &str, run_id: &str) {
    crate::families::workflow_engine::step_ended(state, workspace_id, run_id);
    for event in events::parse_batch_end(state, workspace_id, run_id) {
        state.webhooks.push(event, state.now(), None);
    }
}

/// A run of a batch was deleted: the batch may have ended with it.
pub fn batch_run_removed(state: &AppState, workspace_id: &str, batch_id: &str) {
    let event_type = match state.store().batch(workspace_id, batch_id) {
        Some(batch) if batch.kind.is_none() => crate::domain::EventType::BatchParseRunProcessed,
        Some(_) => crate::domain::EventType::BatchProcessorRunProcessed,
        None => return,
    };
    for event in events::announce_batch(state, workspace_id, batch_id, event_type) {
        state.webhooks.push(event, state.now(), None);
    }
}

/// A run was cancelled: it sends no event of its own, but it may have been
/// the last of its batch to end.
pub fn run_cancelled(state: &AppState, workspace_id: &str, run_id: &str) {
    crate::families::workflow_engine::step_ended(state, workspace_id, run_id);
    for event in events::batch_end(state, workspace_id, run_id) {
        state.webhooks.push(event, state.now(), None);
    }
}
