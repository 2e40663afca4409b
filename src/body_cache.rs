//! Response bodies written most recently: full runs, and list pages.
//!
//! A client that polls one run (the common way to wait for a result) asks for
//! the same object again and again; deriving and writing it costs several times
//! what a page of summaries does. A client waiting for a run to appear, or a
//! dashboard, asks for the same page again and again, and a page of the current
//! API's runs is three times the bytes of the legacy page. The cache is bounded (entries and bytes per
//! entry), holds nothing per stored run, and is emptied under the store's write
//! lock on every change, so it can never answer with a state the store no
//! longer has: entries are only added under the read lock.

use std::sync::Mutex;

use bytes::Bytes;
use rustc_hash::FxHashMap;

/// Queries longer than this are answered but not kept (a key is the query).
const LONGEST_QUERY: usize = 512;

/// The key of a list's page: the workspace, the list and the raw query,
/// which is all a page's bytes depend on besides the store. `None` for a
/// query too long to be worth keeping.
pub fn page_key(workspace: &str, list: &str, query: Option<&str>) -> Option<String> {
    let query = query.unwrap_or("");
    (query.len() <= LONGEST_QUERY).then(|| format!("{workspace} {list}?{query}"))
}

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
