//! `AppState`: what every request shares. Locks are `std::sync` and held only
//! for plain memory work, never across an `.await`.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

use crate::body_cache::BodyCache;
use crate::domain::ProcessorRun;
use crate::domain::{PagingRules, RunStatus, Timestamp};
use crate::faults::{Fault, FaultSpec, Faults};
use crate::fixtures::{self, Document, FixtureError};
use crate::generate::{self, GenerateSpec, Progress};
use crate::journal::{Journal, JournalEntry};
use crate::lifecycle::Lifecycle;
use crate::page_token::PageSigner;
use crate::rules::Rules;
use crate::store::{FileLimits, RunChange, Store, StoreError};
use crate::webhooks::Outbox;

const POISONED: &str = "a thread panicked while holding a state lock";

/// Everything about the server that is fixed at start-up besides the data.
#[derive(Clone, Debug)]
pub struct Settings {
    pub paging: PagingRules,
    /// Most journal entries kept; older ones are dropped.
    pub journal_capacity: usize,
    /// Requests per second allowed per API key; unlimited when `None`.
    pub rate_limit: Option<NonZeroU32>,
    /// When set, `/_mock/*` (but health) requires `Authorization: Bearer <it>`.
    pub admin_token: Option<String>,
    /// When false, only `/_mock/health` is served under `/_mock/`.
    pub control_plane: bool,
    /// How long an API-made run takes to finish (`--processing-time`).
    pub processing_time: std::time::Duration,
    /// Longest a `sync` create waits (`--sync-timeout`).
    pub sync_timeout: std::time::Duration,
    /// Bounds on uploaded files (`--max-file-size`, `--max-files-size`).
    pub file_limits: FileLimits,
    /// Seeds the stream the ids of API-made objects come from (`--seed`), so
    /// a test suite replayed against a fresh server gets the same ids.
    pub seed: u64,
    /// Most sandboxes made through `/_mock/sandboxes` (`--max-sandboxes`).
    pub max_sandboxes: usize,
    /// How long a webhook receiver has to answer (`--webhook-timeout`).
    pub webhook_timeout: std::time::Duration,
    /// Retries after a failed delivery (`--webhook-retries`).
    pub webhook_retries: u32,
    /// The wait before the first retry, doubled for each next (`--webhook-backoff`).
    pub webhook_backoff: std::time::Duration,
    /// Most deliveries waiting to be sent (`--webhook-max-pending`).
    pub webhook_max_pending: usize,
    /// Deliver to any address, not only loopback and private ones.
    pub webhook_allow_public: bool,
    /// How long a connection may take to send a request's head, or stay
    /// idle between requests (`--header-timeout`).
    pub header_timeout: std::time::Duration,
    /// Most connections open at once (`--max-connections`).
    pub max_connections: usize,
    /// Most large control-plane bodies read at once (`--max-large-bodies`).
    pub max_large_bodies: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            paging: PagingRules {
                default_page_size: 10,
                strict_tokens: false,
            },
            journal_capacity: 1000,
            rate_limit: None,
            admin_token: None,
            control_plane: true,
            seed: 42,
            max_sandboxes: 64,
            webhook_timeout: std::time::Duration::from_secs(10),
            webhook_retries: 5,
            webhook_max_pending: 10_000,
            webhook_backoff: std::time::Duration::from_secs(1),
            webhook_allow_public: false,
            header_timeout: std::time::Duration::from_secs(30),
            max_connections: 1000,
            max_large_bodies: 2,
            processing_time: std::time::Duration::from_secs(2),
            sync_timeout: std::time::Duration::from_secs(300),
            file_limits: FileLimits {
                max_file_bytes: 50 << 20,
                max_total_bytes: 512 << 20,
            },
        }
    }
}

/// How the start-up state is made, kept so `POST /_mock/reset` can make it again.
#[derive(Clone, Debug)]
pub struct Seed {
    pub documents: Vec<(String, Document)>,
    pub generate: Option<GenerateSpec>,
}

impl Seed {
    /// One document given as text (tests and embedders).
    pub fn from_text(text: &str) -> Result<Self, FixtureError> {
        let source = "fixture text".to_owned();
        let document = fixtures::parse_document(&source, text)?;
        Ok(Seed {
            documents: vec![(source, document)],
            generate: None,
        })
    }

    /// Builds the store: the documents, then the generated runs.
    pub fn build(&self, progress: &mut dyn FnMut(Progress)) -> anyhow::Result<Store> {
        let mut store = fixtures::build_store(self.documents.clone())?;
        if let Some(spec) = &self.generate {
            generate::add_generated_runs(&mut store, spec, progress).map_err(anyhow::Error::msg)?;
        }
        Ok(store)
    }
}

pub struct AppState {
    /// Fixed after start: no lock needed.
    pub signer: PageSigner,
    pub settings: Settings,
    seed: Seed,
    store: RwLock<Store>,
    /// Full-run bodies lately written; emptied by every store change.
    pub full_runs: BodyCache,
    /// List pages lately written (`body_cache::page_key`); emptied by every store change.
    pub pages: BodyCache,
    journal: Mutex<Journal>,
    faults: Mutex<Faults>,
    /// How many faults are active, so a request can skip the lock when none is.
    fault_count: AtomicUsize,
    limiter: Option<DefaultKeyedRateLimiter<String>>,
    /// Where ids of objects made through the API come from; reseeded by reset.
    ids: Mutex<ChaCha8Rng>,
    /// The last time handed out by `now`, in nanoseconds.
    last_stamp: AtomicI64,
    /// Runs made through the API on their way to their end.
    pub lifecycle: Lifecycle,
    /// How runs made from now on end, set through `/_mock/rules`.
    pub rules: Mutex<Rules>,
    /// Bumped whenever the whole state is replaced (reset, new fixtures), so
    /// the lifecycle leaves runs of an older state alone.
    epoch: AtomicU64,
    /// The sandbox this state is, `None` for the server's own (default) one.
    sandbox: Option<Arc<str>>,
    /// A random number drawn whenever the state is made or replaced: links
    /// sign it, so a link outlives neither (see `links`).
    life: AtomicU64,
    /// Bytes of uploads being received, counted with the stored files
    /// against `--max-files-size` (`routes::files`).
    pub arriving_bytes: AtomicUsize,
    /// Set when the sandbox is dropped: requests still waiting on one of
    /// its runs are woken and told (see `Lifecycle::wait_until`).
    closed: AtomicBool,
    /// Webhook deliveries made and to be made.
    pub webhooks: Outbox,
}

impl AppState {
    pub fn new(seed: Seed, store: Store, signer: PageSigner, settings: Settings) -> Self {
        AppState {
            signer,
            limiter: settings
                .rate_limit
                .map(|n| RateLimiter::keyed(Quota::per_second(n))),
            journal: Mutex::new(Journal::new(settings.journal_capacity)),
            faults: Mutex::new(Faults::default()),
            fault_count: AtomicUsize::new(0),
            ids: Mutex::new(ChaCha8Rng::seed_from_u64(settings.seed)),
            last_stamp: AtomicI64::new(i64::MIN),
            lifecycle: Lifecycle::default(),
            rules: Mutex::new(Rules::default()),
            epoch: AtomicU64::new(0),
            sandbox: None,
            life: AtomicU64::new(rand::rng().random()),
            closed: AtomicBool::new(false),
            arriving_bytes: AtomicUsize::new(0),
            webhooks: Outbox::new(settings.webhook_max_pending),
            settings,
            seed,
            store: RwLock::new(store),
            full_runs: BodyCache::default(),
            pages: BodyCache::default(),
        }
    }

    /// The same state as a named sandbox (see `sandboxes`).
    pub fn in_sandbox(mut self, name: &str) -> Self {
        self.sandbox = Some(Arc::from(name));
        self
    }

    /// The sandbox's name; `None` for the default state.
    pub fn sandbox_name(&self) -> Option<&str> {
        self.sandbox.as_deref()
    }

    /// Gives a document's keys this sandbox's tokens, `<token>.<sandbox>`: the
    /// suffix is how a request finds its sandbox, and no two sandboxes can
    /// then share a token even when they load the same document. The default
    /// state keeps tokens as written.
    pub fn mint_keys(&self, document: &mut Document) {
        if let Some(name) = &self.sandbox {
            mint_keys(document, name);
        }
    }

    /// A state built from one fixture document given as text, with a fixed
    /// page secret: what tests and embedders want.
    pub fn for_tests(text: &str, secret: &str, settings: Settings) -> Result<Self, anyhow::Error> {
        let seed = Seed::from_text(text)?;
        let store = seed.build(&mut |_| {})?;
        Ok(AppState::new(
            seed,
            store,
            PageSigner::from_secret(secret),
            settings,
        ))
    }

    /// How this state was made (what a reset makes again).
    pub fn seed(&self) -> &Seed {
        &self.seed
    }

    pub fn store(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().expect(POISONED)
    }

    /// A list page: the one written for the same query of the same workspace
    /// since the store last changed (`body_cache`), else the one `write`
    /// makes, kept. `write` reads the store under its read lock, and the page
    /// is kept before the lock goes, so a kept page is always the store's.
    /// Only for lists whose items depend on the store alone (no time, no
    /// caller).
    pub fn list_page(
        &self,
        workspace_id: &str,
        list: &str,
        raw_query: Option<&str>,
        write: impl FnOnce(&Store) -> Result<Vec<u8>, crate::http::error::ApiError>,
    ) -> Result<bytes::Bytes, crate::http::error::ApiError> {
        let key = crate::body_cache::page_key(workspace_id, list, raw_query);
        if let Some(kept) = key.as_deref().and_then(|key| self.pages.get(key)) {
            return Ok(kept);
        }
        let store = self.store();
        let page = bytes::Bytes::from(write(&store)?);
        if let Some(key) = key {
            self.pages.put(&key, page.clone());
        }
        Ok(page)
    }

    /// The only way to change the store: the cached bodies go while the write
    /// lock is held, so no reader can see one written from the old state.
    fn store_mut(&self) -> RwLockWriteGuard<'_, Store> {
        let store = self.store.write().expect(POISONED);
        self.full_runs.clear();
        self.pages.clear();
        store
    }

    /// Swaps in a store built (and checked) elsewhere, with no lock held
    /// meanwhile. Runs in flight belong to the old state and are dropped.
    pub fn replace_store(&self, next: Store) {
        let mut store = self.store_mut();
        *store = next;
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.life.store(rand::rng().random(), Ordering::SeqCst);
        self.lifecycle.clear();
        drop(store);
        self.webhooks
            .drop_pending("the state was replaced (reset or new fixtures)");
        self.lifecycle.notify_changed();
    }

    /// The life of the state the store holds (see `life`).
    pub fn life(&self) -> u64 {
        self.life.load(Ordering::SeqCst)
    }

    /// Marks the sandbox dropped and wakes whoever waits on its runs.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.lifecycle.notify_changed();
    }

    /// Whether the sandbox was dropped (see `close`).
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Which state the store holds (see `epoch`); read it under the same
    /// lock as the change it goes with.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Ends runs the lifecycle found due, each only if it is still
    /// `PROCESSING` in the state it was scheduled in. The runs ended, as
    /// (workspace, id).
    pub fn finish_runs(
        &self,
        due: impl Iterator<Item = (u64, String, String, RunChange)>,
    ) -> Vec<(String, String)> {
        let mut store = self.store_mut();
        let epoch = self.epoch();
        let mut finished = Vec::new();
        for (run_epoch, workspace_id, run_id, mut change) in due {
            if run_epoch != epoch || self.lifecycle.is_held(&run_id) {
                continue;
            }
            let Ok(run) = store.get(&workspace_id, &run_id) else {
                continue;
            };
            if run.status != RunStatus::Processing {
                continue;
            }
            change.updated_at = Some(self.now().max(run.updated_at));
            if store.update(&workspace_id, &run_id, change).is_ok() {
                finished.push((workspace_id, run_id));
            }
        }
        finished
    }

    /// Ends the parse runs whose time has come, as `finish_runs` does
    /// processor runs: only one still `PROCESSING` in the same state.
    pub fn finish_parse_runs(
        &self,
        due: impl Iterator<Item = (u64, String, String, crate::lifecycle::Outcome)>,
    ) -> Vec<(String, String)> {
        use crate::lifecycle::Outcome;
        let mut store = self.store_mut();
        let epoch = self.epoch();
        let mut finished = Vec::new();
        for (run_epoch, workspace_id, run_id, outcome) in due {
            if run_epoch != epoch || self.lifecycle.is_held(&run_id) {
                continue;
            }
            let now = self.now();
            let Some(run) = store.parse_runs.get_mut(&workspace_id, &run_id) else {
                continue;
            };
            if run.status != RunStatus::Processing {
                continue;
            }
            match outcome {
                Outcome::Processed {
                    credits_thousandths,
                    output,
                } => {
                    run.status = RunStatus::Processed;
                    run.credits = Some(credits_thousandths as f64 / 1000.0);
                    if output.is_some() {
                        run.output = output;
                    }
                }
                Outcome::Failed { reason, message } => {
                    run.status = RunStatus::Failed;
                    run.failure = Some((reason, message));
                }
            }
            run.updated_at = now.max(run.updated_at);
            run.ended_at = Some(run.updated_at);
            finished.push((workspace_id, run_id));
        }
        finished
    }

    /// Ends due edit and form detection runs (see `families::edit::end_runs`).
    pub fn finish_form_runs(
        &self,
        due: impl Iterator<Item = (u64, String, String, crate::lifecycle::Outcome)>,
    ) -> Vec<(String, String)> {
        let mut store = self.store_mut();
        let epoch = self.epoch();
        let due: Vec<_> = due
            .filter(|(run_epoch, _, run_id, _)| {
                *run_epoch == epoch && !self.lifecycle.is_held(run_id)
            })
            .map(|(_, ws, id, outcome)| (ws, id, outcome))
            .collect();
        crate::families::edit::end_runs(self, &mut store, due.into_iter())
    }

    /// Back to the start-up state. The new store is built before the swap, so
    /// requests meanwhile see the old state, never a half-built one.
    pub fn reset(&self) -> anyhow::Result<()> {
        let next = self.seed.build(&mut |_| {})?;
        self.replace_store(next);
        *self.ids.lock().expect(POISONED) = ChaCha8Rng::seed_from_u64(self.settings.seed);
        Ok(())
    }

    /// Changes the store under its write lock; `change` must leave it whole
    /// when it fails (check first, then change).
    pub fn change_store<T>(&self, change: impl FnOnce(&mut Store) -> T) -> T {
        let answer = change(&mut self.store_mut());
        self.lifecycle.notify_changed();
        answer
    }

    /// The time of a change made through the API: now, to the millisecond,
    /// and always after the last one handed out, so two objects made in the
    /// same millisecond still list in the order they were made and every
    /// change moves `updatedAt`.
    pub fn now(&self) -> Timestamp {
        const MILLI: i64 = 1_000_000;
        let now = Timestamp::now_millis().unix_nanos();
        let mut last = self.last_stamp.load(Ordering::Relaxed);
        loop {
            let next = now.max(last.saturating_add(MILLI));
            match self.last_stamp.compare_exchange_weak(
                last,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Timestamp::from_unix_nanos(next),
                Err(seen) => last = seen,
            }
        }
    }

    /// A new id for an object made through the API: `prefix` and 21
    /// characters of the API's alphabet, from the `--seed` stream.
    pub fn new_id(&self, prefix: &str) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = self.ids.lock().expect(POISONED);
        let mut id = String::with_capacity(prefix.len() + 21);
        id.push_str(prefix);
        for _ in 0..21 {
            id.push(ALPHABET[rng.random_range(0..ALPHABET.len())] as char);
        }
        id
    }

    /// A secret (a webhook endpoint's signing secret): `prefix` and 32
    /// characters from the operating system's random source, never from the
    /// seeded id stream, which another workspace can replay to forge a
    /// signature (hostile-inputs F5).
    pub fn new_secret(&self, prefix: &str) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = rand::rng();
        let mut secret = String::with_capacity(prefix.len() + 32);
        secret.push_str(prefix);
        for _ in 0..32 {
            secret.push(ALPHABET[rng.random_range(0..ALPHABET.len())] as char);
        }
        secret
    }

    /// Adds runs all-or-nothing (see `Store::add_runs`), under the write lock.
    pub fn add_runs(&self, runs: Vec<ProcessorRun>) -> Result<usize, (usize, StoreError)> {
        self.store_mut().add_runs(runs)
    }

    /// Deletes one run of a workspace, under the write lock.
    pub fn remove_run(&self, workspace_id: &str, id: &str) -> Result<(), StoreError> {
        let removed = {
            let mut store = self.store_mut();
            // A run of a batch: the batch may end with it (webhooks).
            let batch = store.get(workspace_id, id).ok().and_then(|run| {
                (run.source == crate::domain::RunSource::BatchProcessorRun)
                    .then(|| run.source_id.map(str::to_owned))
                    .flatten()
            });
            store.remove(workspace_id, id).map(|()| batch)
        };
        self.lifecycle.notify_changed();
        if let Ok(Some(batch)) = &removed {
            crate::webhooks::batch_run_removed(self, workspace_id, batch);
        }
        if removed.is_ok() {
            // A workflow run's step made it: that step, and the run, stop.
            crate::families::workflow_engine::step_ended(self, workspace_id, id);
        }
        removed.map(|_| ())
    }

    /// `Err(seconds to wait)` when the key is over `--rate-limit`.
    pub fn check_rate(&self, token: &str) -> Result<(), u64> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        limiter.check_key(&token.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }

    /// Whether journal entries are kept at all (`--journal-size 0`: no).
    pub fn journal_keeps_bodies(&self) -> bool {
        self.settings.journal_capacity > 0
    }

    pub fn record(&self, entry: JournalEntry) {
        self.journal.lock().expect(POISONED).push(entry);
    }

    pub fn journal<T>(&self, read: impl FnOnce(&mut Journal) -> T) -> T {
        read(&mut self.journal.lock().expect(POISONED))
    }

    pub fn add_fault(&self, spec: FaultSpec) -> Fault {
        self.faults(|faults| faults.add(spec))
    }

    pub fn take_fault(&self, method: &str, path: &str) -> Option<FaultSpec> {
        if self.fault_count.load(Ordering::Acquire) == 0 {
            return None;
        }
        self.faults(|faults| faults.take_matching(method, path))
    }

    /// Runs `read` under the faults lock; the count is kept in step with it.
    pub fn faults<T>(&self, read: impl FnOnce(&mut Faults) -> T) -> T {
        let mut faults = self.faults.lock().expect(POISONED);
        let answer = read(&mut faults);
        self.fault_count
            .store(faults.active().len(), Ordering::Release);
        answer
    }
}

/// See `AppState::mint_keys`.
pub fn mint_keys(document: &mut Document, sandbox: &str) {
    for key in &mut document.api_keys {
        key.token = format!("{}.{sandbox}", key.token);
    }
}
