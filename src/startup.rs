//! From a `Config` to a running server: logging, fixtures, bind, the startup
//! banner, and a clean stop on Ctrl-C or SIGTERM.

use std::fmt::Write as _;
use std::future::Future;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use crate::config::{Command, Config, LogFormat};
use crate::domain::PagingRules;
use crate::domain::{ApiVersion, KeyScope};
use crate::fixtures::{self, DEFAULT_NAME};
use crate::generate::{GenerateSpec, Progress};
use crate::healthcheck;
use crate::http::request_log::{self, LineFormat};
use crate::log_sink;
use crate::page_token::PageSigner;
use crate::state::{AppState, Seed, Settings};
use crate::store::{FileLimits, Store};

/// Runs what the command line asks for; the binary maps the result to an exit code.
pub fn run(config: Config) -> anyhow::Result<()> {
    if let Some(Command::Healthcheck) = config.command {
        return healthcheck::check(healthcheck::target(config.host, config.port));
    }
    let log = init_logging(&config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(serve(config));
    // Requests still in flight past the drain end with the runtime; then the
    // log writer drains what it holds before the process exits.
    drop(runtime);
    finish_logging(log);
    outcome
}

/// Bytes of log lines waiting for the writer at most (some 128,000 request
/// lines); past it, new lines are dropped (and counted) rather than make a
/// request wait for standard error.
const LOG_WAITING_BYTES: usize = 32 * 1024 * 1024;

/// Writes out every waiting log line (`log_sink`), then says how many lines
/// were dropped because standard error could not keep up, if any.
fn finish_logging(log: log_sink::LogWriter) {
    let dropped = log.finish();
    if dropped > 0 {
        eprintln!(
            "extend-mock: {dropped} log lines were dropped because standard error \
             could not keep up"
        );
    }
}

/// Logging to standard error through the log writer (`log_sink`): a thread of
/// its own, so a request formats its line and moves on and never waits on the
/// terminal or pipe (BENCHMARKS.md).
fn init_logging(config: &Config) -> anyhow::Result<log_sink::LogWriter> {
    let filter = EnvFilter::try_new(&config.log_level)
        .with_context(|| format!("invalid --log-level `{}`", config.log_level))?;
    let (writer, log_writer) = log_sink::start(std::io::stderr(), LOG_WAITING_BYTES)
        .context("cannot start the log writer thread")?;
    let ansi = std::io::stderr().is_terminal();
    if !ansi {
        // The request line is written by hand, in the same format (on a
        // terminal, with colours, it goes through tracing like the rest).
        let format = match config.log_format {
            LogFormat::Text => LineFormat::Text,
            LogFormat::Json => LineFormat::Json,
        };
        request_log::install(writer.clone(), format);
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi);
    match config.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    Ok(log_writer)
}

/// The start-up state: fixtures, then generated runs, with progress on a
/// terminal when generation takes more than a moment.
fn build_seed_and_store(config: &Config) -> anyhow::Result<(Seed, Store)> {
    let documents = fixtures::load_documents(&config.fixtures).context("cannot load fixtures")?;

    let seed = Seed {
        documents,
        generate: config.generate.map(|count| GenerateSpec {
            count,
            seed: config.seed,
            workspace: config.generate_workspace.clone(),
        }),
    };
    let started = Instant::now();
    let count = config.generate.unwrap_or(0);
    let bar = if count >= 50_000 && std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(count as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {msg:14} {bar:40} {human_pos}/{human_len} ({elapsed})",
            )
            .expect("the template is valid"),
        );
        bar.set_message("generating runs");
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let store = seed
        .build(&mut |progress| match progress {
            Progress::Made(made) => bar.set_position(made as u64),
            Progress::Indexing => {
                bar.set_position(count as u64);
                bar.set_message("indexing runs");
                // Indexing reports no steps; tick so the line shows it is alive.
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
            }
        })
        .context("cannot build the start-up state")?;
    bar.finish_and_clear();
    if count > 0 {
        tracing::info!(
            runs = count,
            seed = config.seed,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "generated synthetic runs"
        );
    }
    if store.keys().is_empty() {
        tracing::warn!(
            "the fixtures declare no apiKeys: every API request will answer 401 \
             (give a document `apiKeys`)"
        );
    }
    Ok((seed, store))
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let started = Instant::now();
    let (seed, store) = build_seed_and_store(&config)?;
    let mut source = if config.fixtures.is_empty() {
        DEFAULT_NAME.to_owned()
    } else {
        config
            .fixtures
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(count) = config.generate {
        source.push_str(&format!(" + {count} generated (seed {})", config.seed));
    }
    let banner_facts = Facts::of(&store, source, !config.no_control_plane);
    let signer = match &config.page_secret {
        Some(secret) => PageSigner::from_secret(secret),
        None => PageSigner::random(),
    };
    let settings = Settings {
        paging: PagingRules {
            default_page_size: usize::from(config.page_size),
            strict_tokens: config.strict_page_tokens,
        },
        journal_capacity: config.journal_size,
        rate_limit: config.rate_limit,
        admin_token: config.admin_token.clone(),
        control_plane: !config.no_control_plane,
        seed: config.seed,
        max_sandboxes: config.max_sandboxes,
        webhook_timeout: config.webhook_timeout,
        webhook_retries: config.webhook_retries,
        webhook_max_pending: config.webhook_max_pending as usize,
        webhook_backoff: config.webhook_backoff,
        webhook_allow_public: config.webhook_allow_public,
        header_timeout: config.header_timeout,
        max_connections: config.max_connections as usize,
        max_large_bodies: config.max_large_bodies as usize,
        processing_time: config.processing_time,
        sync_timeout: config.sync_timeout,
        file_limits: FileLimits {
            max_file_bytes: config.max_file_size,
            max_total_bytes: config.max_files_size,
        },
    };
    let state = Arc::new(AppState::new(seed, store, signer, settings));

    let shutdown = shutdown_signal()?;
    let wanted = SocketAddr::new(config.host, config.port);
    let listener = TcpListener::bind(wanted).await.with_context(|| {
        format!(
            "cannot listen on {wanted} (is another server on that port? --port 0 picks a free one)"
        )
    })?;
    let bound = listener
        .local_addr()
        .context("cannot read the bound address")?;
    print!("{}", banner(bound, &banner_facts));
    tracing::info!(
        address = %bound,
        runs = banner_facts.runs,
        startup_ms = started.elapsed().as_millis() as u64,
        "extend-mock ready"
    );

    // Requests in flight get --drain-timeout to finish after the signal;
    // past it (a client holding a half-sent request, an injected delay) the
    // server stops anyway, so `docker stop` never has to kill it.
    let (stopping, mut stopped) = tokio::sync::watch::channel(false);
    let shutdown = async move {
        shutdown.await;
        let _ = stopping.send(true);
    };
    let drain = config.drain_timeout;
    let deadline = async move {
        let _ = stopped.wait_for(|stopping| *stopping).await;
        tokio::time::sleep(drain).await;
    };
    tokio::select! {
        served = crate::serve_until(listener, state, shutdown) => {
            served.context("the server stopped with an error")?;
            tracing::info!("stopped cleanly");
        }
        () = deadline => {
            tracing::warn!(
                drain_ms = drain.as_millis() as u64,
                "requests still open after --drain-timeout; stopped without them"
            );
        }
    }
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM (what `docker stop` sends). The handlers are
/// installed here, before the banner is printed, so a signal sent as soon as
/// the server says it is ready is never lost to the default action.
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
        let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => tracing::info!("Ctrl-C received, finishing requests in flight"),
                _ = terminate.recv() => tracing::info!("SIGTERM received, finishing requests in flight"),
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("Ctrl-C received, finishing requests in flight");
        })
    }
}

/// What the banner reports, copied out of the store before it moves into the state.
struct Facts {
    source: String,
    organizations: usize,
    workspaces: usize,
    runs: usize,
    keys: Vec<KeyLine>,
    /// Whether `/_mock/ui` is served (the control plane is on).
    demo_page: bool,
}

struct KeyLine {
    token: String,
    scope: KeyScope,
    target: String,
    /// An organization key's first workspace, for the example command.
    example_workspace: Option<String>,
    default_version: Option<ApiVersion>,
}

impl Facts {
    fn of(store: &Store, source: String, demo_page: bool) -> Self {
        let keys = store
            .keys()
            .iter()
            .map(|key| {
                let org = key.organization_id.as_deref().unwrap_or("");
                let first_workspace = store
                    .organizations()
                    .iter()
                    .find(|o| o.id == org)
                    .and_then(|o| o.workspaces.first())
                    .map(|w| w.id.clone());
                KeyLine {
                    token: key.token.clone(),
                    scope: key.scope,
                    target: match key.scope {
                        KeyScope::Workspace => key.workspace_id.clone().unwrap_or_default(),
                        KeyScope::Organization => org.to_owned(),
                    },
                    example_workspace: first_workspace,
                    default_version: key.default_api_version,
                }
            })
            .collect();
        Facts {
            source,
            organizations: store.organizations().len(),
            workspaces: store.workspace_count(),
            runs: store.run_count(),
            keys,
            demo_page,
        }
    }
}

/// The lines printed on standard output at start: where it listens, what it
/// loaded, the keys it accepts, and a curl command that works when pasted.
/// `1 workspace`, `3 workspaces`.
fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

fn banner(bound: SocketAddr, facts: &Facts) -> String {
    let reachable = healthcheck::target(bound.ip(), bound.port());
    let base = format!("http://{reachable}");
    let mut out = String::new();
    let _ = writeln!(out, "extend-mock listening on http://{bound}");
    let _ = writeln!(
        out,
        "  fixtures: {} ({}, {}, {})",
        facts.source,
        plural(facts.organizations, "organization"),
        plural(facts.workspaces, "workspace"),
        plural(facts.runs, "processor run")
    );
    let _ = writeln!(out, "  version: {}", env!("CARGO_PKG_VERSION"));
    if facts.demo_page {
        let _ = writeln!(out, "  demo page: {base}/_mock/ui");
    }
    if facts.keys.is_empty() {
        let _ = writeln!(
            out,
            "  API keys: none; every API request will answer 401 (give the fixtures `apiKeys`)"
        );
        let _ = writeln!(out, "  try: curl -s '{base}/_mock/health'");
        return out;
    }
    let _ = writeln!(out, "  API keys:");
    for key in &facts.keys {
        let mut note = format!("{} key for {}", key.scope, key.target);
        if key.scope == KeyScope::Organization {
            note.push_str(", needs x-extend-workspace-id");
        }
        if let Some(version) = key.default_version {
            note.push_str(&format!(", legacy: defaults to API version {version}"));
        }
        let _ = writeln!(out, "    {:<24} {note}", key.token);
    }
    if let Some(key) = facts
        .keys
        .iter()
        .find(|k| k.scope == KeyScope::Workspace)
        .or_else(|| facts.keys.first())
    {
        let workspace = match (&key.scope, &key.example_workspace) {
            (KeyScope::Organization, Some(ws)) => format!(" -H 'x-extend-workspace-id: {ws}'"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  try: curl -s -H 'Authorization: Bearer {}' -H 'x-extend-api-version: {}'{workspace} '{base}/processor_runs?maxPageSize=3'",
            key.token,
            ApiVersion::V2026_02_09
        );
    }
    out
}
