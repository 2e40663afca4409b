//! The request journal: what API requests arrived and how they were answered, for
//! test suites to assert on. Bounded: the oldest entries are dropped. It never
//! holds a bearer token, only the key's name. No HTTP types here.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;

use crate::domain::Timestamp;

/// What the auth step learned about the caller, for the journal.
#[derive(Clone, Debug, Default)]
pub struct CallerNote {
    pub key_name: Option<Arc<str>>,
    pub workspace_id: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    /// Arrival order since start-up; survives clears, so a test can tell entries apart.
    pub sequence: u64,
    pub time: Timestamp,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub status: u16,
    pub request_id: String,
    pub key_name: Option<Arc<str>>,
    pub workspace_id: Option<String>,
    pub duration_ms: f64,
    /// The request's body when it was JSON of at most `BODY_KEPT` bytes;
    /// served by `GET /_mock/requests/{requestId}` only.
    #[serde(skip)]
    pub request_body: Option<Bytes>,
    /// The answer's body, when at most `BODY_KEPT` bytes, for anything but
    /// a successful GET.
    #[serde(skip)]
    pub response_body: Option<Bytes>,
}

/// Largest body a journal entry keeps (of the request, of the answer).
pub const BODY_KEPT: usize = 64 * 1024;

/// Keys whose values the journal never keeps: a webhook endpoint's signing
/// secret is shown once, to its maker, and nowhere after (hostile-inputs F7).
pub const SECRET_KEYS: &[&str] = &["signingSecret"];

/// What is written in place of a secret.
pub const REDACTED: &str = "[redacted]";

/// `body` with the value of every `SECRET_KEYS` key, at any depth, replaced
/// by `REDACTED`. A body that names none (almost every one: a byte search
/// tells) is handed back untouched; one that is not JSON is not kept at all,
/// since what it hides cannot be found.
pub fn redact_secrets(body: Bytes) -> Option<Bytes> {
    let names = SECRET_KEYS
        .iter()
        .any(|key| memchr::memmem::find(&body, key.as_bytes()).is_some());
    if !names {
        return Some(body);
    }
    let mut value: serde_json::Value = serde_json::from_slice(&body).ok()?;
    redact_value(&mut value);
    serde_json::to_vec(&value).ok().map(Bytes::from)
}

fn redact_value(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, sub) in map.iter_mut() {
                if SECRET_KEYS.contains(&key.as_str()) {
                    *sub = serde_json::Value::String(REDACTED.into());
                } else {
                    redact_value(sub);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_value),
        _ => {}
    }
}

impl JournalEntry {
    pub fn new(
        method: String,
        path: String,
        query: Option<String>,
        status: u16,
        request_id: String,
        caller: CallerNote,
        took: Duration,
    ) -> Self {
        JournalEntry {
            sequence: 0,
            time: Timestamp::now(),
            method,
            path,
            query,
            status,
            request_id,
            key_name: caller.key_name,
            workspace_id: caller.workspace_id,
            // Whole microseconds as milliseconds: `1.234`, never `1.2340000000000002`.
            duration_ms: took.as_micros() as f64 / 1000.0,
            request_body: None,
            response_body: None,
        }
    }
}

/// Which entries `GET /_mock/requests` returns.
#[derive(Debug, Default)]
pub struct JournalFilter {
    pub method: Option<String>,
    pub path: Option<String>,
    pub status: Option<u16>,
    pub key_name: Option<String>,
    pub workspace_id: Option<String>,
    pub request_id: Option<String>,
}

impl JournalFilter {
    fn matches(&self, entry: &JournalEntry) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(&entry.method))
            && self.path.as_deref().is_none_or(|p| p == entry.path)
            && self.status.is_none_or(|s| s == entry.status)
            && self
                .key_name
                .as_deref()
                .is_none_or(|k| entry.key_name.as_deref() == Some(k))
            && self
                .workspace_id
                .as_deref()
                .is_none_or(|w| entry.workspace_id.as_deref() == Some(w))
            && self
                .request_id
                .as_deref()
                .is_none_or(|r| r == entry.request_id)
    }
}

pub struct Journal {
    entries: VecDeque<JournalEntry>,
    capacity: usize,
    next_sequence: u64,
    dropped: u64,
}

impl Journal {
    pub fn new(capacity: usize) -> Self {
        Journal {
            entries: VecDeque::with_capacity(capacity.min(4096)),
            capacity,
            next_sequence: 1,
            dropped: 0,
        }
    }

    pub fn push(&mut self, mut entry: JournalEntry) {
        if self.capacity == 0 {
            self.dropped += 1;
            return;
        }
        entry.sequence = self.next_sequence;
        self.next_sequence += 1;
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back(entry);
    }

    /// Empties the journal; returns how many entries it held.
    pub fn clear(&mut self) -> usize {
        let held = self.entries.len();
        self.entries.clear();
        self.dropped = 0;
        held
    }

    pub fn matching(&self, filter: &JournalFilter) -> Vec<JournalEntry> {
        self.entries
            .iter()
            .filter(|e| filter.matches(e))
            .cloned()
            .collect()
    }

    /// The entry of one request, by its id.
    pub fn by_request_id(&self, request_id: &str) -> Option<JournalEntry> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.request_id == request_id)
            .cloned()
    }

    /// Entries pushed out by the bound since the last clear.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> JournalEntry {
        JournalEntry::new(
            "GET".into(),
            path.into(),
            None,
            200,
            "req_x".into(),
            CallerNote::default(),
            Duration::ZERO,
        )
    }

    #[test]
    fn the_oldest_entries_are_dropped_at_the_bound() {
        let mut journal = Journal::new(3);
        for i in 0..5 {
            journal.push(entry(&format!("/{i}")));
        }
        let paths: Vec<_> = journal
            .matching(&JournalFilter::default())
            .into_iter()
            .map(|e| (e.sequence, e.path))
            .collect();
        assert_eq!(
            paths,
            [(3, "/2".into()), (4, "/3".into()), (5, "/4".into())]
        );
        assert_eq!(journal.dropped(), 2);
    }
}
