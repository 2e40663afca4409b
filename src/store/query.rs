//! Pages: a request's filters resolved against the store, a binary search
//! for the cursor in the narrowest list, then a walk that checks the rest.

use super::*;

/// The equality filters resolved against the store: ids as their numbers.
pub(super) struct Wanted<'a> {
    pub(super) status: Option<RunStatus>,
    pub(super) processor_id: Option<Sym>,
    pub(super) processor_type: Option<ProcessorType>,
    pub(super) family: Option<ProcessorType>,
    pub(super) source_id: Option<Sym>,
    pub(super) source: Option<RunSource>,
    /// Built once per request: a substring search set up for its needle.
    pub(super) file_name_contains: Option<Finder<'a>>,
}

impl Wanted<'_> {
    pub(super) fn index_keys(&self) -> impl Iterator<Item = FilterKey> {
        [
            self.status.map(FilterKey::Status),
            self.processor_id.map(FilterKey::ProcessorId),
            self.processor_type.map(FilterKey::Type),
            self.source_id.map(FilterKey::SourceId),
            self.source.map(FilterKey::Source),
        ]
        .into_iter()
        .flatten()
    }
}

impl Store {
    /// The filters with their ids as numbers, or `None` when an id filter names
    /// something no run has ever had (so nothing can match).
    pub(super) fn resolve<'a>(&self, filters: &'a Filters) -> Option<Wanted<'a>> {
        let number = |id: &Option<String>| -> Option<Option<Sym>> {
            match id {
                None => Some(None),
                Some(id) => self.symbols.get(id).map(Some),
            }
        };
        Some(Wanted {
            status: filters.status,
            processor_id: number(&filters.processor_id)?,
            processor_type: filters.processor_type,
            family: filters.family,
            source_id: number(&filters.source_id)?,
            source: filters.source,
            file_name_contains: filters.file_name_contains.as_deref().map(Finder::new),
        })
    }

    pub(super) fn matches(&self, wanted: &Wanted<'_>, run: &StoredRun) -> bool {
        let processor = &self.processors[run.processor as usize];
        wanted.status.is_none_or(|s| run.status == s)
            && wanted.source.is_none_or(|s| run.source == s)
            && wanted
                .processor_type
                .is_none_or(|t| processor.kind == Some(t))
            && wanted
                .family
                .is_none_or(|t| processor.kind.unwrap_or(ProcessorType::Extract) == t)
            && wanted.processor_id.is_none_or(|id| processor.id == id)
            && wanted.source_id.is_none_or(|id| run.source_id == id)
            && wanted.file_name_contains.as_ref().is_none_or(|needle| {
                needle
                    .find(self.rows().span(run.file_name_lower).as_bytes())
                    .is_some()
            })
    }

    /// One keyset page of a workspace's runs: a binary search for the cursor in
    /// the narrowest list, then a walk that checks the remaining filters.
    pub fn page(&self, workspace_id: &str, request: &PageRequest<'_>) -> Page<'_> {
        let mut page = Page {
            store: self,
            slots: Vec::new(),
            has_more: false,
        };
        let ws = self
            .symbols
            .get(workspace_id)
            .and_then(|number| self.workspaces.get(&number));
        let Some(ws) = ws else {
            return page;
        };
        let Some(wanted) = self.resolve(request.filters) else {
            return page;
        };
        let by = field(request.order.by);
        let Some(slots) = ws.indexes[by].narrowest(&wanted) else {
            return page;
        };
        let rows = self.rows();
        let key_of = |slot: u32| (rows.runs[slot as usize].at[by], rows.id(slot));
        // The part of the list after the cursor, in the request's direction.
        let window = match (request.order.dir, request.after) {
            (_, None) => slots.as_slice(),
            (SortDir::Asc, Some(after)) => {
                let cursor = (after.at_nanos, after.id.as_str());
                &slots[slots.partition_point(|&s| key_of(s) <= cursor)..]
            }
            (SortDir::Desc, Some(after)) => {
                let cursor = (after.at_nanos, after.id.as_str());
                &slots[..slots.partition_point(|&s| key_of(s) < cursor)]
            }
        };
        let (mut ascending, mut descending) = (window.iter(), window.iter().rev());
        let walk: &mut dyn Iterator<Item = &u32> = match request.order.dir {
            SortDir::Asc => &mut ascending,
            SortDir::Desc => &mut descending,
        };
        page.slots.reserve(request.limit.min(1024));
        for &slot in walk {
            if !self.matches(&wanted, &rows.runs[slot as usize]) {
                continue;
            }
            if page.slots.len() == request.limit {
                page.has_more = true;
                break;
            }
            page.slots.push(slot);
        }
        page
    }
}
