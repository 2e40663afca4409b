//! The keyset indexes: per workspace and per sort field, slots in
//! `(sort value, id)` order, one list for all runs and one per
//! equality-filter value; built a batch at a time, kept in step one run at a
//! time when a run changes or goes.

use super::*;

/// One equality-filter value; ids by their `Symbols` number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum FilterKey {
    Status(RunStatus),
    Type(ProcessorType),
    Source(RunSource),
    ProcessorId(Sym),
    SourceId(Sym),
}

pub(super) fn field(by: SortBy) -> usize {
    match by {
        SortBy::CreatedAt => 0,
        SortBy::UpdatedAt => 1,
    }
}

/// A run's filter groups (at most five) as positions in a batch's group list;
/// `NO_GROUP` fills the rest. Twenty bytes a run while a batch is indexed.
pub(super) type GroupIds = [u32; 5];

pub(super) const NO_GROUP: u32 = u32::MAX;

/// Slots (indexes into `Store::runs`) in ascending `(sort value, id)` order.
/// Four bytes an entry: a run sits in about a dozen of these.
pub(super) type Slots = Vec<u32>;

/// Merges `new` (sorted) into `existing` (sorted). A few new slots are placed by
/// binary search; many are merged in one pass.
pub(super) fn merge_into(existing: &mut Slots, mut new: Slots, rows: Rows<'_>, by: usize) {
    if existing.is_empty() {
        // Most lists of a first load: take the new one as it is, no copy.
        new.shrink_to_fit();
        *existing = new;
    } else if new.len() <= 64 {
        for slot in new {
            let at = existing.partition_point(|&e| rows.compare(by, e, slot) == Ordering::Less);
            existing.insert(at, slot);
        }
    } else {
        let mut merged = Vec::with_capacity(existing.len() + new.len());
        let (mut i, mut j) = (0, 0);
        while i < existing.len() && j < new.len() {
            if rows.compare(by, existing[i], new[j]) == Ordering::Less {
                merged.push(existing[i]);
                i += 1;
            } else {
                merged.push(new[j]);
                j += 1;
            }
        }
        merged.extend_from_slice(&existing[i..]);
        merged.extend_from_slice(&new[j..]);
        *existing = merged;
    }
}

#[derive(Default)]
pub(super) struct SortIndex {
    pub(super) all: Slots,
    pub(super) by_filter: FxHashMap<FilterKey, Slots>,
}

impl SortIndex {
    /// Adds slots already sorted under this index's field. `group_of` gives
    /// each slot's filter groups as positions in `groups`, worked out once per
    /// batch for both fields, so no key is hashed per run here; `sizes` says
    /// how many slots each group gets, so each list is allocated once, exactly.
    pub(super) fn add_sorted(
        &mut self,
        sorted: Slots,
        groups: &[FilterKey],
        sizes: &[usize],
        group_of: impl Fn(u32) -> GroupIds,
        rows: Rows<'_>,
        by: usize,
    ) {
        let mut lists: Vec<Slots> = sizes.iter().map(|&n| Vec::with_capacity(n)).collect();
        for &slot in &sorted {
            for group in group_of(slot).into_iter().take_while(|&g| g != NO_GROUP) {
                lists[group as usize].push(slot);
            }
        }
        merge_into(&mut self.all, sorted, rows, by);
        for (key, slots) in groups.iter().zip(lists) {
            if !slots.is_empty() {
                merge_into(self.by_filter.entry(*key).or_default(), slots, rows, by);
            }
        }
    }

    /// The smallest list that holds every run the filters can match, or `None`
    /// when some equality filter has no run at all.
    pub(super) fn narrowest(&self, wanted: &Wanted<'_>) -> Option<&Slots> {
        let mut best = &self.all;
        for key in wanted.index_keys() {
            let slots = self.by_filter.get(&key)?;
            if slots.len() < best.len() {
                best = slots;
            }
        }
        Some(best)
    }
}

/// Batches at least this big index their two sort orders in parallel.
pub(super) const PARALLEL_INDEXING: usize = 16_384;

/// One workspace's share of a batch of new runs, ready to be indexed.
pub(super) struct Batch<'a> {
    /// The workspace's new slots, in the order added.
    pub(super) slots: &'a [u32],
    /// The batch's first slot: `group_ids[slot - first]` is a slot's groups.
    pub(super) first: usize,
    pub(super) groups: &'a [FilterKey],
    pub(super) group_ids: &'a [GroupIds],
    /// How many of `slots` each group holds: the same for both sort fields.
    pub(super) sizes: Vec<usize>,
    pub(super) rows: Rows<'a>,
}

impl<'a> Batch<'a> {
    pub(super) fn new(
        slots: &'a [u32],
        first: usize,
        groups: &'a [FilterKey],
        group_ids: &'a [GroupIds],
        rows: Rows<'a>,
    ) -> Self {
        // Counted in slot order, which reads `group_ids` front to back.
        let mut sizes = vec![0; groups.len()];
        for &slot in slots {
            let ids = group_ids[slot as usize - first];
            for group in ids.into_iter().take_while(|&g| g != NO_GROUP) {
                sizes[group as usize] += 1;
            }
        }
        Batch {
            slots,
            first,
            groups,
            group_ids,
            sizes,
            rows,
        }
    }

    /// Sorts the slots under field `by` and adds them to `index`.
    pub(super) fn index(&self, index: &mut SortIndex, by: usize) {
        let rows = self.rows;
        // Sort on the time held inline; look at ids only where times tie.
        let mut keyed: Vec<(i64, u32)> = self
            .slots
            .iter()
            .map(|&slot| (rows.runs[slot as usize].at[by], slot))
            .collect();
        keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| rows.id(a.1).cmp(rows.id(b.1))));
        let sorted: Slots = keyed.into_iter().map(|(_, slot)| slot).collect();
        let group_of = |slot: u32| self.group_ids[slot as usize - self.first];
        index.add_sorted(sorted, self.groups, &self.sizes, group_of, rows, by);
    }
}

#[derive(Default)]
pub(super) struct WorkspaceRuns {
    /// `[createdAt, updatedAt]`, as `field` numbers them.
    pub(super) indexes: [SortIndex; 2],
}

impl Store {
    /// Indexes the runs from slot `first` on.
    pub(super) fn index_from(&mut self, first: usize) {
        let rows = Rows {
            runs: &self.runs,
            text: &self.text,
        };
        let new = &self.runs[first..];
        // Each new run's filter groups, numbered once for the whole batch by
        // looking the value up in a table (enums by variant, ids by symbol
        // number): no hashing per run.
        let mut groups: Vec<FilterKey> = Vec::new();
        let mut number = |key: FilterKey, known: &mut u32| {
            if *known == NO_GROUP {
                *known = groups.len() as u32;
                groups.push(key);
            }
            *known
        };
        let mut by_status = [NO_GROUP; RunStatus::ALL.len()];
        let mut by_source = [NO_GROUP; RunSource::ALL.len()];
        let mut by_type = [NO_GROUP; ProcessorType::ALL.len()];
        // `[processorId, sourceId]` group of each symbol.
        let mut by_symbol = vec![[NO_GROUP; 2]; self.symbols.texts.len()];
        let group_ids: Vec<GroupIds> = new
            .iter()
            .map(|run| {
                let processor = &self.processors[run.processor as usize];
                let mut ids = [NO_GROUP; 5];
                ids[0] = number(
                    FilterKey::Status(run.status),
                    &mut by_status[run.status as usize],
                );
                ids[1] = number(
                    FilterKey::Source(run.source),
                    &mut by_source[run.source as usize],
                );
                ids[2] = number(
                    FilterKey::ProcessorId(processor.id),
                    &mut by_symbol[processor.id as usize][0],
                );
                let mut next = 3;
                if let Some(kind) = processor.kind {
                    ids[next] = number(FilterKey::Type(kind), &mut by_type[kind as usize]);
                    next += 1;
                }
                if run.source_id != NO_SYM {
                    ids[next] = number(
                        FilterKey::SourceId(run.source_id),
                        &mut by_symbol[run.source_id as usize][1],
                    );
                }
                ids
            })
            .collect();
        let mut per_workspace: FxHashMap<Sym, Slots> = FxHashMap::default();
        for (offset, entry) in new.iter().enumerate() {
            per_workspace
                .entry(entry.workspace)
                .or_default()
                .push((first + offset) as u32);
        }
        for (workspace, slots) in per_workspace {
            let ws = self.workspaces.entry(workspace).or_default();
            let [created, updated] = &mut ws.indexes;
            let batch = Batch::new(&slots, first, &groups, &group_ids, rows);
            // The two sort orders share nothing mutable: a big batch indexes
            // them on two threads. A small one is not worth a thread.
            if slots.len() >= PARALLEL_INDEXING {
                std::thread::scope(|scope| {
                    scope.spawn(|| batch.index(created, 0));
                    batch.index(updated, 1);
                });
            } else {
                batch.index(created, 0);
                batch.index(updated, 1);
            }
        }
    }

    /// The equality-filter lists a run belongs in.
    pub(super) fn filter_keys(&self, slot: u32) -> impl Iterator<Item = FilterKey> {
        let run = &self.runs[slot as usize];
        let processor = &self.processors[run.processor as usize];
        [
            Some(FilterKey::Status(run.status)),
            Some(FilterKey::Source(run.source)),
            Some(FilterKey::ProcessorId(processor.id)),
            processor.kind.map(FilterKey::Type),
            (run.source_id != NO_SYM).then_some(FilterKey::SourceId(run.source_id)),
        ]
        .into_iter()
        .flatten()
    }

    /// The workspace a run is indexed under and the filter lists it is in,
    /// copied out so that the lists can be changed.
    fn placement(&self, slot: u32) -> (Sym, Vec<FilterKey>) {
        (
            self.runs[slot as usize].workspace,
            self.filter_keys(slot).collect(),
        )
    }

    /// Takes one run out of its workspace's lists, each found by its key and
    /// the run by binary search.
    pub(super) fn unindex(&mut self, slot: u32) {
        let (workspace, keys) = self.placement(slot);
        let rows = Rows {
            runs: &self.runs,
            text: &self.text,
        };
        let Some(ws) = self.workspaces.get_mut(&workspace) else {
            return;
        };
        let take_out = |slots: &mut Slots, by: usize| {
            let at = position(slots, slot, rows, by);
            if slots.get(at) == Some(&slot) {
                slots.remove(at);
            }
        };
        for (by, index) in ws.indexes.iter_mut().enumerate() {
            take_out(&mut index.all, by);
            for key in &keys {
                if let Some(slots) = index.by_filter.get_mut(key) {
                    take_out(slots, by);
                }
            }
        }
    }

    /// Puts one run into its workspace's lists at its place.
    pub(super) fn index_one(&mut self, slot: u32) {
        let (workspace, keys) = self.placement(slot);
        let rows = Rows {
            runs: &self.runs,
            text: &self.text,
        };
        let ws = self.workspaces.entry(workspace).or_default();
        for (by, index) in ws.indexes.iter_mut().enumerate() {
            let at = position(&index.all, slot, rows, by);
            index.all.insert(at, slot);
            for key in &keys {
                let slots = index.by_filter.entry(*key).or_default();
                slots.insert(position(slots, slot, rows, by), slot);
            }
        }
    }
}

/// Where `slot` stands, or would stand, in a list sorted under field `by`.
fn position(slots: &Slots, slot: u32, rows: Rows<'_>, by: usize) -> usize {
    slots.partition_point(|&e| rows.compare(by, e, slot) == Ordering::Less)
}
