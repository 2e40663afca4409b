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
    /// Finished deliveries in the order they finished: what `trim` drops.
    finished: VecDeque<u64>,
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
                (true, _) => {
                    delivery.finish(DeliveryState::Delivered, None);
                    inner.finished.push_back(ready.seq);
                }
                (false, Some(wait)) => {
                    delivery.due = Some(Instant::now() + wait);
                    delivery.next_attempt_at = Some(Timestamp::from_unix_nanos(
                        Timestamp::now().unix_nanos()
                            + i64::try_from(wait.as_nanos()).unwrap_or(i64::MAX),
                    ));
                }
                (false, None) => {
                    delivery.finish(DeliveryState::Failed, None);
                    inner.finished.push_back(ready.seq);
                }
            }
        }
        if delivered || retry_in.is_none() {
            inner.pop(&ready.endpoint_id, ready.seq);
            inner.trim();
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
            inner.finished.push_back(ready.seq);
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
        inner.finished.clear();
        inner.dropped = 0;
        before - inner.deliveries.len()
    }

    /// Ends every delivery still to be made, unsent, with `reason`.
    pub fn drop_pending(&self, reason: &str) {
        let mut guard = self.inner.lock().expect(POISONED);
        let inner = &mut *guard;
        inner.queues.clear();
        for delivery in inner.deliveries.values_mut() {
            if delivery.state == DeliveryState::Pending {
                delivery.finish(DeliveryState::Dropped, Some(reason.to_owned()));
                inner.finished.push_back(delivery.seq);
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

    /// Drops the deliveries that finished first while more than `KEPT`
    /// are kept; pending ones stay whatever their number.
    fn trim(&mut self) {
        while self.deliveries.len() > KEPT
            && let Some(seq) = self.finished.pop_front()
        {
            if self.deliveries.remove(&seq).is_some() {
                self.dropped += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(endpoint: &str, n: usize) -> Event {
        Event {
            endpoint_id: endpoint.into(),
            event_id: format!("evt_{n}"),
            event_type: EventType::ExtractRunProcessed,
            run_id: Some(format!("exr_{n}")),
            body: bytes::Bytes::from(format!("{{\"n\":{n}}}")),
        }
    }

    fn attempt() -> Attempt {
        Attempt {
            at: Timestamp::now(),
            url: "http://127.0.0.1/".into(),
            status: Some(200),
            error: None,
            duration_ms: 0.1,
        }
    }

    #[test]
    fn an_endpoint_sends_one_at_a_time_in_order_and_others_do_not_wait() {
        let outbox = Outbox::default();
        for n in 0..3 {
            outbox.push(event("wh_a", n), Timestamp::now(), None);
        }
        outbox.push(event("wh_b", 9), Timestamp::now(), None);
        let (ready, _) = outbox.take_ready(Instant::now());
        let mut heads: Vec<&str> = ready.iter().map(|r| r.endpoint_id.as_str()).collect();
        heads.sort();
        assert_eq!(heads, ["wh_a", "wh_b"]);
        let a = ready.iter().find(|r| r.endpoint_id == "wh_a").unwrap();
        assert_eq!(a.body, "{\"n\":0}");
        // Nothing more for wh_a while its head is on the wire or waits to retry.
        assert!(outbox.take_ready(Instant::now()).0.is_empty());
        outbox.attempted(
            a,
            attempt(),
            false,
            Some(std::time::Duration::from_secs(60)),
        );
        let (ready, next) = outbox.take_ready(Instant::now());
        assert!(ready.is_empty() && next.is_some());
        // Once it is over, the next in line.
        let retry = outbox
            .take_ready(Instant::now() + std::time::Duration::from_secs(61))
            .0;
        assert_eq!(retry[0].attempt, 2);
        outbox.attempted(&retry[0], attempt(), true, None);
        let next = outbox.take_ready(Instant::now()).0;
        assert_eq!(next[0].body, "{\"n\":1}");
    }

    #[test]
    fn finished_deliveries_are_bounded_and_pending_ones_never_dropped() {
        let outbox = Outbox::default();
        for n in 0..KEPT + 5 {
            outbox.push(event("wh_a", n), Timestamp::now(), None);
        }
        // All pending: all kept past the bound.
        assert_eq!(outbox.list(|_| true).0.len(), KEPT + 5);
        for _ in 0..10 {
            let ready = outbox.take_ready(Instant::now()).0;
            outbox.attempted(&ready[0], attempt(), true, None);
        }
        let (kept, dropped) = outbox.list(|_| true);
        assert_eq!((kept.len(), dropped), (KEPT, 5));
        assert_eq!(kept[0].id, "dlv_6");
    }
}
