//! Uploaded files, by id, and per workspace in `(createdAt, id)` order for
//! keyset pages. The bytes are shared (`Bytes`), so a download holds no lock.

use rustc_hash::FxHashMap;

use super::keyset::{Keys, ids_after, take_page};
use crate::domain::{Position, SortDir, StoredFile};

/// How much the file store may hold.
#[derive(Clone, Copy, Debug)]
pub struct FileLimits {
    pub max_file_bytes: usize,
    pub max_total_bytes: usize,
}

#[derive(Default)]
pub struct Files {
    files: FxHashMap<String, StoredFile>,
    by_created: FxHashMap<String, Keys>,
    total_bytes: usize,
}

impl Files {
    pub fn total_bytes(&self) -> usize {
        self.total_bytes
    }

    /// A file by id alone, whatever its workspace.
    pub fn by_id(&self, id: &str) -> Option<&StoredFile> {
        self.files.get(id)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.files.contains_key(id)
    }

    pub fn get(&self, workspace_id: &str, id: &str) -> Option<&StoredFile> {
        self.files
            .get(id)
            .filter(|f| f.workspace_id == workspace_id)
    }

    /// The caller checked the id is new and the limits.
    pub fn insert(&mut self, file: StoredFile) {
        self.total_bytes += file.content.len();
        self.by_created
            .entry(file.workspace_id.clone())
            .or_default()
            .insert((file.created_at.unix_nanos(), file.id.clone()));
        self.files.insert(file.id.clone(), file);
    }

    pub fn remove(&mut self, workspace_id: &str, id: &str) -> Option<StoredFile> {
        self.get(workspace_id, id)?;
        let file = self.files.remove(id)?;
        self.total_bytes -= file.content.len();
        if let Some(set) = self.by_created.get_mut(workspace_id) {
            set.remove(&(file.created_at.unix_nanos(), file.id.clone()));
        }
        Some(file)
    }

    /// Every file, oldest first (for export).
    pub fn all(&self) -> Vec<&StoredFile> {
        let mut all: Vec<&StoredFile> = self.files.values().collect();
        all.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        all
    }

    /// One page by `createdAt` in `dir`, strictly after `after`, of the files
    /// whose lower-cased name holds `name_contains`; `true` when more follow.
    pub fn page(
        &self,
        workspace_id: &str,
        name_contains: Option<&str>,
        dir: SortDir,
        after: Option<&Position>,
        limit: usize,
    ) -> (Vec<&StoredFile>, bool) {
        let Some(set) = self.by_created.get(workspace_id) else {
            return (Vec::new(), false);
        };
        let matching = ids_after(set, dir, after)
            .filter_map(|id| self.files.get(id))
            .filter(|f| name_contains.is_none_or(|needle| f.name.to_lowercase().contains(needle)));
        take_page(matching, limit)
    }
}
