//! Sandboxes: isolated states in one server, so parallel test suites (pytest
//! workers, CI jobs, a Vitest pool) can share one container without seeing
//! each other. Each sandbox is a whole `AppState`: its own store, keys,
//! journal, faults, rules, id stream and lifecycle task.
//!
//! A request finds its sandbox without any change to the code under test:
//! a sandbox's keys are the tokens of its fixture document with `.<name>`
//! appended (`mint_keys`), so the bearer token says where it belongs. The
//! control plane picks one with the `x-extend-mock-sandbox` header, a
//! download link with its `sandbox` parameter. Without either, the request
//! goes to the default sandbox: the server's own state, exactly as before
//! sandboxes existed.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use axum::http::HeaderMap;

use crate::fixtures::{self, Document};
use crate::http::auth::bearer_token;
use crate::http::error::ApiError;
use crate::lifecycle;
use crate::state::{AppState, Seed, mint_keys};

/// The header a control-plane request names its sandbox with.
pub const HEADER: &str = "x-extend-mock-sandbox";

/// The name of the server's own state, which is never dropped.
pub const DEFAULT: &str = "default";

const POISONED: &str = "a thread panicked while holding the sandboxes";

/// The default sandbox and the ones made through `/_mock/sandboxes`.
pub struct Server {
    pub default: Arc<AppState>,
    sandboxes: RwLock<BTreeMap<String, Sandbox>>,
    /// How many sandboxes exist besides the default, so a request skips the
    /// lock when there are none.
    count: AtomicUsize,
    /// Numbers the names of sandboxes made without one (`sbx_1`, `sbx_2`…).
    next: AtomicU64,
    /// Turns for reading a large control-plane body, shared by every
    /// sandbox (`--max-large-bodies`): memory is the server's, not a sandbox's.
    pub large_bodies: Arc<tokio::sync::Semaphore>,
    /// What the demo page marks its own requests with (`x-extend-mock-ui`):
    /// random per server and written into the page it serves, so only the
    /// page is exempt from the journal, faults and `--rate-limit`; a test
    /// client sending the header gets no exemption (hostile-inputs F10).
    pub ui_key: String,
}

struct Sandbox {
    state: Arc<AppState>,
    /// Dropping the sandbox stops them.
    _tasks: Tasks,
}

/// A task that lives as long as its owner: stopping the server (or dropping
/// a sandbox) drops the runs in flight instead of waiting for them.
pub struct AbortOnDrop(pub tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A sandbox's own tasks: the lifecycle that ends its runs and the sender
/// of its webhooks. They stop when this is dropped.
pub struct Tasks {
    _lifecycle: AbortOnDrop,
    _webhooks: AbortOnDrop,
}

impl Tasks {
    /// Starts them; call inside the runtime.
    pub fn start(state: &Arc<AppState>) -> Tasks {
        Tasks {
            _lifecycle: AbortOnDrop(tokio::spawn(lifecycle::drive(Arc::clone(state)))),
            _webhooks: AbortOnDrop(tokio::spawn(crate::webhooks::drive(Arc::clone(state)))),
        }
    }
}

impl Server {
    pub fn new(default: Arc<AppState>) -> Self {
        let large_bodies = Arc::new(tokio::sync::Semaphore::new(
            default.settings.max_large_bodies,
        ));
        Server {
            default,
            sandboxes: RwLock::new(BTreeMap::new()),
            count: AtomicUsize::new(0),
            next: AtomicU64::new(1),
            large_bodies,
            ui_key: {
                use rand::RngExt;
                let key: u128 = rand::rng().random();
                format!("{key:032x}")
            },
        }
    }

    /// The key the demo page marks its requests with: the admin token when
    /// the server has one (the page asks for it, and nobody without it may
    /// go unjournaled), else `ui_key`, which the page is served with.
    pub fn page_key(&self) -> &str {
        self.default
            .settings
            .admin_token
            .as_deref()
            .unwrap_or(&self.ui_key)
    }

    /// Whether a request is the demo page's own: it carries the page's key.
    pub fn is_ui_request(&self, headers: &HeaderMap) -> bool {
        let Some(sent) = headers.get(crate::http::envelope::OBSERVER_HEADER) else {
            return false;
        };
        let (sent, key) = (sent.as_bytes(), self.page_key().as_bytes());
        // Compared in constant time: the key is a secret of sorts.
        sent.len() == key.len() && sent.iter().zip(key).fold(0, |d, (a, b)| d | (a ^ b)) == 0
    }

    /// The sandbox a name means; `default` is the server's own state.
    pub fn get(&self, name: &str) -> Option<Arc<AppState>> {
        if name == DEFAULT {
            return Some(Arc::clone(&self.default));
        }
        if self.count.load(Ordering::Acquire) == 0 {
            return None;
        }
        let sandboxes = self.sandboxes.read().expect(POISONED);
        sandboxes.get(name).map(|s| Arc::clone(&s.state))
    }

    /// Where an API request goes: the sandbox its token's suffix names, or
    /// the default (which also answers every bad or missing token).
    pub fn for_api(&self, headers: &HeaderMap) -> Arc<AppState> {
        if self.count.load(Ordering::Acquire) > 0
            && let Ok(token) = bearer_token(headers)
            && let Some((_, name)) = token.rsplit_once('.')
            && let Some(state) = self.get(name)
        {
            return state;
        }
        Arc::clone(&self.default)
    }

    /// Where a control-plane request goes: the sandbox its header names.
    pub fn for_control(&self, headers: &HeaderMap) -> Result<Arc<AppState>, ApiError> {
        let Some(value) = headers.get(HEADER) else {
            return Ok(Arc::clone(&self.default));
        };
        let name = value.to_str().map(str::trim).map_err(|_| {
            ApiError::InvalidRequest(format!("Header `{HEADER}` is not readable text"))
        })?;
        self.get(name)
            .ok_or_else(|| ApiError::SandboxNotFound(name.to_owned()))
    }

    /// Where a download link goes: the sandbox its `sandbox` parameter names
    /// (a link's signature covers it, so it cannot be moved to another).
    pub fn for_download(&self, query: Option<&str>) -> Result<Arc<AppState>, ApiError> {
        let named = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .find(|(key, _)| key == "sandbox")
            .map(|(_, value)| value.into_owned());
        match named {
            None => Ok(Arc::clone(&self.default)),
            Some(name) => self
                .get(&name)
                .ok_or_else(crate::routes::files::link_refused),
        }
    }

    /// Makes a sandbox from `document` (none: the server's own start-up
    /// fixtures), its keys minted for it, and starts its lifecycle task.
    /// Builds the store before taking the lock; a bad document is a 400
    /// and a taken name a 409, with nothing made.
    pub fn create(
        &self,
        name: Option<String>,
        document: Option<Document>,
    ) -> Result<Arc<AppState>, ApiError> {
        let default = &self.default;
        let max = default.settings.max_sandboxes;
        if self.count.load(Ordering::Acquire) >= max {
            return Err(full(max));
        }
        let name = match name {
            Some(name) => {
                check_name(&name)?;
                name
            }
            None => self.unused_name(),
        };
        let mut seed = match document {
            Some(document) => Seed {
                documents: vec![("request body".to_owned(), document)],
                generate: None,
            },
            None => default.seed().clone(),
        };
        for (_, document) in &mut seed.documents {
            mint_keys(document, &name);
        }
        let store = seed
            .build(&mut |_| {})
            .map_err(|e| ApiError::InvalidRequest(format!("{e:#}")))?;
        let state = Arc::new(
            AppState::new(
                seed,
                store,
                default.signer.clone(),
                default.settings.clone(),
            )
            .in_sandbox(&name),
        );
        let mut sandboxes = self.sandboxes.write().expect(POISONED);
        if sandboxes.len() >= max {
            return Err(full(max));
        }
        if sandboxes.contains_key(&name) {
            return Err(ApiError::Conflict(format!(
                "Sandbox `{name}` exists; drop it first (DELETE /_mock/sandboxes/{name}) or \
                 pick another name"
            )));
        }
        sandboxes.insert(
            name.clone(),
            Sandbox {
                state: Arc::clone(&state),
                _tasks: Tasks::start(&state),
            },
        );
        self.count.store(sandboxes.len(), Ordering::Release);
        drop(sandboxes);
        tracing::info!(sandbox = %name, "sandbox made through /_mock/sandboxes");
        Ok(state)
    }

    /// Drops a sandbox: its state goes when the last request using it ends,
    /// its runs in flight with it.
    pub fn drop_sandbox(&self, name: &str) -> Result<(), ApiError> {
        if name == DEFAULT {
            return Err(ApiError::InvalidRequest(
                "The default sandbox is the server's own state and cannot be dropped; \
                 POST /_mock/reset resets it"
                    .into(),
            ));
        }
        let mut sandboxes = self.sandboxes.write().expect(POISONED);
        let dropped = sandboxes
            .remove(name)
            .ok_or_else(|| ApiError::SandboxNotFound(name.to_owned()))?;
        self.count.store(sandboxes.len(), Ordering::Release);
        drop(sandboxes);
        dropped.state.close();
        drop(dropped);
        tracing::info!(sandbox = %name, "sandbox dropped through /_mock/sandboxes");
        Ok(())
    }

    /// Every sandbox, the default first, then by name.
    pub fn list(&self) -> Vec<Arc<AppState>> {
        let sandboxes = self.sandboxes.read().expect(POISONED);
        std::iter::once(Arc::clone(&self.default))
            .chain(sandboxes.values().map(|s| Arc::clone(&s.state)))
            .collect()
    }

    fn unused_name(&self) -> String {
        loop {
            let name = format!("sbx_{}", self.next.fetch_add(1, Ordering::Relaxed));
            if self.get(&name).is_none() {
                return name;
            }
        }
    }
}

fn full(max: usize) -> ApiError {
    ApiError::Conflict(format!(
        "{max} sandboxes exist, the most this server keeps (--max-sandboxes); drop one first"
    ))
}

/// Letters, digits, `-` and `_`, at most 64: a name goes into tokens,
/// headers and URLs unchanged.
fn check_name(name: &str) -> Result<(), ApiError> {
    let fine = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !fine {
        return Err(ApiError::InvalidRequest(format!(
            "Invalid query parameter `name`: `{name}` must be 1 to 64 letters, digits, `-` or `_`"
        )));
    }
    if name == DEFAULT {
        return Err(ApiError::Conflict(
            "`default` is the server's own state; pick another name".into(),
        ));
    }
    Ok(())
}

/// A fixture document given in a request body, checked like `PUT /_mock/fixtures`.
pub fn parse_document(bytes: &[u8]) -> Result<Document, ApiError> {
    fixtures::parse_json("request body", bytes).map_err(|e| ApiError::InvalidRequest(e.to_string()))
}
