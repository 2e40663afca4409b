//! `AppState`: what every request shares. Locks are `std::sync` and held only
//! for plain memory work, never across an `.await`.

use std::collections::HashSet;
use std::sync::{RwLock, RwLockReadGuard};

use crate::fixtures::{self, FixtureError};
use crate::model::ProcessorRun;
use crate::page_token::PageSigner;
use crate::query::PagingRules;
use crate::store::Store;

const POISONED: &str = "a thread panicked while holding the store lock";

pub struct AppState {
    /// Fixed after start: no lock needed.
    pub signer: PageSigner,
    pub paging: PagingRules,
    store: RwLock<Store>,
}

impl AppState {
    pub fn new(store: Store, signer: PageSigner, paging: PagingRules) -> Self {
        AppState {
            signer,
            paging,
            store: RwLock::new(store),
        }
    }

    /// A state built from one fixture document given as text, with a fixed
    /// page secret: what tests and embedders want.
    pub fn from_fixture_text(
        text: &str,
        secret: &str,
        paging: PagingRules,
    ) -> Result<Self, FixtureError> {
        let doc = fixtures::parse_document("fixture text", text)?;
        let store = fixtures::build_store(vec![("fixture text".to_owned(), doc)])?;
        Ok(AppState::new(
            store,
            PageSigner::from_secret(secret),
            paging,
        ))
    }

    pub fn store(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().expect(POISONED)
    }

    /// Adds runs all-or-nothing: every run is checked (against the store and
    /// against the others in the batch) before any is added. On failure the
    /// error holds the index of the first bad run and the reason.
    pub fn add_runs(&self, runs: Vec<ProcessorRun>) -> Result<(), (usize, String)> {
        let mut store = self.store.write().expect(POISONED);
        let mut batch_ids = HashSet::new();
        for (i, run) in runs.iter().enumerate() {
            store.check_run(run).map_err(|reason| (i, reason))?;
            if !batch_ids.insert(&run.id) {
                return Err((i, format!("id: duplicate run id `{}`", run.id.as_str())));
            }
        }
        for run in runs {
            store
                .add_run(run)
                .expect("every run was checked against the store and the batch");
        }
        Ok(())
    }
}
