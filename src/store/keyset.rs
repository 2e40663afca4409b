//! Keyset pages over a small ordered set of `(time, id)` keys: what the
//! catalogue and the files page with (runs have their own compact lists).

use std::collections::BTreeSet;
use std::ops::Bound;

use crate::domain::{Position, SortDir};

pub type Keys = BTreeSet<(i64, String)>;

/// The ids in `dir` order, strictly after `after`.
pub fn ids_after<'a>(
    keys: &'a Keys,
    dir: SortDir,
    after: Option<&Position>,
) -> Box<dyn Iterator<Item = &'a str> + 'a> {
    let after = after.map(|p| (p.at_nanos, p.id.clone()));
    let keys: Box<dyn Iterator<Item = &(i64, String)>> = match (dir, after) {
        (SortDir::Asc, Some(k)) => Box::new(keys.range((Bound::Excluded(k), Bound::Unbounded))),
        (SortDir::Asc, None) => Box::new(keys.iter()),
        (SortDir::Desc, Some(k)) => {
            Box::new(keys.range((Bound::Unbounded, Bound::Excluded(k))).rev())
        }
        (SortDir::Desc, None) => Box::new(keys.iter().rev()),
    };
    Box::new(keys.map(|(_, id)| id.as_str()))
}

/// The first `limit` items, and whether one more follows.
pub fn take_page<T>(mut items: impl Iterator<Item = T>, limit: usize) -> (Vec<T>, bool) {
    let page: Vec<T> = items.by_ref().take(limit).collect();
    let more = items.next().is_some();
    (page, more)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_continue_strictly_after_the_position_in_either_direction() {
        let keys: Keys = [(1, "a"), (2, "b"), (2, "c"), (3, "d")]
            .into_iter()
            .map(|(t, id)| (t, id.to_owned()))
            .collect();
        let at = Position {
            at_nanos: 2,
            id: "b".into(),
        };
        let asc: Vec<&str> = ids_after(&keys, SortDir::Asc, Some(&at)).collect();
        assert_eq!(asc, ["c", "d"]);
        let desc: Vec<&str> = ids_after(&keys, SortDir::Desc, Some(&at)).collect();
        assert_eq!(desc, ["a"]);
        let (page, more) = take_page(ids_after(&keys, SortDir::Desc, None), 3);
        assert_eq!((page, more), (vec!["d", "c", "b"], true));
    }
}
