//! The current API's run families (2026-02-09): each is a view of the one
//! store's processor runs of one type, and of the processors of that type.
//! A family is a description (`Family`): its paths, object names, id
//! prefixes, the processor type it views and the name its create body gives
//! the processor reference. The handlers (`runs.rs`, `processors.rs`) and
//! the object writer (`object.rs`) are written once, for every family.
//!
//! So a run made through `/extract_runs` is a processor run, listed, read,
//! cancelled and deleted through `/processor_runs` too, and the other way
//! round; an extractor is an EXTRACT processor (SPEC Part 6).

pub mod batches;
pub mod edit;
pub mod object;
pub mod parse;
pub mod processors;
pub mod runs;
pub mod subscriptions;
pub mod workflow_engine;
pub mod workflow_runs;
pub mod workflows;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::domain::{PagedResource, ProcessorType};
use crate::routes::processor_runs::BodyFields;
use crate::sandboxes::Server;

/// What one family is.
#[derive(Debug)]
pub struct Family {
    /// `extract_runs`: the runs' path segment.
    pub runs_path: &'static str,
    /// `extract`: the sync call's path segment.
    pub sync_path: &'static str,
    /// `extract_run`: the run object's `object`.
    pub run_object: &'static str,
    /// `exr_`: the prefix of runs made through the family.
    pub run_prefix: &'static str,
    pub processor_type: ProcessorType,
    /// `extractor`: the reference's key in a create body, the processor's
    /// key and `object` in a run, its `object` on its own.
    pub processor_key: &'static str,
    /// `extractorVersion`: the version summary's key in a run.
    pub version_key: &'static str,
    /// `extractorId`: the list filter, and the version's owner key.
    pub processor_id_key: &'static str,
    /// `cloneExtractorId`: the create body's clone field.
    pub clone_key: &'static str,
    /// `extractors`: the processors' path segment.
    pub processors_path: &'static str,
    /// `ex_` / `exv_`: prefixes of processors and versions made here.
    pub processor_prefix: &'static str,
    pub version_prefix: &'static str,
    pub runs_resource: PagedResource,
    pub processors_resource: PagedResource,
    /// Whether its runs may have several files (`package`) and `edits`.
    pub has_files: bool,
    /// Whether a file may be given as text.
    pub takes_text: bool,
    /// Whether its processors may be made with `generate` (a config
    /// inferred from sample files), and a run with neither a processor
    /// reference nor a `config` (one inferred from the file's name). The
    /// SDKs document classify and split as needing one or the other.
    pub generates: bool,
    /// The create body's field names, for refusals: with an inline
    /// `config`, and with the reference's `overrideConfig`.
    pub fields: BodyFields,
    pub override_fields: BodyFields,
}

/// The current API's file fields, with `config` named `config`.
pub(crate) const fn body_fields(config: &'static str) -> BodyFields {
    BodyFields {
        file_url: "file.url",
        file_id: "file.id",
        file_name: "file.name",
        text: "file.text",
        config,
    }
}

pub static EXTRACT: Family = Family {
    runs_path: "extract_runs",
    sync_path: "extract",
    run_object: "extract_run",
    run_prefix: ProcessorType::Extract.prefixes().0,
    processor_type: ProcessorType::Extract,
    processor_key: "extractor",
    version_key: "extractorVersion",
    processor_id_key: "extractorId",
    clone_key: "cloneExtractorId",
    processors_path: "extractors",
    processor_prefix: ProcessorType::Extract.prefixes().1,
    version_prefix: ProcessorType::Extract.prefixes().2,
    runs_resource: PagedResource::ExtractRuns,
    processors_resource: PagedResource::Extractors,
    has_files: true,
    takes_text: true,
    generates: true,
    fields: body_fields("config"),
    override_fields: body_fields("extractor.overrideConfig"),
};

/// The families served; the router is made from these descriptions.
pub static FAMILIES: &[&Family] = &[&EXTRACT, &CLASSIFY, &SPLIT];

pub static CLASSIFY: Family = Family {
    runs_path: "classify_runs",
    sync_path: "classify",
    run_object: "classify_run",
    run_prefix: ProcessorType::Classify.prefixes().0,
    processor_type: ProcessorType::Classify,
    processor_key: "classifier",
    version_key: "classifierVersion",
    processor_id_key: "classifierId",
    clone_key: "cloneClassifierId",
    processors_path: "classifiers",
    processor_prefix: ProcessorType::Classify.prefixes().1,
    version_prefix: ProcessorType::Classify.prefixes().2,
    runs_resource: PagedResource::ClassifyRuns,
    processors_resource: PagedResource::Classifiers,
    has_files: false,
    takes_text: true,
    generates: false,
    fields: body_fields("config"),
    override_fields: body_fields("classifier.overrideConfig"),
};

pub static SPLIT: Family = Family {
    runs_path: "split_runs",
    sync_path: "split",
    run_object: "split_run",
    run_prefix: ProcessorType::Splitter.prefixes().0,
    processor_type: ProcessorType::Splitter,
    processor_key: "splitter",
    version_key: "splitterVersion",
    processor_id_key: "splitterId",
    clone_key: "cloneSplitterId",
    processors_path: "splitters",
    processor_prefix: ProcessorType::Splitter.prefixes().1,
    version_prefix: ProcessorType::Splitter.prefixes().2,
    runs_resource: PagedResource::SplitRuns,
    processors_resource: PagedResource::Splitters,
    has_files: false,
    takes_text: false,
    generates: false,
    fields: body_fields("config"),
    override_fields: body_fields("splitter.overrideConfig"),
};

/// A page made as a JSON value, written (for `AppState::list_page`).
pub(crate) fn value_bytes(page: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(page).expect("a JSON value serializes")
}

/// A page of a list kept in a plain table (workflows, a workflow's
/// versions, workflow runs, webhook subscriptions): `items` in the query's
/// order (`at` gives an item's time for the sort asked for, and its id),
/// as the API's list envelope with the next page's signed token.
pub(crate) fn table_page<T>(
    state: &crate::state::AppState,
    workspace_id: &str,
    query: &crate::http::query::TableQuery,
    items: Vec<&T>,
    at: impl Fn(&T, crate::domain::SortBy) -> (i64, &str),
    object: impl Fn(&T) -> serde_json::Value,
) -> serde_json::Value {
    let by = query.paging.order.by;
    let (page, more) = crate::store::workflows::page_sorted(
        items,
        |t| at(t, by),
        query.paging.order.dir,
        query.paging.after.as_ref(),
        query.paging.page_size,
    );
    let mut out = serde_json::json!({
        "object": "list",
        "data": page.iter().map(|t| object(t)).collect::<Vec<_>>(),
    });
    if more && let Some(last) = page.last() {
        let (at_nanos, id) = at(last, by);
        out["nextPageToken"] = serde_json::json!(crate::http::query::page_token(
            &state.signer,
            query.resource,
            workspace_id,
            query.paging.order,
            query.fingerprint.clone(),
            crate::domain::Position {
                at_nanos,
                id: id.to_owned(),
            },
        ));
    }
    out
}

/// Waits for a sync call's run to end (`running` says whether it still
/// does): `Ok` once it has; past `--sync-timeout` the API's `504` naming
/// it, and the sandbox's drop as its own error.
pub(crate) async fn until_ended(
    state: &crate::state::AppState,
    run_id: &str,
    running: impl Fn() -> bool,
) -> Result<(), crate::http::error::ApiError> {
    use crate::http::error::ApiError;
    let deadline = tokio::time::Instant::now() + state.settings.sync_timeout;
    state
        .lifecycle
        .wait_until(deadline, || state.is_closed() || !running())
        .await;
    if state.is_closed() {
        let name = state.sandbox_name().unwrap_or(crate::sandboxes::DEFAULT);
        return Err(ApiError::SandboxDropped(name.to_owned()));
    }
    if running() {
        return Err(ApiError::SyncTimeout {
            run_id: run_id.to_owned(),
            seconds: state.settings.sync_timeout.as_secs(),
        });
    }
    Ok(())
}

/// The description of the family that views runs of `kind`.
pub fn describe(kind: ProcessorType) -> &'static Family {
    match kind {
        ProcessorType::Extract => &EXTRACT,
        ProcessorType::Classify => &CLASSIFY,
        ProcessorType::Splitter => &SPLIT,
    }
}

/// Every family's routes.
pub fn router() -> Router<Arc<Server>> {
    let mut router = Router::new();
    for &f in FAMILIES {
        router = router
            .route(
                &format!("/{}", f.runs_path),
                get(move |s, c, q| runs::list(f, s, c, q))
                    .post(move |s, c, b| runs::create(f, s, c, b)),
            )
            .route(
                &format!("/{}/{{id}}", f.runs_path),
                get(move |s, c, p| runs::retrieve(f, s, c, p))
                    .delete(move |s, c, p| runs::delete(f, s, c, p)),
            )
            .route(
                &format!("/{}/batch", f.runs_path),
                post(move |s, c, b| batches::create(f, s, c, b)),
            )
            .route(
                &format!("/{}/{{id}}/cancel", f.runs_path),
                post(move |s, c, p| runs::cancel(f, s, c, p)),
            )
            .route(
                &format!("/{}", f.sync_path),
                post(move |s, c, b| runs::create_sync(f, s, c, b)),
            )
            .route(
                &format!("/{}", f.processors_path),
                get(move |s, c, q| processors::list(f, s, c, q))
                    .post(move |s, c, b| processors::create(f, s, c, b)),
            )
            .route(
                &format!("/{}/{{id}}", f.processors_path),
                get(move |s, c, p| processors::retrieve(f, s, c, p))
                    .post(move |s, c, p, b| processors::update(f, s, c, p, b)),
            )
            .route(
                &format!("/{}/{{id}}/versions", f.processors_path),
                get(move |s, c, p, q| processors::versions(f, s, c, p, q))
                    .post(move |s, c, p, b| processors::publish(f, s, c, p, b)),
            )
            .route(
                &format!("/{}/{{id}}/versions/{{version_id}}", f.processors_path),
                get(move |s, c, p| processors::version(f, s, c, p)),
            );
    }
    for &f in &[&edit::EDIT, &edit::DETECT] {
        let runs = match f.kind {
            crate::store::edits::FormRunKind::Edit => {
                get(edit::list).post(move |s, c, h, b| edit::create(f, s, c, h, b))
            }
            crate::store::edits::FormRunKind::Detect => {
                post(move |s, c, h, b| edit::create(f, s, c, h, b))
            }
        };
        let one = get(move |s, c, p, h| edit::retrieve(f, s, c, p, h));
        let one = match f.kind {
            crate::store::edits::FormRunKind::Edit => one.delete(edit::delete),
            crate::store::edits::FormRunKind::Detect => one,
        };
        router = router
            .route(&format!("/{}", f.runs_path), runs)
            .route(&format!("/{}/{{id}}", f.runs_path), one)
            .route(
                &format!("/{}", f.sync_path),
                post(move |s, c, h, b| edit::create_sync(f, s, c, h, b)),
            );
    }
    router
        .route("/edit_templates", get(edit::templates))
        .route("/edit_templates/{id}", get(edit::template))
        .route("/edit_schemas/generate", post(edit::generate_schema))
        .route("/batch_runs/{id}", get(batches::retrieve))
        .route("/parse_runs", get(parse::list).post(parse::create))
        .route("/parse_runs/batch", post(batches::create_parse))
        .route(
            "/parse_runs/{id}",
            get(parse::retrieve).delete(parse::delete),
        )
        .route("/parse_runs/{id}/cancel", post(parse::cancel))
        .route("/parse", post(parse::create_sync))
        .route("/workflows", get(workflows::list).post(workflows::create))
        .route(
            "/workflows/{id}",
            get(workflows::retrieve).post(workflows::update),
        )
        .route(
            "/workflows/{id}/versions",
            get(workflows::versions).post(workflows::deploy),
        )
        .route(
            "/workflows/{id}/versions/{version_id}",
            get(workflows::version),
        )
        .route(
            "/workflow_runs",
            get(workflow_runs::list).post(workflow_runs::create),
        )
        .route("/workflow_runs/batch", post(workflow_runs::create_batch))
        .route(
            "/workflow_runs/{id}",
            get(workflow_runs::retrieve)
                .post(workflow_runs::update)
                .delete(workflow_runs::delete),
        )
        .route("/workflow_runs/{id}/cancel", post(workflow_runs::cancel))
        .route(
            "/webhook_subscriptions",
            get(subscriptions::list).post(subscriptions::create),
        )
        .route(
            "/webhook_subscriptions/{id}",
            get(subscriptions::retrieve)
                .post(subscriptions::update)
                .delete(subscriptions::delete),
        )
}
