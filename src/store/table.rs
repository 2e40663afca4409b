//! The run table: fixed-size records, interned shared strings, one text
//! arena for ids and file names, and adding runs to it (checked, all or
//! nothing). The indexes over it are `index.rs`'s.

use super::*;

/// A repeated string's number in `Symbols`.
pub(super) type Sym = u32;

pub(super) const NO_SYM: Sym = Sym::MAX;

/// Strings many runs share (workspace, processor and source ids, processor
/// names and versions), each held once and referred to by number.
#[derive(Default)]
pub(super) struct Symbols {
    pub(super) texts: Vec<Arc<str>>,
    pub(super) numbers: FxHashMap<Arc<str>, Sym>,
}

impl Symbols {
    pub(super) fn intern(&mut self, text: &str) -> Sym {
        if let Some(&number) = self.numbers.get(text) {
            return number;
        }
        let number = Sym::try_from(self.texts.len()).expect("fewer than 4 billion strings");
        let shared: Arc<str> = Arc::from(text);
        self.texts.push(Arc::clone(&shared));
        self.numbers.insert(shared, number);
        number
    }

    pub(super) fn get(&self, text: &str) -> Option<Sym> {
        self.numbers.get(text).copied()
    }

    pub(super) fn text(&self, number: Sym) -> &str {
        &self.texts[number as usize]
    }
}

/// A processor version as runs name it: id, name, version and type. A workspace
/// has a few dozen, shared by all its runs.
pub(super) struct RunProcessor {
    pub(super) id: Sym,
    pub(super) name: Sym,
    pub(super) version: Sym,
    pub(super) kind: Option<ProcessorType>,
}

/// Where a run's own text (id, file name) sits in `Store::text`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Span {
    pub(super) start: u32,
    pub(super) len: u32,
}

/// A run as the store keeps it: fixed-size fields, numbers for shared strings,
/// spans into one text buffer. About 80 bytes, plus its text.
pub(super) struct StoredRun {
    /// Sort values as nanoseconds, `[createdAt, updatedAt]`.
    pub(super) at: [i64; 2],
    pub(super) credits: Option<f64>,
    pub(super) id: Span,
    pub(super) file_name: Span,
    /// `fileNameContains` is case-insensitive: lower-cased once, at insert. The
    /// same span as `file_name` when lower-casing changes nothing.
    pub(super) file_name_lower: Span,
    pub(super) workspace: Sym,
    pub(super) processor: u32,
    pub(super) source_id: Sym,
    pub(super) status: RunStatus,
    pub(super) source: RunSource,
    /// False once removed: the slot stays (indexes number runs by slot) but
    /// is in no index, no id look-up and no export.
    pub(super) live: bool,
}

/// What ordering slots needs: the runs' times and the text their ids are in.
#[derive(Clone, Copy)]
pub(super) struct Rows<'a> {
    pub(super) runs: &'a [StoredRun],
    pub(super) text: &'a str,
}

impl<'a> Rows<'a> {
    pub(super) fn span(&self, span: Span) -> &'a str {
        &self.text[span.start as usize..(span.start + span.len) as usize]
    }

    pub(super) fn id(&self, slot: u32) -> &'a str {
        self.span(self.runs[slot as usize].id)
    }

    /// The order of two slots under one sort field: time, then id.
    pub(super) fn compare(&self, by: usize, a: u32, b: u32) -> Ordering {
        let (x, y) = (&self.runs[a as usize], &self.runs[b as usize]);
        x.at[by]
            .cmp(&y.at[by])
            .then_with(|| self.id(a).cmp(self.id(b)))
    }
}

impl Store {
    /// Checks one run's fields against the store (ids are checked as they are
    /// added): the reason names the field at fault.
    pub(super) fn check_run(&self, run: &ProcessorRun) -> Result<(), StoreError> {
        if !self.workspace_orgs.contains_key(&run.workspace_id) {
            return Err(invalid(
                "workspaceId",
                format!("unknown workspace `{}`", run.workspace_id),
            ));
        }
        if run.updated_at < run.created_at {
            return Err(invalid(
                "updatedAt",
                format!(
                    "{} is earlier than createdAt {}",
                    run.updated_at.to_rfc3339(),
                    run.created_at.to_rfc3339()
                ),
            ));
        }
        for (field, value) in [
            ("processorId", Some(&run.processor_id)),
            ("processorVersionId", Some(&run.processor_version_id)),
            ("sourceId", run.source_id.as_ref()),
        ] {
            if let Some(value) = value {
                crate::domain::check_id(value).map_err(|e| invalid("", format!("{field} {e}")))?;
            }
        }
        Ok(())
    }

    /// Makes room for `coming` more runs, as `add_runs`'s iterator announces
    /// them (exactly, for the generator): growing a million-entry table by
    /// doubling would rehash it twenty times.
    pub(super) fn reserve_runs(&mut self, coming: usize) {
        self.runs.reserve(coming);
        self.text.reserve(coming * 48);
        let rows = Rows {
            runs: &self.runs,
            text: &self.text,
        };
        self.run_ids
            .reserve(coming, |&s| FxBuildHasher.hash_one(rows.id(s)));
    }

    /// Appends one run, unindexed. Strings it shares with other runs are
    /// interned; those stay even if the batch is rolled back (they are only
    /// names, and a filter on a name with no runs finds none).
    /// Adds a run that `check_run` has passed.
    pub(super) fn push_run(&mut self, run: ProcessorRun) -> Result<(), StoreError> {
        let slot = u32::try_from(self.runs.len())
            .ok()
            .filter(|&slot| slot < u32::MAX)
            .ok_or(StoreError::Full("the store holds at most 4 billion runs"))?;
        let hasher = FxBuildHasher;
        let hash = hasher.hash_one(run.id.as_str());
        let rows = Rows {
            runs: &self.runs,
            text: &self.text,
        };
        if self
            .run_ids
            .find(hash, |&s| rows.id(s) == run.id.as_str())
            .is_some()
        {
            return Err(StoreError::DuplicateRun(run.id.as_str().to_owned()));
        }
        let id = self.push_text(run.id.as_str())?;
        let file_name = self.push_text(&run.file_name)?;
        let file_name_lower = self.push_lower_case(&run.file_name, file_name)?;
        let processor = self.processor_number(&run);
        let stored = StoredRun {
            at: [run.created_at.unix_nanos(), run.updated_at.unix_nanos()],
            credits: run.usage.as_ref().map(|u| u.credits),
            id,
            file_name,
            file_name_lower,
            workspace: self.symbols.intern(&run.workspace_id),
            processor,
            source_id: run
                .source_id
                .as_deref()
                .map_or(NO_SYM, |s| self.symbols.intern(s)),
            status: run.status,
            source: run.source,
            live: true,
        };
        if !run.details.is_empty() {
            self.details.insert(slot, Box::new(run.details));
        }
        self.runs.push(stored);
        self.live_runs += 1;
        let rows = Rows {
            runs: &self.runs,
            text: &self.text,
        };
        self.run_ids
            .insert_unique(hash, slot, |&s| hasher.hash_one(rows.id(s)));
        Ok(())
    }

    pub(super) fn push_text(&mut self, text: &str) -> Result<Span, StoreError> {
        let start = u32::try_from(self.text.len()).ok();
        let end = u32::try_from(self.text.len() + text.len()).ok();
        let (Some(start), Some(_)) = (start, end) else {
            return Err(StoreError::Full(
                "the store holds at most 4 GiB of ids and file names",
            ));
        };
        self.text.push_str(text);
        Ok(Span {
            start,
            len: text.len() as u32,
        })
    }

    /// The span of a file name's lower-case form: `as_is` (the name's own span)
    /// when lower-casing changes nothing, else a copy lower-cased in the arena.
    /// ASCII, nearly every name, is lower-cased in place with no allocation.
    pub(super) fn push_lower_case(&mut self, name: &str, as_is: Span) -> Result<Span, StoreError> {
        if name.is_ascii() {
            if !name.bytes().any(|b| b.is_ascii_uppercase()) {
                return Ok(as_is);
            }
            let span = self.push_text(name)?;
            self.text[span.start as usize..].make_ascii_lowercase();
            return Ok(span);
        }
        let lower = name.to_lowercase();
        if lower == name {
            Ok(as_is)
        } else {
            self.push_text(&lower)
        }
    }

    /// The processor table's number for a run's processor, adding it if new.
    /// Found by its strings, so the common case interns nothing.
    pub(super) fn processor_number(&mut self, run: &ProcessorRun) -> u32 {
        let parts = (
            run.processor_id.as_str(),
            run.processor_name.as_str(),
            run.processor_version_id.as_str(),
            run.processor_type,
        );
        let hasher = FxBuildHasher;
        let hash = hasher.hash_one(parts);
        let (processors, symbols) = (&self.processors, &self.symbols);
        let same = |&n: &u32| {
            let p = &processors[n as usize];
            (
                symbols.text(p.id),
                symbols.text(p.name),
                symbols.text(p.version),
                p.kind,
            ) == parts
        };
        if let Some(&number) = self.processor_numbers.find(hash, same) {
            return number;
        }
        let (id, name, version, kind) = (
            self.symbols.intern(parts.0),
            self.symbols.intern(parts.1),
            self.symbols.intern(parts.2),
            parts.3,
        );
        let number = u32::try_from(self.processors.len()).expect("fewer than 4 billion processors");
        self.processors.push(RunProcessor {
            id,
            name,
            version,
            kind,
        });
        let (processors, symbols) = (&self.processors, &self.symbols);
        self.processor_numbers.insert_unique(hash, number, |&n| {
            let p = &processors[n as usize];
            hasher.hash_one((
                symbols.text(p.id),
                symbols.text(p.name),
                symbols.text(p.version),
                p.kind,
            ))
        });
        number
    }

    /// Takes out the runs from slot `first` on, and their text.
    pub(super) fn roll_back(&mut self, first: usize, text_mark: usize) {
        let hasher = FxBuildHasher;
        for slot in first..self.runs.len() {
            let rows = Rows {
                runs: &self.runs,
                text: &self.text,
            };
            let id = rows.id(slot as u32);
            if let Ok(entry) = self
                .run_ids
                .find_entry(hasher.hash_one(id), |&s| s as usize == slot)
            {
                entry.remove();
            }
        }
        self.details.retain(|&slot, _| (slot as usize) < first);
        self.live_runs -= self.runs.len() - first;
        self.runs.truncate(first);
        self.text.truncate(text_mark);
    }

    pub(super) fn rows(&self) -> Rows<'_> {
        Rows {
            runs: &self.runs,
            text: &self.text,
        }
    }

    pub(super) fn id(&self, slot: u32) -> &str {
        self.rows().id(slot)
    }

    /// A run as the layers above read it, borrowed from the store.
    pub(super) fn view(&self, slot: u32) -> RunView<'_> {
        let run = &self.runs[slot as usize];
        let processor = &self.processors[run.processor as usize];
        let rows = self.rows();
        RunView {
            id: rows.span(run.id),
            workspace_id: self.symbols.text(run.workspace),
            status: run.status,
            processor_id: self.symbols.text(processor.id),
            processor_name: self.symbols.text(processor.name),
            processor_version_id: self.symbols.text(processor.version),
            processor_type: processor.kind,
            source: run.source,
            source_id: (run.source_id != NO_SYM).then(|| self.symbols.text(run.source_id)),
            file_name: rows.span(run.file_name),
            created_at: Timestamp::from_unix_nanos(run.at[0]),
            updated_at: Timestamp::from_unix_nanos(run.at[1]),
            created_nanos: run.at[0],
            updated_nanos: run.at[1],
            credits: run.credits,
            // Pages never need them; `get` looks them up.
            details: None,
        }
    }

    /// The slot of a live run of this workspace with this id. A run of
    /// another workspace is not found: callers cannot tell the two apart.
    /// The workspace of a live run, by id alone (the control plane's view).
    pub fn run_workspace(&self, id: &str) -> Option<&str> {
        let rows = self.rows();
        let slot = *self
            .run_ids
            .find(FxBuildHasher.hash_one(id), |&s| rows.id(s) == id)?;
        let run = &self.runs[slot as usize];
        run.live.then(|| self.symbols.text(run.workspace))
    }

    pub(super) fn find(&self, workspace_id: &str, id: &str) -> Option<u32> {
        let rows = self.rows();
        let slot = *self
            .run_ids
            .find(FxBuildHasher.hash_one(id), |&s| rows.id(s) == id)?;
        let run = &self.runs[slot as usize];
        (run.live && self.symbols.text(run.workspace) == workspace_id).then_some(slot)
    }
}
