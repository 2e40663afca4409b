//! Workflows and their versions: `/workflows` (list, create, retrieve,
//! update the draft) and `/workflows/{id}/versions` (list, deploy,
//! retrieve). A workflow's steps are the API's `WorkflowStepDefinition`s,
//! kept as given once checked: each has a unique `name`, `next` names other
//! steps, references name processors of the workspace. Deploying copies the
//! draft (or the steps given) into version `"1"`, `"2"`, …; a step that
//! needs a config and has none is a 400 naming it. What a run does with the
//! steps is `workflow_engine`'s.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::runs::{object_field, string_field};
use crate::domain::{EventType, JsonObject, PagedResource, ProcessorType, Timestamp};
use crate::http::auth::Caller;
use crate::http::body::{invalid_field, json_body};
use crate::http::context::Sandbox;
use crate::http::error::ApiError;
use crate::http::query::{TableList, parse_table_query};
use crate::state::AppState;
use crate::store::Store;
use crate::store::workflows::{DRAFT, Workflow, WorkflowVersion};

/// Every step type the SDKs declare (Python's `VALIDATION` and `ROUTER`
/// too).
pub const STEP_TYPES: &[&str] = &[
    "TRIGGER",
    "PARSE",
    "EXTRACT",
    "CLASSIFY",
    "SPLIT",
    "MERGE_EXTRACT",
    "CONDITIONAL",
    "CONDITIONAL_EXTRACT",
    "EXTERNAL_DATA_VALIDATION",
    "WEBHOOK_RESPONSE",
    "RULE_VALIDATION",
    "HUMAN_REVIEW",
    "COLLECT",
    "FILE_CONVERSION",
    "VALIDATION",
    "ROUTER",
];

/// Steps a version cannot be deployed with unless configured.
const NEED_CONFIG: &[&str] = &[
    "EXTRACT",
    "CLASSIFY",
    "SPLIT",
    "CONDITIONAL_EXTRACT",
    "RULE_VALIDATION",
    "EXTERNAL_DATA_VALIDATION",
    "CONDITIONAL",
];

/// The most steps a workflow may have.
pub const MAX_STEPS: usize = 100;

/// The most `next` entries one step may have.
pub const MAX_NEXT: usize = 50;

/// Step types whose step makes a run of another family.
pub const RUN_STEPS: &[&str] = &[
    "PARSE",
    "EXTRACT",
    "CLASSIFY",
    "SPLIT",
    "CONDITIONAL_EXTRACT",
];

fn not_found(id: &str) -> ApiError {
    ApiError::Missing(format!("Workflow `{id}` not found"))
}

use super::object::time;

/// A step's id (`step_…`): the same for the same name in every version of
/// the workflow, as the API keeps a step's identity by its name.
pub fn step_id(workflow_id: &str, name: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut digest = Sha256::new();
    digest.update(workflow_id.as_bytes());
    digest.update([0]);
    digest.update(name.as_bytes());
    let hash = digest.finalize();
    let mut id = String::from("step_");
    for byte in hash.iter().take(21) {
        id.push(ALPHABET[usize::from(*byte) % ALPHABET.len()] as char);
    }
    id
}

/// `WorkflowSummary`.
pub fn workflow_summary(w: &Workflow) -> Value {
    json!({
        "object": "workflow",
        "id": w.id,
        "name": w.name,
        "createdAt": time(w.created_at),
        "updatedAt": time(w.updated_at),
        "createdBy": null,
    })
}

/// `Workflow`: the summary with its draft version.
pub fn workflow_object(w: &Workflow) -> Value {
    let mut out = workflow_summary(w);
    out["draftVersion"] = version_object(&w.draft, true);
    out
}

/// `WorkflowVersion` (with its steps) or `WorkflowVersionSummary`.
pub fn version_object(v: &WorkflowVersion, with_steps: bool) -> Value {
    let mut out = Map::new();
    out.insert("object".into(), json!("workflow_version"));
    out.insert("id".into(), json!(v.id));
    out.insert("version".into(), json!(v.version));
    out.insert("name".into(), json!(v.name));
    if with_steps {
        out.insert(
            "steps".into(),
            Value::Array(v.steps.iter().cloned().map(Value::Object).collect()),
        );
    }
    out.insert("createdAt".into(), time(v.created_at));
    out.insert("createdBy".into(), Value::Null);
    Value::Object(out)
}

/// The steps a workflow made without any has: a trigger, then a parse.
fn default_steps() -> Vec<JsonObject> {
    let steps = json!([
        {"type": "TRIGGER", "name": "Trigger", "next": [{"step": "Parse"}]},
        {"type": "PARSE", "name": "Parse"},
    ]);
    steps
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_object().cloned())
        .collect()
}

/// A processor reference in a step's config: `{id, version?}` naming a
/// processor of `kind` in the workspace.
fn check_reference(
    store: &Store,
    workspace_id: &str,
    reference: &Value,
    kind: ProcessorType,
    at: &str,
) -> Result<(), ApiError> {
    let Some(reference) = reference.as_object() else {
        return Err(invalid_field(at, "must be an object `{id, version}`"));
    };
    let id = string_field(reference, "id", &format!("{at}.id"))?
        .ok_or_else(|| invalid_field(&format!("{at}.id"), "is required"))?;
    string_field(reference, "version", &format!("{at}.version"))?;
    let found = store
        .processor(workspace_id, &id)
        .is_some_and(|p| !p.inline && p.processor_type == kind);
    if !found {
        let noun = super::describe(kind).processor_key;
        return Err(invalid_field(
            &format!("{at}.id"),
            format!("no {noun} `{id}` in this workspace"),
        ));
    }
    Ok(())
}

/// Checks a body's `steps` and answers them as they will be kept.
pub fn read_steps(
    store: &Store,
    workspace_id: &str,
    steps: &Value,
) -> Result<Vec<JsonObject>, ApiError> {
    let Some(steps) = steps.as_array() else {
        return Err(invalid_field(
            "steps",
            "must be an array of step definitions",
        ));
    };
    if steps.len() > MAX_STEPS {
        return Err(invalid_field(
            "steps",
            format!(
                "has {} steps; a workflow may have at most {MAX_STEPS}",
                steps.len()
            ),
        ));
    }
    let mut names: Vec<&str> = Vec::with_capacity(steps.len());
    let mut kept = Vec::with_capacity(steps.len());
    for (i, step) in steps.iter().enumerate() {
        let at = format!("steps[{i}]");
        let Some(step) = step.as_object() else {
            return Err(invalid_field(
                &at,
                "must be an object `{type, name, config?, next?}`",
            ));
        };
        let kind = string_field(step, "type", &format!("{at}.type"))?
            .ok_or_else(|| invalid_field(&format!("{at}.type"), "is required"))?;
        if !STEP_TYPES.contains(&kind.as_str()) {
            return Err(invalid_field(
                &format!("{at}.type"),
                format!("`{kind}` is not one of {}", STEP_TYPES.join(", ")),
            ));
        }
        let name = step.get("name").and_then(Value::as_str).unwrap_or("");
        if name.trim().is_empty() {
            return Err(invalid_field(
                &format!("{at}.name"),
                "is required: a non-empty string",
            ));
        }
        if names.contains(&name) {
            return Err(invalid_field(
                &format!("{at}.name"),
                format!("`{name}` names another step too; step names are unique"),
            ));
        }
        names.push(name);
        if kind == "TRIGGER"
            && kept
                .iter()
                .any(|s: &JsonObject| s.get("type").and_then(Value::as_str) == Some("TRIGGER"))
        {
            return Err(invalid_field(
                &format!("{at}.type"),
                "a workflow has one TRIGGER step",
            ));
        }
        if let Some(config) = object_field(step, "config", &format!("{at}.config"))? {
            let refs: &[(&str, ProcessorType)] = match kind.as_str() {
                "EXTRACT" => &[("extractor", ProcessorType::Extract)],
                "CLASSIFY" => &[("classifier", ProcessorType::Classify)],
                "SPLIT" => &[("splitter", ProcessorType::Splitter)],
                _ => &[],
            };
            if kind == "CONDITIONAL_EXTRACT" {
                // Its rules' extractors run: each must be one of the workspace's.
                let rules = config
                    .get("rules")
                    .and_then(Value::as_array)
                    .filter(|r| !r.is_empty())
                    .ok_or_else(|| {
                        invalid_field(
                            &format!("{at}.config.rules"),
                            "is required: `[{formula, extractor}]`, the last one's formula `TRUE`",
                        )
                    })?;
                for (j, rule) in rules.iter().enumerate() {
                    let reference = rule.get("extractor").unwrap_or(&Value::Null);
                    check_reference(
                        store,
                        workspace_id,
                        reference,
                        ProcessorType::Extract,
                        &format!("{at}.config.rules[{j}].extractor"),
                    )?;
                }
            }
            for (key, processor_type) in refs {
                let inline = format!("{key}Config");
                match (config.get(*key), config.get(&inline)) {
                    (Some(reference), None) => check_reference(
                        store,
                        workspace_id,
                        reference,
                        *processor_type,
                        &format!("{at}.config.{key}"),
                    )?,
                    (None, Some(Value::Object(_))) => {}
                    (None, Some(_)) => {
                        return Err(invalid_field(
                            &format!("{at}.config.{inline}"),
                            "must be an object",
                        ));
                    }
                    _ => {
                        return Err(invalid_field(
                            &format!("{at}.config"),
                            format!("give exactly one of `{key}` or `{inline}`"),
                        ));
                    }
                }
            }
        }
        match step.get("next") {
            None | Some(Value::Null) => {}
            Some(Value::Array(next)) => {
                if next.len() > MAX_NEXT {
                    return Err(invalid_field(
                        &format!("{at}.next"),
                        format!(
                            "has {} entries; a step may lead to at most {MAX_NEXT}",
                            next.len()
                        ),
                    ));
                }
                for (j, entry) in next.iter().enumerate() {
                    let at = format!("{at}.next[{j}]");
                    let target = entry.get("step").and_then(Value::as_str);
                    if target.is_none_or(str::is_empty) {
                        return Err(invalid_field(
                            &format!("{at}.step"),
                            "is required: the name of a step",
                        ));
                    }
                }
            }
            Some(_) => return Err(invalid_field(&format!("{at}.next"), "must be an array")),
        }
        // `null` is read as absent (as the SDKs mean it), and kept so.
        let mut step = step.clone();
        step.retain(|_, value| !value.is_null());
        kept.push(step);
    }
    // Every `next` names a step of the workflow.
    for (i, step) in kept.iter().enumerate() {
        for (j, entry) in next_entries(step).enumerate() {
            let target = entry.get("step").and_then(Value::as_str).unwrap_or("");
            if !names.contains(&target) {
                return Err(invalid_field(
                    &format!("steps[{i}].next[{j}].step"),
                    format!("`{target}` is not the name of a step of this workflow"),
                ));
            }
        }
    }
    Ok(kept)
}

/// A step's `next` entries.
pub fn next_entries(step: &JsonObject) -> impl Iterator<Item = &JsonObject> {
    step.get("next")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

/// A version may be deployed only with every step that needs a config
/// configured.
fn check_deployable(steps: &[JsonObject]) -> Result<(), ApiError> {
    for (i, step) in steps.iter().enumerate() {
        let kind = step.get("type").and_then(Value::as_str).unwrap_or("");
        let configured = step.get("config").is_some_and(Value::is_object);
        if NEED_CONFIG.contains(&kind) && !configured {
            let name = step.get("name").and_then(Value::as_str).unwrap_or("");
            return Err(invalid_field(
                &format!("steps[{i}]"),
                format!(
                    "step `{name}` ({kind}) is not configured: give its `config` before deploying"
                ),
            ));
        }
    }
    Ok(())
}

/// An optional `name`: a non-empty string.
fn name_field(body: &JsonObject) -> Result<Option<String>, ApiError> {
    let name = string_field(body, "name", "name")?;
    if let Some(name) = &name
        && name.trim().is_empty()
    {
        return Err(invalid_field("name", "must not be empty"));
    }
    Ok(name)
}

/// `POST /workflows`: `{name, steps?}`.
pub async fn create(
    Sandbox(state): Sandbox,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    let body: JsonObject = json_body(body)?;
    let name = name_field(&body)?.ok_or_else(|| invalid_field("name", "is required"))?;
    let steps = match body.get("steps").filter(|s| !s.is_null()) {
        Some(steps) => read_steps(&state.store(), ws, steps)?,
        None => default_steps(),
    };
    let now = state.now();
    let workflow = Workflow {
        id: state.new_id("workflow_"),
        workspace_id: ws.to_owned(),
        name,
        created_at: now,
        updated_at: now,
        draft: WorkflowVersion {
            id: state.new_id("workflow_version_"),
            version: DRAFT.into(),
            name: None,
            steps: Arc::new(steps),
            created_at: now,
        },
        versions: Vec::new(),
    };
    let answer = workflow_object(&workflow);
    state.change_store(|store| store.workflows.workflows.insert(workflow.clone()));
    announce(&state, ws, EventType::WorkflowCreated, &answer);
    tracing::debug!(key = %caller.key_name, workspace = %ws, workflow = %workflow.id, "created a workflow");
    Ok(Json(answer))
}

/// `workflow.created` / `workflow.deployed` to the endpoints that take it.
fn announce(state: &AppState, workspace_id: &str, event: EventType, workflow: &Value) {
    let store = state.store();
    for event in
        crate::webhooks::events::to_subscribers(state, &store, workspace_id, event, None, || {
            workflow.clone()
        })
    {
        state.webhooks.push(event, state.now(), None);
    }
}

/// `GET /workflows/{id}`.
pub async fn retrieve(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let store = state.store();
    let workflow = store
        .workflows
        .workflows
        .get(&caller.workspace_id, &id)
        .ok_or_else(|| not_found(&id))?;
    Ok(Json(workflow_object(workflow)))
}

/// `POST /workflows/{id}`: `{name?, steps?}`; the steps replace the draft's.
pub async fn update(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    let body: JsonObject = json_body(body)?;
    let name = name_field(&body)?;
    let steps = match body.get("steps").filter(|s| !s.is_null()) {
        Some(steps) => Some(read_steps(&state.store(), ws, steps)?),
        None => None,
    };
    let now = state.now();
    let answer = state.change_store(|store| {
        let workflow = store
            .workflows
            .workflows
            .get_mut(ws, &id)
            .ok_or_else(|| not_found(&id))?;
        if let Some(name) = name {
            workflow.name = name;
        }
        if let Some(steps) = steps {
            workflow.draft.steps = Arc::new(steps);
        }
        workflow.updated_at = now.max(workflow.updated_at);
        Ok::<_, ApiError>(workflow_object(workflow))
    })?;
    Ok(Json(answer))
}

/// `GET /workflows`: in pages, by `createdAt` or `updatedAt`.
pub async fn list(
    Sandbox(state): Sandbox,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    let query = parse_table_query(
        raw.as_deref(),
        TableList {
            resource: PagedResource::Workflows,
            filters: &[],
            scope: None,
            with_sort_by: true,
        },
        ws,
        &state.signer,
        state.settings.paging,
    )?;
    let store = state.store();
    let items = store.workflows.workflows.in_workspace(ws).collect();
    Ok(Json(super::table_page(
        &state,
        ws,
        &query,
        items,
        |w: &Workflow, by| (by.of(w.created_at, w.updated_at), w.id.as_str()),
        workflow_summary,
    )))
}

/// `GET /workflows/{id}/versions`: the draft and every deployed version,
/// by `createdAt`.
pub async fn versions(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    let query = parse_table_query(
        raw.as_deref(),
        TableList {
            resource: PagedResource::WorkflowVersions,
            filters: &[],
            scope: Some(&id),
            with_sort_by: false,
        },
        ws,
        &state.signer,
        state.settings.paging,
    )?;
    let store = state.store();
    let workflow = store
        .workflows
        .workflows
        .get(ws, &id)
        .ok_or_else(|| not_found(&id))?;
    let all: Vec<&WorkflowVersion> = std::iter::once(&workflow.draft)
        .chain(workflow.versions.iter())
        .collect();
    Ok(Json(super::table_page(
        &state,
        ws,
        &query,
        all,
        |v: &WorkflowVersion, _| (v.created_at.unix_nanos(), v.id.as_str()),
        |v| version_object(v, false),
    )))
}

/// `POST /workflows/{id}/versions`: `{name?, steps?}` deploys the steps
/// given (the draft untouched) or the draft's, as the next number.
pub async fn deploy(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    // The SDKs send `{}`, or nothing at all when no field is set.
    let body: JsonObject = match &body {
        Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => JsonObject::new(),
        _ => json_body(body)?,
    };
    let name = name_field(&body)?;
    let given = match body.get("steps").filter(|s| !s.is_null()) {
        Some(steps) => Some(read_steps(&state.store(), ws, steps)?),
        None => None,
    };
    let version_id = state.new_id("workflow_version_");
    let now = state.now();
    let (version, workflow) = state.change_store(|store| {
        let workflow = store
            .workflows
            .workflows
            .get_mut(ws, &id)
            .ok_or_else(|| not_found(&id))?;
        let steps = given.map_or_else(|| Arc::clone(&workflow.draft.steps), Arc::new);
        check_deployable(&steps)?;
        let version = WorkflowVersion {
            id: version_id,
            version: (workflow.versions.len() + 1).to_string(),
            name,
            steps,
            created_at: now,
        };
        let answer = version_object(&version, true);
        workflow.versions.push(version);
        workflow.updated_at = now.max(workflow.updated_at);
        Ok::<_, ApiError>((answer, workflow_object(workflow)))
    })?;
    announce(&state, ws, EventType::WorkflowDeployed, &workflow);
    Ok(Json(version))
}

/// `GET /workflows/{id}/versions/{version}`: `draft`, `latest`, a number
/// or a version's id.
pub async fn version(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path((id, version)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let store = state.store();
    let workflow = store
        .workflows
        .workflows
        .get(&caller.workspace_id, &id)
        .ok_or_else(|| not_found(&id))?;
    let found = match version.as_str() {
        "latest" => Some(workflow.latest()),
        other => workflow.version(other),
    };
    let found = found
        .ok_or_else(|| ApiError::Missing(format!("Workflow `{id}` has no version `{version}`")))?;
    Ok(Json(version_object(found, true)))
}

/// When a fixture's workflow and its versions were made, if it says not.
const FIXTURE_TIME: &str = "2024-03-01T00:00:00Z";

/// A version's id in a fixture's workflow: the same for the same workflow
/// and number on every start.
fn fixture_version_id(workflow_id: &str, version: &str) -> String {
    let step = step_id(workflow_id, &format!("\0version {version}"));
    format!("workflow_version_{}", &step["step_".len()..])
}

/// Adds a fixture's workflow; `Err((path under it, reason))`.
pub fn add_fixture(
    store: &mut Store,
    fixture: &crate::fixtures::FixtureWorkflow,
) -> Result<(), (String, String)> {
    let at = |path: &str, reason: String| (path.to_owned(), reason);
    crate::domain::check_id(&fixture.id).map_err(|e| at(".id", e.to_string()))?;
    if !fixture.id.starts_with("workflow_") {
        return Err(at(
            ".id",
            format!("`{}` does not start with `workflow_`", fixture.id),
        ));
    }
    if store.workflows.workflows.contains(&fixture.id) {
        return Err(at(".id", format!("duplicate workflow id `{}`", fixture.id)));
    }
    if store.workspace_org(&fixture.workspace_id).is_none() {
        return Err(at(
            ".workspaceId",
            format!("unknown workspace `{}`", fixture.workspace_id),
        ));
    }
    if fixture.name.trim().is_empty() {
        return Err(at(".name", "must not be empty".into()));
    }
    // A refusal reads as the API's; here it is a path in the document.
    let reason = |e: ApiError| {
        let message = e.client_message();
        let message = message
            .strip_prefix(crate::http::body::REQUEST_BODY)
            .and_then(|m| m.strip_prefix(": "))
            .unwrap_or(&message)
            .to_owned();
        (String::new(), message)
    };
    let ws = fixture.workspace_id.as_str();
    let steps = read_steps(store, ws, &Value::Array(fixture.steps.clone())).map_err(|e| {
        let (_, m) = reason(e);
        (String::new(), m)
    })?;
    let at_time = fixture
        .created_at
        .unwrap_or_else(|| Timestamp::parse(FIXTURE_TIME).expect("a valid time"));
    let mut versions = Vec::with_capacity(fixture.versions.len());
    for (i, version) in fixture.versions.iter().enumerate() {
        let steps = read_steps(store, ws, &Value::Array(version.steps.clone()))
            .and_then(|steps| check_deployable(&steps).map(|()| steps))
            .map_err(|e| {
                let (_, m) = reason(e);
                (format!(".versions[{i}]"), m)
            })?;
        let number = (i + 1).to_string();
        versions.push(WorkflowVersion {
            id: fixture_version_id(&fixture.id, &number),
            version: number,
            name: version.name.clone(),
            steps: Arc::new(steps),
            created_at: at_time,
        });
    }
    store.workflows.workflows.insert(Workflow {
        id: fixture.id.clone(),
        workspace_id: ws.to_owned(),
        name: fixture.name.clone(),
        created_at: at_time,
        updated_at: at_time,
        draft: WorkflowVersion {
            id: fixture_version_id(&fixture.id, DRAFT),
            version: DRAFT.into(),
            name: None,
            steps: Arc::new(steps),
            created_at: at_time,
        },
        versions,
    });
    Ok(())
}

/// The store's workflows as a fixture document declares them.
pub fn export(store: &Store) -> Vec<crate::fixtures::FixtureWorkflow> {
    let mut workflows: Vec<&Workflow> = store.workflows.workflows.iter().collect();
    workflows.sort_by_key(|w| (w.created_at.unix_nanos(), w.id.clone()));
    workflows
        .into_iter()
        .map(|w| crate::fixtures::FixtureWorkflow {
            id: w.id.clone(),
            workspace_id: w.workspace_id.clone(),
            name: w.name.clone(),
            created_at: Some(w.created_at),
            steps: w.draft.steps.iter().cloned().map(Value::Object).collect(),
            versions: w
                .versions
                .iter()
                .map(|v| crate::fixtures::FixtureWorkflowVersion {
                    name: v.name.clone(),
                    steps: v.steps.iter().cloned().map(Value::Object).collect(),
                })
                .collect(),
        })
        .collect()
}
