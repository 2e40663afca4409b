//! Every delivery a sandbox made or will make, and the queue of each
//! endpoint. An endpoint's deliveries go one at a time in the order they
//! were made (so the events of a run arrive in order); a delivery waiting
//! for its retry holds the ones behind it. Endpoints do not wait for each
//! other. Nothing here does I/O: `deliver.rs` sends.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Mutex;

use serde::Serialize;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::events::Event;
use crate::domain::{EventType, Timestamp};

const POISONED: &str = "a thread panicked while holding the webhook outbox";

/// Finished deliveries kept for the control plane; older ones are dropped
/// (and counted). Deliveries still to be made are never dropped.
pub const KEPT: usize = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// Waiting for its first attempt or for a retry.
    Pending,
    /// An attempt got a 2xx.
    Delivered,
    /// Every attempt failed.
    Failed,
    /// Not sent: its endpoint was deleted, disabled or reset away.
    Dropped,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub at: Timestamp,
    pub url: String,
    /// The receiver's status; none when it did not answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Why there was no answer (refused, timeout, address not allowed…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Whole microseconds, as milliseconds.
    pub duration_ms: f64,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// `dlv_` and a number, in the order deliveries were made.
    pub id: String,
    #[serde(skip)]
    pub seq: u64,
    pub event_id: String,
    pub event_type: EventType,
    pub endpoint_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    pub state: DeliveryState,
    /// Why it was dropped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub attempts: Vec<Attempt>,
    /// When the next attempt is due, while one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<Timestamp>,
    pub created_at: Timestamp,
    /// What a redelivery repeats, or `test` for a test event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redelivery_of: Option<String>,
    /// The body sent, exactly.
    #[serde(skip)]
    pub body: bytes::Bytes,
    #[serde(skip)]
    due: Option<Instant>,
}

#[derive(Default)]
struct Inner {
    deliveries: BTreeMap<u64, Delivery>,
    next_seq: u64,
    /// Each endpoint's deliveries still to be made, oldest first.
    queues: HashMap<String, VecDeque<u64>>,
    /// Endpoints with an attempt on the wire.
    sending: HashSet<String>,
    dropped: u64,
}

#[derive(Default)]
pub struct Outbox {
    inner: Mutex<Inner>,
    /// Wakes the sender: a delivery was queued or finished.
    pub wake: Notify,
}

/// What the sender needs for one attempt.
pub struct Ready {
    pub seq: u64,
    pub endpoint_id: String,
    pub body: bytes::Bytes,
    pub attempt: usize,
}

impl Outbox {
    /// Queues `event` behind its endpoint's earlier deliveries.
    pub fn push(&self, event: Event, now: Timestamp, redelivery_of: Option<String>) -> Delivery {
        let mut inner = self.inner.lock().expect(POISONED);
        inner.next_seq += 1;
        let seq = inner.next_seq;
        let delivery = Delivery {
            id: format!("dlv_{seq}"),
            seq,
            event_id: event.event_id,
            event_type: event.event_type,
            endpoint_id: event.endpoint_id.clone(),
            run_id: event.run_id,
            state: DeliveryState::Pending,
            reason: None,
            attempts: Vec::new(),
            next_attempt_at: Some(now),
            created_at: now,
            redelivery_of,
            body: event.body,
            due: Some(Instant::now()),
        };
        inner.deliveries.insert(seq, delivery.clone());
        inner
            .queues
            .entry(event.endpoint_id)
            .or_default()
            .push_back(seq);
        inner.trim();
        drop(inner);
        self.wake.notify_one();
        delivery
    }

    /// The heads of the queues that are due and not on the wire, marked as
    /// on the wire; and when the next head falls due.
    pub fn take_ready(&self, now: Instant) -> (Vec<Ready>, Option<Instant>) {
        let mut inner = self.inner.lock().expect(POISONED);
        let Inner {
            deliveries,
            queues,
            sending,
            ..
        } = &mut *inner;
        let mut ready = Vec::new();
        let mut next: Option<Instant> = None;
        queues.retain(|_, queue| !queue.is_empty());
        for (endpoint_id, queue) in queues.iter() {
            if sending.contains(endpoint_id) {
                continue;
            }
            let Some(head) = queue.front().and_then(|seq| deliveries.get(seq)) else {
                continue;
            };
            match head.due {
                Some(due) if due <= now => {
                    sending.insert(endpoint_id.clone());
                    ready.push(Ready {
                        seq: head.seq,
                        endpoint_id: endpoint_id.clone(),
                        body: head.body.clone(),
                        attempt: head.attempts.len() + 1,
                    });
                }
                Some(due) => next = Some(next.map_or(due, |n| n.min(due))),
                None => {}
            }
        }
        (ready, next)
    }

    /// Records an attempt. `retry_in`: when to try again (the delivery
    /// stays at its queue's head), or `None` when it is over.
    pub fn attempted(
        &self,
        ready: &Ready,
        attempt: Attempt,
        delivered: bool,
        retry_in: Option<std::time::Duration>,
    ) {
        let mut inner = self.inner.lock().expect(POISONED);
        inner.sending.remove(&ready.endpoint_id);
        if let Some(delivery) = inner.deliveries.get_mut(&ready.seq) {
            delivery.attempts.push(attempt);
            match (delivered, retry_in) {
                (true, _) => delivery.finish(DeliveryState::Delivered, None),
                (false, Some(wait)) => {
                    delivery.due = Some(Instant::now() + wait);
                    delivery.next_attempt_at = Some(Timestamp::from_unix_nanos(
                        Timestamp::now().unix_nanos()
                            + i64::try_from(wait.as_nanos()).unwrap_or(i64::MAX),
                    ));
                }
                (false, None) => delivery.finish(DeliveryState::Failed, None),
            }
        }
        if delivered || retry_in.is_none() {
            inner.pop(&ready.endpoint_id, ready.seq);
        }
        drop(inner);
        self.wake.notify_one();
    }

    /// Ends a delivery unsent (its endpoint is gone or disabled).
    pub fn drop_delivery(&self, ready: &Ready, reason: String) {
        let mut inner = self.inner.lock().expect(POISONED);
        inner.sending.remove(&ready.endpoint_id);
        if let Some(delivery) = inner.deliveries.get_mut(&ready.seq) {
            delivery.finish(DeliveryState::Dropped, Some(reason));
        }
        inner.pop(&ready.endpoint_id, ready.seq);
        drop(inner);
        self.wake.notify_one();
    }

    pub fn get(&self, id: &str) -> Option<Delivery> {
        let seq: u64 = id.strip_prefix("dlv_")?.parse().ok()?;
        self.inner
            .lock()
            .expect(POISONED)
            .deliveries
            .get(&seq)
            .cloned()
    }

    /// The deliveries kept, oldest first, that `keep` accepts; and how many
    /// finished ones were dropped to the bound.
    pub fn list(&self, keep: impl Fn(&Delivery) -> bool) -> (Vec<Delivery>, u64) {
        let inner = self.inner.lock().expect(POISONED);
        let list = inner
            .deliveries
            .values()
            .filter(|d| keep(d))
            .cloned()
            .collect();
        (list, inner.dropped)
    }

    /// Forgets finished deliveries; pending ones stay. How many went.
    pub fn clear_finished(&self) -> usize {
        let mut inner = self.inner.lock().expect(POISONED);
        let before = inner.deliveries.len();
        inner
            .deliveries
            .retain(|_, d| d.state == DeliveryState::Pending);
        inner.dropped = 0;
        before - inner.deliveries.len()
    }

    /// Ends every delivery still to be made, unsent, with `reason`.
    pub fn drop_pending(&self, reason: &str) {
        let mut inner = self.inner.lock().expect(POISONED);
        inner.queues.clear();
        for delivery in inner.deliveries.values_mut() {
            if delivery.state == DeliveryState::Pending {
                delivery.finish(DeliveryState::Dropped, Some(reason.to_owned()));
            }
        }
    }

    /// Forgets everything, pending deliveries too (a state reset: their
    /// endpoints are gone). An attempt on the wire finishes unrecorded.
    pub fn clear(&self) -> usize {
        let mut inner = self.inner.lock().expect(POISONED);
        let count = inner.deliveries.len();
        let next_seq = inner.next_seq;
        let sending = std::mem::take(&mut inner.sending);
        *inner = Inner {
            next_seq,
            sending,
            ..Inner::default()
        };
        count
    }
}

impl Delivery {
    fn finish(&mut self, state: DeliveryState, reason: Option<String>) {
        self.state = state;
        self.reason = reason;
        self.due = None;
        self.next_attempt_at = None;
    }
}

impl Inner {
    fn pop(&mut self, endpoint_id: &str, seq: u64) {
        if let Some(queue) = self.queues.get_mut(endpoint_id)
            && queue.front() == Some(&seq)
        {
            queue.pop_front();
        }
    }

    /// Drops the oldest finished deliveries past `KEPT`.
    fn trim(&mut self) {
        let excess = self.deliveries.len().saturating_sub(KEPT);
        if excess == 0 {
            return;
        }
        let finished: Vec<u64> = self
            .deliveries
            .values()
            .filter(|d| d.state != DeliveryState::Pending)
            .map(|d| d.seq)
            .take(excess)
            .collect();
        for seq in finished {
            self.deliveries.remove(&seq);
            self.dropped += 1;
        }
    }
}
