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

/// Finished deliveries kept for the control plane; older ones are forgotten
/// (and counted). Deliveries still to be made are bounded on their own
/// (`Outbox::new`).
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
    /// Deliveries waiting (state `Pending`), and the most that may wait.
    pending: usize,
    /// The waiting ones, oldest first; entries that stopped waiting are
    /// skipped and removed by `make_room` as it meets them.
    waiting: VecDeque<u64>,
    max_pending: usize,
    /// Waiting deliveries dropped to make room for newer ones.
    overflowed: u64,
}

pub struct Outbox {
    inner: Mutex<Inner>,
    /// Wakes the sender: a delivery was queued or finished.
    pub wake: Notify,
}

/// Why a waiting delivery was dropped for a newer one.
pub const OVERFLOW_REASON: &str = "more deliveries were waiting than --webhook-max-pending allows; \
    the oldest waiting one was dropped to make room";

/// What the control plane's deliveries list answers besides the page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Finished deliveries forgotten past `KEPT`.
    pub forgotten: u64,
    /// Waiting now.
    pub pending: usize,
    /// Waiting ones dropped for newer ones (`--webhook-max-pending`).
    pub overflowed: u64,
}

/// What the sender needs for one attempt.
pub struct Ready {
    pub seq: u64,
    pub endpoint_id: String,
    pub body: bytes::Bytes,
    pub attempt: usize,
}

impl Outbox {
    /// An outbox where at most `max_pending` deliveries wait at once: past
    /// it, the oldest waiting one that is not on the wire is dropped
    /// (hostile-inputs F4: 50 endpoints that never answer and 5,000 runs
    /// once held 250,400 deliveries).
    pub fn new(max_pending: usize) -> Self {
        Outbox {
            inner: Mutex::new(Inner {
                max_pending: max_pending.max(1),
                ..Inner::default()
            }),
            wake: Notify::new(),
        }
    }

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
        inner.pending += 1;
        inner.waiting.push_back(seq);
        inner.make_room();
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
            if delivery.state != DeliveryState::Pending {
                // Dropped while on the wire (a reset, the bound): the
                // attempt is on its record, its end stays as it was.
                drop(inner);
                self.wake.notify_one();
                return;
            }
            let was_pending = true;
            match (delivered, retry_in) {
                (true, _) => {
                    delivery.finish(DeliveryState::Delivered, None);
                    inner.finished.push_back(ready.seq);
                    inner.pending -= usize::from(was_pending);
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
                    inner.pending -= usize::from(was_pending);
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
        if let Some(delivery) = inner.deliveries.get_mut(&ready.seq)
            && delivery.state == DeliveryState::Pending
        {
            delivery.finish(DeliveryState::Dropped, Some(reason));
            inner.finished.push_back(ready.seq);
            inner.pending -= 1;
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

    /// One page of the deliveries kept, oldest first, that `keep` accepts:
    /// at most `limit` of them after the one numbered `after`; whether more
    /// follow; and the counts.
    pub fn page(
        &self,
        keep: impl Fn(&Delivery) -> bool,
        after: u64,
        limit: usize,
    ) -> (Vec<Delivery>, bool, Counts) {
        let inner = self.inner.lock().expect(POISONED);
        let mut matching = inner
            .deliveries
            .range(after.saturating_add(1)..)
            .map(|(_, d)| d)
            .filter(|d| keep(d));
        let page: Vec<Delivery> = matching.by_ref().take(limit).cloned().collect();
        let more = matching.next().is_some();
        let counts = Counts {
            forgotten: inner.dropped,
            pending: inner.pending,
            overflowed: inner.overflowed,
        };
        (page, more, counts)
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
        inner.overflowed = 0;
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
        inner.pending = 0;
        inner.waiting.clear();
    }

    /// Forgets everything, pending deliveries too (a state reset: their
    /// endpoints are gone). An attempt on the wire finishes unrecorded.
    pub fn clear(&self) -> usize {
        let mut inner = self.inner.lock().expect(POISONED);
        let count = inner.deliveries.len();
        let next_seq = inner.next_seq;
        let sending = std::mem::take(&mut inner.sending);
        let max_pending = inner.max_pending;
        *inner = Inner {
            next_seq,
            sending,
            max_pending,
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

    /// Drops the oldest waiting deliveries that are not on the wire while
    /// more than `max_pending` wait. Deliveries are numbered in the order
    /// they were made, so the first pending one met is the oldest.
    fn make_room(&mut self) {
        let deliveries = &self.deliveries;
        let still_waiting = |seq: &u64| {
            deliveries
                .get(seq)
                .is_some_and(|d| d.state == DeliveryState::Pending)
        };
        while self.waiting.front().is_some_and(|seq| !still_waiting(seq)) {
            self.waiting.pop_front();
        }
        if self.waiting.len() > 2 * self.pending + 64 {
            self.waiting.retain(still_waiting);
        }
        let mut at = 0;
        while self.pending > self.max_pending && at < self.waiting.len() {
            let seq = self.waiting[at];
            let Some(delivery) = self.deliveries.get_mut(&seq) else {
                self.waiting.remove(at);
                continue;
            };
            if delivery.state != DeliveryState::Pending {
                self.waiting.remove(at);
                continue;
            }
            let on_wire = self.sending.contains(&delivery.endpoint_id)
                && self
                    .queues
                    .get(&delivery.endpoint_id)
                    .and_then(|q| q.front())
                    == Some(&seq);
            if on_wire {
                at += 1;
                continue;
            }
            delivery.finish(DeliveryState::Dropped, Some(OVERFLOW_REASON.to_owned()));
            if let Some(queue) = self.queues.get_mut(&delivery.endpoint_id) {
                queue.retain(|s| *s != seq);
            }
            self.waiting.remove(at);
            self.finished.push_back(seq);
            self.pending -= 1;
            self.overflowed += 1;
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

    fn all(outbox: &Outbox) -> (Vec<Delivery>, u64) {
        let (page, more, counts) = outbox.page(|_| true, 0, usize::MAX);
        assert!(!more);
        (page, counts.forgotten)
    }

    #[test]
    fn past_the_bound_the_oldest_waiting_delivery_is_dropped_but_not_one_on_the_wire() {
        let outbox = Outbox::new(3);
        outbox.push(event("wh_a", 0), Timestamp::now(), None);
        // wh_a's head goes on the wire: it may not be dropped under the sender.
        let on_wire = outbox.take_ready(Instant::now()).0;
        assert_eq!(on_wire[0].seq, 1);
        for n in 1..6 {
            outbox.push(
                event(if n % 2 == 0 { "wh_a" } else { "wh_b" }, n),
                Timestamp::now(),
                None,
            );
        }
        let (page, more, counts) = outbox.page(|_| true, 0, 100);
        assert!(!more);
        let states: Vec<(&str, DeliveryState)> =
            page.iter().map(|d| (d.id.as_str(), d.state)).collect();
        use DeliveryState::{Dropped, Pending};
        assert_eq!(
            states,
            [
                ("dlv_1", Pending),
                ("dlv_2", Dropped),
                ("dlv_3", Dropped),
                ("dlv_4", Dropped),
                ("dlv_5", Pending),
                ("dlv_6", Pending),
            ]
        );
        assert_eq!(page[1].reason.as_deref(), Some(OVERFLOW_REASON));
        assert_eq!((counts.pending, counts.overflowed), (3, 3));
        // The dropped ones left their queues: wh_b sends dlv_6 next.
        let ready = outbox.take_ready(Instant::now()).0;
        assert_eq!(ready.iter().map(|r| r.seq).collect::<Vec<_>>(), [6]);
        // Pages: two at a time, after the last id of the page before.
        let (first, more, _) = outbox.page(|_| true, 0, 2);
        assert!(more);
        let (second, _, _) = outbox.page(|_| true, first[1].seq, 2);
        assert_eq!(second[0].id, "dlv_3");
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
        let outbox = Outbox::new(1_000_000);
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
        let outbox = Outbox::new(1_000_000);
        for n in 0..KEPT + 5 {
            outbox.push(event("wh_a", n), Timestamp::now(), None);
        }
        // All pending: all kept past the bound.
        assert_eq!(all(&outbox).0.len(), KEPT + 5);
        for _ in 0..10 {
            let ready = outbox.take_ready(Instant::now()).0;
            outbox.attempted(&ready[0], attempt(), true, None);
        }
        let (kept, dropped) = all(&outbox);
        assert_eq!((kept.len(), dropped), (KEPT, 5));
        assert_eq!(kept[0].id, "dlv_6");
    }
}
