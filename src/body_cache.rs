//! The full runs written most recently, kept as finished response bodies.
//!
//! A client that polls one run (the common way to wait for a result) asks for
//! the same object again and again; deriving and writing it costs several times
//! what a page of summaries does. The cache is bounded (entries and bytes per
//! entry), holds nothing per stored run, and is emptied under the store's write
//! lock on every change, so it can never answer with a state the store no
//! longer has: entries are only added under the read lock.

use std::sync::Mutex;

use bytes::Bytes;
use rustc_hash::FxHashMap;

/// Most bodies kept; when full, the cache starts over.
const ENTRIES: usize = 512;
/// Bodies larger than this (a fixture's pinned output can be anything) are not kept.
const LARGEST_BODY: usize = 64 * 1024;

const POISONED: &str = "a thread panicked while holding the body cache";

#[derive(Default)]
pub struct BodyCache {
    bodies: Mutex<FxHashMap<Box<str>, Bytes>>,
}

impl BodyCache {
    pub fn get(&self, id: &str) -> Option<Bytes> {
        self.bodies.lock().expect(POISONED).get(id).cloned()
    }

    /// Call only while holding the store's read lock, with a body written from it.
    pub fn put(&self, id: &str, body: Bytes) {
        if body.len() > LARGEST_BODY {
            return;
        }
        let mut bodies = self.bodies.lock().expect(POISONED);
        if bodies.len() >= ENTRIES {
            bodies.clear();
        }
        bodies.insert(id.into(), body);
    }

    /// Call while holding the store's write lock.
    pub fn clear(&self) {
        self.bodies.lock().expect(POISONED).clear();
    }

    pub fn len(&self) -> usize {
        self.bodies.lock().expect(POISONED).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_in_entries_and_body_size() {
        let cache = BodyCache::default();
        for i in 0..ENTRIES {
            cache.put(&format!("run_{i}"), Bytes::from_static(b"{}"));
        }
        assert_eq!(cache.len(), ENTRIES);
        cache.put("one_more", Bytes::from_static(b"{}"));
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.get("one_more").as_deref(), Some(&b"{}"[..]));
        cache.put("huge", Bytes::from(vec![b' '; LARGEST_BODY + 1]));
        assert_eq!(cache.get("huge"), None);
        cache.clear();
        assert!(cache.is_empty());
    }
}
