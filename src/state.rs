//! `AppState`: what every request shares. Locks are `std::sync` and held only
//! for plain memory work, never across an `.await`.

use std::sync::{RwLock, RwLockReadGuard};

use crate::fixtures::{self, FixtureError};
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
}
