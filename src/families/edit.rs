//! Edit runs and form detection runs (`/edit_runs`, `POST /edit`,
//! `/form_detection_runs`, `POST /detect_form`), `POST /edit_schemas/generate`
//! and edit templates (`/edit_templates`, declared in fixtures).
//!
//! The two run families are one description each (`FormFamily`) over one
//! kind of record (`store::edits::FormRun`); what differs is the output
//! their maker writes (`full_run::edit`): detection reads a PDF's form as an
//! edit schema, an edit fills it and stores the filled PDF as a new file.
//! The PDF is read (and filled) when the run is made, off the async
//! workers; its end only stores the result. Runs live as parse runs do:
//! made `PROCESSING`, ended after `--processing-time`, steered by markers in
//! the file's url or name and by rules naming a file, and by the control
//! plane's finish, fail and hold.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery};
use axum::http::HeaderMap;
use serde_json::{Map, Value, json};

use super::runs::{object_field, string_field};
use crate::domain::pdf_form::{self, FieldKind, FieldSpec, PdfProblem};
use crate::domain::{JsonObject, PagedResource, RunStatus, StoredFile, Timestamp, check_file_name};
use crate::full_run::edit::{self as maker, Seed};
use crate::http::auth::Caller;
use crate::http::body::{invalid_field, json_body};
use crate::http::context::Sandbox;
use crate::http::error::ApiError;
use crate::http::query::{TableList, enum_value, parse_table_query};
use crate::lifecycle::{Marker, Outcome};
use crate::routes::processor_runs::name_from_url;
use crate::rules::RuleOutcome;
use crate::state::AppState;
use crate::store::edits::{EditTemplate, FixtureTemplate, FormRun, FormRunKind, Prepared};

/// What one of the two families is.
#[derive(Debug)]
pub struct FormFamily {
    pub kind: FormRunKind,
    /// `edit_runs`: the runs' path segment.
    pub runs_path: &'static str,
    /// `edit`: the sync call's path segment.
    pub sync_path: &'static str,
    /// `edit_run`: the run object's `object`.
    pub object: &'static str,
    /// `Edit run`: how errors name a run.
    pub noun: &'static str,
    pub prefix: &'static str,
    /// `FILE_TYPE_NOT_SUPPORTED`'s message, as the API words it.
    pub not_pdf: &'static str,
}

pub static EDIT: FormFamily = FormFamily {
    kind: FormRunKind::Edit,
    runs_path: "edit_runs",
    sync_path: "edit",
    object: "edit_run",
    noun: "Edit run",
    prefix: "edr_",
    not_pdf: "File type not supported. Edit runs currently require a PDF.",
};

pub static DETECT: FormFamily = FormFamily {
    kind: FormRunKind::Detect,
    runs_path: "form_detection_runs",
    sync_path: "detect_form",
    object: "form_detection_run",
    noun: "Form detection run",
    prefix: "sgr_",
    not_pdf: "File type not supported. Form schema detection currently requires a PDF.",
};

pub fn describe(kind: FormRunKind) -> &'static FormFamily {
    match kind {
        FormRunKind::Edit => &EDIT,
        FormRunKind::Detect => &DETECT,
    }
}

/// The engine versions the SDKs name; `latest` (and none) is `1.0.0`.
const ENGINES: &[&str] = &["1.0.0", "1.0.0-beta", "0.0.1"];

/// One PDF is read (or filled) at a time: what a file may cost is bounded
/// (`pdf_form`), and so is what all requests at once may cost.
static PDF_WORK: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// Runs blocking PDF work off the async workers, one at a time.
async fn pdf_work<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    // The turn goes with the work: a client that hangs up does not free it
    // while the work still runs.
    let turn = PDF_WORK
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("the PDF queue closed: {e}")))?;
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        work()
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("reading the PDF stopped: {e}")))
}

/// How long an edited file's link lasts, as the API documents it.
const LINK_SECONDS: i64 = 15 * 60;

fn not_found(f: &FormFamily, id: &str) -> ApiError {
    ApiError::Missing(format!("{} `{id}` not found", f.noun))
}

/// A failure reason and its message.
type Failure = (String, String);

fn failure_of(f: &FormFamily, problem: PdfProblem) -> Failure {
    let (reason, message) = match problem {
        PdfProblem::NotPdf => ("FILE_TYPE_NOT_SUPPORTED", f.not_pdf),
        PdfProblem::Corrupt => (
            "CORRUPT_FILE",
            "The file is corrupt or could not be read as a PDF.",
        ),
        PdfProblem::TooComplex => (
            "CORRUPT_FILE",
            "The file could not be read: it declares more objects or streams than this server \
             reads (100,000 objects, 5,000 streams).",
        ),
        PdfProblem::PasswordProtected => (
            "PASSWORD_PROTECTED_FILE",
            "The file is password protected; give its password in `file.settings.password`.",
        ),
    };
    (reason.to_owned(), message.to_owned())
}

fn message_for(f: &FormFamily, reason: &str) -> String {
    match reason {
        "FILE_TYPE_NOT_SUPPORTED" => f.not_pdf.to_owned(),
        "CORRUPT_FILE" => failure_of(f, PdfProblem::Corrupt).1,
        "PASSWORD_PROTECTED_FILE" => failure_of(f, PdfProblem::PasswordProtected).1,
        "EMPTY_SCHEMA" => "No schema was provided and no fields could be detected.".into(),
        other => crate::lifecycle::failure_message(other),
    }
}

// ---------------------------------------------------------------- configs

fn engine(config: &JsonObject, at: &str) -> Result<String, ApiError> {
    match string_field(config, "engineVersion", at)?.as_deref() {
        None | Some("latest") => Ok("1.0.0".into()),
        Some(v) if ENGINES.contains(&v) => Ok(v.to_owned()),
        Some(other) => Err(invalid_field(
            at,
            format!("`{other}` is not one of latest, {}", ENGINES.join(", ")),
        )),
    }
}

/// An `EditRootJson`: an object schema with `properties`.
fn check_schema(config: &JsonObject, key: &str, at: &str) -> Result<(), ApiError> {
    let Some(schema) = object_field(config, key, at)? else {
        return Ok(());
    };
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        return Err(invalid_field(at, "`type` must be \"object\""));
    }
    match schema.get("properties") {
        Some(Value::Object(properties)) => match properties.iter().find(|(_, p)| !p.is_object()) {
            Some((key, _)) => Err(invalid_field(
                &format!("{at}.properties.{key}"),
                "must be an object (a field's schema)",
            )),
            None => Ok(()),
        },
        _ => Err(invalid_field(
            at,
            "`properties` is required: an object of fields",
        )),
    }
}

/// `advancedOptions`: the known flags booleans, their defaults filled in.
fn options(config: &mut JsonObject, at: &str, defaults: &[(&str, bool)]) -> Result<(), ApiError> {
    let mut given = object_field(config, "advancedOptions", at)?
        .cloned()
        .unwrap_or_default();
    for (key, default) in defaults {
        match given.get(*key) {
            None | Some(Value::Null) => {
                given.insert((*key).to_owned(), json!(default));
            }
            Some(Value::Bool(_)) => {}
            Some(_) => return Err(invalid_field(&format!("{at}.{key}"), "must be a boolean")),
        }
    }
    config.insert("advancedOptions".into(), Value::Object(given));
    Ok(())
}

fn texts(config: &JsonObject, keys: &[(&str, &str)]) -> Result<(), ApiError> {
    for (key, at) in keys {
        string_field(config, key, at)?;
    }
    Ok(())
}

/// An edit run's config, as the run shows it: the template's saved config
/// under the request's (the request's wins, key by key and option by
/// option), the engine resolved, the options' defaults filled in.
fn read_edit_config(
    given: Option<&JsonObject>,
    saved: Option<&JsonObject>,
) -> Result<JsonObject, ApiError> {
    let mut config = saved.cloned().unwrap_or_default();
    if let Some(given) = given {
        for (key, value) in given {
            match (key.as_str(), value, config.get_mut(key)) {
                ("advancedOptions", Value::Object(mine), Some(Value::Object(theirs))) => {
                    for (k, v) in mine {
                        theirs.insert(k.clone(), v.clone());
                    }
                }
                _ => {
                    config.insert(key.clone(), value.clone());
                }
            }
        }
    }
    config.retain(|_, v| !v.is_null());
    let engine = engine(&config, "config.engineVersion")?;
    check_schema(&config, "schema", "config.schema")?;
    texts(
        &config,
        &[
            ("instructions", "config.instructions"),
            (
                "schemaGenerationInstructions",
                "config.schemaGenerationInstructions",
            ),
        ],
    )?;
    options(
        &mut config,
        "config.advancedOptions",
        &[
            ("tableParsingEnabled", false),
            ("flattenPdf", engine != "1.0.0-beta"),
            ("radioEnumsEnabled", engine != "0.0.1"),
            ("nativeFieldsOnly", false),
            ("conditionalGenerationEnabled", false),
        ],
    )?;
    config.insert("engineVersion".into(), json!(engine));
    Ok(config)
}

/// A form detection's config (`EditSchemaGenerationConfig`), as shown.
fn read_detect_config(given: Option<&JsonObject>) -> Result<JsonObject, ApiError> {
    let mut config = given.cloned().unwrap_or_default();
    config.retain(|_, v| !v.is_null());
    let engine = engine(&config, "config.engineVersion")?;
    check_schema(&config, "inputSchema", "config.inputSchema")?;
    texts(&config, &[("instructions", "config.instructions")])?;
    options(
        &mut config,
        "config.advancedOptions",
        &[
            ("tableParsingEnabled", false),
            ("radioEnumsEnabled", engine != "0.0.1"),
            ("nativeFieldsOnly", false),
            ("conditionalGenerationEnabled", false),
        ],
    )?;
    config.insert("engineVersion".into(), json!(engine));
    Ok(config)
}

fn flag(config: &JsonObject, key: &str) -> bool {
    config
        .get("advancedOptions")
        .and_then(|o| o.get(key))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

// ------------------------------------------------------------------ input

/// The file a run reads.
struct Input {
    name: String,
    /// An uploaded file's (or a template's): its summary and bytes. A file
    /// known only by its url has neither: its form is made up.
    stored: Option<(JsonObject, Bytes)>,
    password: Option<String>,
    /// Where markers are looked for: the url and the name.
    marker: String,
}

fn read_input(
    state: &AppState,
    workspace_id: &str,
    f: &FormFamily,
    body: &JsonObject,
) -> Result<(Input, Option<EditTemplate>), ApiError> {
    let template_id = match f.kind {
        FormRunKind::Edit => string_field(body, "templateId", "templateId")?,
        FormRunKind::Detect => None,
    };
    let file = object_field(body, "file", "file")?;
    let stored_input = |stored: &StoredFile| -> Result<(JsonObject, Bytes), ApiError> {
        Ok((
            super::object::stored_file_summary(stored)?,
            stored.content.clone(),
        ))
    };
    match (file, template_id) {
        (Some(_), Some(_)) => Err(invalid_field(
            "templateId",
            "give `file` or `templateId`, not both",
        )),
        (None, None) => Err(invalid_field(
            "file",
            match f.kind {
                FormRunKind::Edit => "is required (`{url, name?}` or `{id}`), or a `templateId`",
                FormRunKind::Detect => "is required: `{url, name?}` or `{id}`",
            },
        )),
        (None, Some(template_id)) => {
            let store = state.store();
            let template = store
                .edits
                .templates
                .get(workspace_id, &template_id)
                .ok_or_else(|| {
                    ApiError::Missing(format!("Edit template `{template_id}` not found"))
                })?
                .clone();
            let stored = store
                .file(workspace_id, &template.file_id)
                .ok_or_else(|| ApiError::FileNotFound(template.file_id.clone()))?;
            let input = Input {
                name: stored.name.clone(),
                stored: Some(stored_input(stored)?),
                password: None,
                marker: stored.name.clone(),
            };
            Ok((input, Some(template)))
        }
        (Some(file), None) => {
            let url = string_field(file, "url", "file.url")?;
            let id = string_field(file, "id", "file.id")?;
            let name = string_field(file, "name", "file.name")?;
            if file.get("text").is_some_and(|t| !t.is_null()) {
                return Err(invalid_field(
                    "file.text",
                    "is not taken here; give `url` or `id`",
                ));
            }
            let password = match object_field(file, "settings", "file.settings")? {
                Some(settings) => string_field(settings, "password", "file.settings.password")?,
                None => None,
            };
            match (url, id) {
                (Some(url), None) => {
                    let name = match name {
                        Some(name) => name,
                        None => name_from_url(&url).ok_or_else(|| {
                            invalid_field(
                                "file.url",
                                format!("`{url}` is not an http(s) URL with a path"),
                            )
                        })?,
                    };
                    check_file_name(&name).map_err(|e| invalid_field("file.name", e))?;
                    let marker = format!("{url} {name}");
                    Ok((
                        Input {
                            name,
                            stored: None,
                            password,
                            marker,
                        },
                        None,
                    ))
                }
                (None, Some(id)) => {
                    let store = state.store();
                    let stored = store
                        .file(workspace_id, &id)
                        .ok_or_else(|| ApiError::FileNotFound(id.clone()))?;
                    Ok((
                        Input {
                            name: stored.name.clone(),
                            stored: Some(stored_input(stored)?),
                            password,
                            marker: stored.name.clone(),
                        },
                        None,
                    ))
                }
                _ => Err(invalid_field("file", "give exactly one of `url` or `id`")),
            }
        }
    }
}

/// The form made for a file known only by its url: the schema's fields
/// when one is given, else a short application form.
fn made_up_fields(schema: Option<&JsonObject>) -> Vec<FieldSpec> {
    if let Some(schema) = schema {
        let fields = maker::fields_of_schema(schema);
        if !fields.is_empty() {
            return fields;
        }
    }
    let spec = |name: &str, label: &str, kind, options: &[&str]| FieldSpec {
        name: name.into(),
        label: label.into(),
        kind,
        options: options.iter().map(|o| (*o).to_owned()).collect(),
    };
    vec![
        spec("full_name", "Full name", FieldKind::Text, &[]),
        spec("email", "Email", FieldKind::Text, &[]),
        spec("phone_number", "Phone number", FieldKind::Text, &[]),
        spec("date", "Date", FieldKind::Text, &[]),
        spec("address", "Address", FieldKind::Text, &[]),
        spec(
            "contact_method",
            "Preferred contact method",
            FieldKind::Radio,
            &["Email", "Phone", "Mail"],
        ),
        spec(
            "state",
            "State",
            FieldKind::Dropdown,
            &["CA", "NY", "TX", "WA"],
        ),
        spec(
            "agree_to_terms",
            "I agree to the terms",
            FieldKind::Checkbox,
            &[],
        ),
        spec("signature", "Signature", FieldKind::Signature, &[]),
    ]
}

/// `<stem>_edited.pdf`, the stem cut (at a char) to keep the name within
/// the longest file name.
fn edited_name(input: &str) -> String {
    const SUFFIX: &str = "_edited.pdf";
    let stem = input.rsplit_once('.').map_or(input, |(s, _)| s);
    let mut end = stem.len().min(crate::domain::MAX_FILE_NAME - SUFFIX.len());
    while !stem.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{SUFFIX}", &stem[..end])
}

fn is_pdf_name(name: &str) -> bool {
    match name.rsplit_once('.') {
        Some((_, ext)) => ext.eq_ignore_ascii_case("pdf"),
        // A url without an extension may well serve a PDF.
        None => true,
    }
}

fn ms(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 1e6).round() / 1e3
}

/// Where an edit's file goes: its id and workspace, and when it is made.
struct Target<'a> {
    file_id: &'a str,
    workspace_id: &'a str,
    at: Timestamp,
}

/// Reads (and for an edit, fills) the run's PDF: what it ends with, the
/// edited file made (its type, pages and text read) here, not under the
/// store's lock. Blocking work: called off the async workers.
fn prepare(
    f: &FormFamily,
    input: &Input,
    config: &JsonObject,
    seed: &Seed<'_>,
    target: &Target<'_>,
) -> Result<Prepared, Failure> {
    let (schema_key, radio_enums) = match f.kind {
        FormRunKind::Edit => ("schema", flag(config, "radioEnumsEnabled")),
        FormRunKind::Detect => ("inputSchema", flag(config, "radioEnumsEnabled")),
    };
    let given_schema = config.get(schema_key).and_then(Value::as_object);
    let made;
    let bytes: &[u8] = match &input.stored {
        Some((_, bytes)) => bytes,
        None if !is_pdf_name(&input.name) => return Err(failure_of(f, PdfProblem::NotPdf)),
        None => {
            let title = input
                .name
                .rsplit_once('.')
                .map_or(input.name.as_str(), |(s, _)| s);
            made = pdf_form::make_form(title, &made_up_fields(given_schema));
            &made
        }
    };
    let started = Instant::now();
    let mut form =
        pdf_form::open(bytes, input.password.as_deref()).map_err(|p| failure_of(f, p))?;
    let detected = maker::detect(&form.fields, radio_enums);
    let detection_ms = ms(started);
    let annotating = Instant::now();
    let detected_count = form.fields.len();
    let annotation_ms = ms(annotating);
    let empty = || ("EMPTY_SCHEMA".to_owned(), message_for(f, "EMPTY_SCHEMA"));
    let mut metrics = Map::new();
    metrics.insert("pageCount".into(), json!(form.page_count));
    metrics.insert("fieldsDetectedCount".into(), json!(detected_count));
    metrics.insert("fieldsAnnotatedCount".into(), json!(detected.annotated));
    metrics.insert("fieldDetectionTimeMs".into(), json!(detection_ms));
    metrics.insert("fieldAnnotationTimeMs".into(), json!(annotation_ms));
    let page_count = form.page_count;
    match f.kind {
        FormRunKind::Detect => {
            if detected_count == 0 && given_schema.is_none() {
                return Err(empty());
            }
            let fields = detected.bindings.len();
            metrics.insert("fieldCount".into(), json!(fields));
            let annotated = Value::Object(detected.schema.clone());
            let mapping = given_schema.map(|s| maker::mapping(s, &detected));
            let output = json!({
                "schema": annotated,
                "annotatedSchema": annotated,
                "mappingResult": mapping,
            });
            Ok(Prepared {
                output: output.as_object().cloned().unwrap_or_default(),
                edited: None,
                metrics,
                page_count,
            })
        }
        FormRunKind::Edit => {
            let schema = match given_schema {
                Some(schema) => schema,
                None if detected_count == 0 => return Err(empty()),
                None => &detected.schema,
            };
            let filling = Instant::now();
            let instructions = config.get("instructions").and_then(Value::as_str);
            let fill = maker::fill(schema, &form.fields, &detected, instructions, seed);
            form.fill(&fill.values, flag(config, "flattenPdf"))
                .map_err(|p| failure_of(f, p))?;
            let bytes = form.save().map_err(|p| failure_of(f, p))?;
            metrics.insert("fieldFillingTimeMs".into(), json!(ms(filling)));
            let field_count = schema
                .get("properties")
                .and_then(Value::as_object)
                .map_or(0, Map::len);
            metrics.insert("fieldCount".into(), json!(field_count));
            let mut output = JsonObject::new();
            // Left out when nothing was filled, as the API documents.
            if !fill.filled.is_empty() {
                output.insert("filledValues".into(), Value::Object(fill.filled));
            }
            Ok(Prepared {
                output,
                edited: Some(StoredFile::new(
                    target.file_id.to_owned(),
                    target.workspace_id.to_owned(),
                    edited_name(&input.name),
                    Bytes::from(bytes),
                    target.at,
                )),
                metrics,
                page_count,
            })
        }
    }
}

// ----------------------------------------------------------------- objects

/// A signed download link of a file, as `GET /files/{id}` gives.
fn file_link(state: &AppState, base: &str, workspace_id: &str, file_id: &str) -> String {
    crate::routes::files::download_link(state, base, workspace_id, file_id, LINK_SECONDS)
}

fn failure(run: &FormRun) -> (Option<&String>, Option<&String>) {
    run.failure
        .as_ref()
        .map_or((None, None), |(r, m)| (Some(r), Some(m)))
}

fn usage(run: &FormRun) -> Value {
    match (run.status, run.credits) {
        (RunStatus::Processed, Some(c)) => json!({"credits": c, "totalCredits": c}),
        _ => Value::Null,
    }
}

/// The run's output, its edited file's link signed for `base`.
fn output(state: &AppState, run: &FormRun, base: &str) -> Value {
    let Some(output) = &run.output else {
        return Value::Null;
    };
    let mut output = output.clone();
    if let Some(Value::Object(edited)) = output.get_mut("editedFile")
        && let Some(id) = edited.get("id").and_then(Value::as_str).map(str::to_owned)
        && !edited.contains_key("presignedUrl")
    {
        edited.insert(
            "presignedUrl".into(),
            json!(file_link(state, base, &run.workspace_id, &id)),
        );
    }
    Value::Object(output)
}

/// `EditRun` / `FormDetectionRun`: every key the SDK types declare.
pub(crate) fn run_object(state: &AppState, run: &FormRun, base: &str) -> Value {
    let f = describe(run.kind);
    let (reason, message) = failure(run);
    json!({
        "object": f.object,
        "id": run.id,
        "file": run.file,
        "status": run.status.as_str(),
        "failureReason": reason,
        "failureMessage": message,
        "config": run.config,
        "output": output(state, run, base),
        "metrics": run.metrics,
        "usage": usage(run),
    })
}

/// `EditRunSummary` (Python SDK): no config or output; with its times.
fn summary(run: &FormRun) -> Value {
    let (reason, message) = failure(run);
    json!({
        "object": "edit_run",
        "id": run.id,
        "file": run.file,
        "status": run.status.as_str(),
        "failureReason": reason,
        "failureMessage": message,
        "metrics": run.metrics,
        "usage": usage(run),
        "createdAt": run.created_at.to_rfc3339(),
        "updatedAt": run.updated_at.to_rfc3339(),
    })
}

fn answer(
    state: &AppState,
    f: &FormFamily,
    workspace_id: &str,
    id: &str,
    base: &str,
) -> Result<Value, ApiError> {
    let store = state.store();
    let run = store
        .edits
        .runs
        .get(workspace_id, id)
        .filter(|r| r.kind == f.kind)
        .ok_or_else(|| not_found(f, id))?;
    Ok(run_object(state, run, base))
}

// ------------------------------------------------------------------ making

/// Makes a run: reads the body, reads the PDF (off the async workers),
/// stores the run `PROCESSING` and schedules its end. Its id.
async fn make(
    state: &Arc<AppState>,
    f: &'static FormFamily,
    workspace_id: &str,
    body: JsonObject,
    base: String,
) -> Result<String, ApiError> {
    let (input, template) = read_input(state, workspace_id, f, &body)?;
    let config = match f.kind {
        FormRunKind::Edit => read_edit_config(
            object_field(&body, "config", "config")?,
            template.as_ref().map(|t| &t.config),
        )?,
        FormRunKind::Detect => read_detect_config(object_field(&body, "config", "config")?)?,
    };
    let epoch = state.epoch();
    let id = state.new_id(f.prefix);
    let edited_id = state.new_id("file_");
    let made_file_id = state.new_id("file_");
    let now = state.now();
    let base_time = state.settings.processing_time;
    let rule = || {
        let rules = state
            .rules
            .lock()
            .expect("a thread panicked holding the rules");
        rules.matching("", &input.name).map(|r| r.outcome())
    };
    let failed = |reason: String, message: Option<String>| Outcome::Failed {
        message: message.unwrap_or_else(|| message_for(f, &reason)),
        reason,
    };
    // (when it ends, how; None: held) before the PDF is read.
    let steer: Option<(std::time::Duration, Option<Outcome>)> = match Marker::find(&input.marker) {
        Some(Marker::Hold) => None,
        Some(Marker::Slow) => Some((base_time * 10, None)),
        Some(Marker::Fail(reason)) => Some((
            base_time,
            Some(failed(
                reason.unwrap_or_else(|| "FILE_TYPE_NOT_SUPPORTED".into()),
                None,
            )),
        )),
        None => match rule() {
            Some(RuleOutcome::Hold) => None,
            Some(RuleOutcome::Fail { reason, message }) => {
                Some((base_time, Some(failed(reason, message))))
            }
            Some(RuleOutcome::Output(output)) => Some((
                base_time,
                Some(Outcome::Processed {
                    credits_thousandths: 1000,
                    output: Some(Arc::new(output)),
                }),
            )),
            None => Some((base_time, None)),
        },
    };
    let worked = {
        let (input, config, id, edited_id) = (
            Arc::new(input),
            Arc::new(config.clone()),
            id.clone(),
            edited_id.clone(),
        );
        let name = input.name.clone();
        let input_for_work = Arc::clone(&input);
        let workspace = workspace_id.to_owned();
        let result = pdf_work(move || {
            let seed = Seed {
                run_id: &id,
                created_nanos: now.unix_nanos(),
                file_name: &name,
            };
            let target = Target {
                file_id: &edited_id,
                workspace_id: &workspace,
                at: now,
            };
            prepare(f, &input_for_work, &config, &seed, &target)
        })
        .await?;
        (input, result)
    };
    let (input, mut result) = worked;
    // The edited file, kept until the run ends, counts against the files a
    // sandbox may hold from now (as an upload would).
    if let Ok(Prepared {
        edited: Some(file), ..
    }) = &result
        && let Err(e) = room_for(state, file.content.len())
    {
        result = Err((
            "INTERNAL_ERROR".to_owned(),
            format!("The edited file could not be stored: {e}"),
        ));
    }
    let page_count = match &result {
        Ok(prepared) => Some(prepared.page_count),
        Err(_) => None,
    };
    let file = match &input.stored {
        Some((summary, _)) => summary.clone(),
        None => super::object::named_file_summary(
            made_file_id,
            &input.name,
            crate::domain::detect_type(&input.name, b"").map(|t| t.as_str()),
            page_count,
            now,
        ),
    };
    let (prepared, failure) = match result {
        Ok(prepared) => (Some(Arc::new(prepared)), None),
        Err(failure) => (None, Some(failure)),
    };
    let end = steer.map(|(delay, outcome)| {
        let outcome = outcome.unwrap_or_else(|| match &failure {
            Some((reason, message)) => failed(reason.clone(), Some(message.clone())),
            None => Outcome::Processed {
                credits_thousandths: 1000 * u64::from(page_count.unwrap_or(1).max(1)),
                output: None,
            },
        });
        (delay, outcome)
    });
    let run = FormRun {
        id: id.clone(),
        workspace_id: workspace_id.to_owned(),
        kind: f.kind,
        status: RunStatus::Processing,
        file,
        file_name: input.name.clone(),
        config,
        output: None,
        prepared,
        metrics: None,
        failure: None,
        credits: None,
        base_url: base,
        created_at: now,
        updated_at: now,
    };
    state.change_store(|store| {
        // A reset (or new fixtures) while the PDF was read: this run was
        // for a state that is gone.
        if state.epoch() != epoch {
            return Err(ApiError::Conflict(
                "The state was reset while this run was being made; make it again".into(),
            ));
        }
        store.edits.runs.insert(run);
        if let Some((delay, outcome)) = end {
            state
                .lifecycle
                .schedule_form(epoch, workspace_id, &id, delay, outcome);
        }
        Ok(())
    })?;
    tracing::debug!(workspace = %workspace_id, run = %id, "created a {}", f.object);
    Ok(id)
}

/// Whether `size` more bytes of files fit the sandbox's `--max-file-size`
/// and `--max-files-size`, counting the edited files of runs yet to end.
fn room_for(state: &AppState, size: usize) -> Result<(), String> {
    let limits = state.settings.file_limits;
    if size > limits.max_file_bytes {
        return Err(format!(
            "it is {size} bytes; this server takes files of at most {} bytes (--max-file-size)",
            limits.max_file_bytes
        ));
    }
    let store = state.store();
    let pending: usize = store
        .edits
        .runs
        .iter()
        .filter_map(|r| r.prepared.as_ref()?.edited.as_ref())
        .map(|f| f.content.len())
        .sum();
    let held = store.total_file_bytes() + pending;
    if held + size > limits.max_total_bytes {
        return Err(format!(
            "the server holds {held} bytes of files (and edited files to come) and takes at most \
             {} in all (--max-files-size); delete files or reset",
            limits.max_total_bytes
        ));
    }
    Ok(())
}

/// Ends `PROCESSING` form runs, in the store's write lock (the lifecycle's
/// and the control plane's ends): a PROCESSED edit run's file is stored.
/// The ids that ended.
pub(crate) fn end_runs(
    state: &AppState,
    store: &mut crate::store::Store,
    due: impl Iterator<Item = (String, String, Outcome)>,
) -> Vec<(String, String)> {
    let mut finished = Vec::new();
    for (workspace_id, run_id, outcome) in due {
        let now = state.now();
        let Some(run) = store.edits.runs.get(&workspace_id, &run_id) else {
            continue;
        };
        if run.status != RunStatus::Processing {
            continue;
        }
        let f = describe(run.kind);
        let prepared = run.prepared.clone();
        let created = run.created_at;
        let mut outcome = outcome;
        let mut edited_file = None;
        if let Outcome::Processed { .. } = &outcome {
            match prepared.as_deref().and_then(|p| p.edited.clone()) {
                Some(file) => {
                    let id = file.id.clone();
                    match store.add_file(file, Some(state.settings.file_limits)) {
                        Ok(()) => edited_file = Some(id),
                        Err(e) => {
                            outcome = Outcome::Failed {
                                reason: "INTERNAL_ERROR".into(),
                                message: format!("The edited file could not be stored: {e}"),
                            };
                        }
                    }
                }
                None if prepared.is_none() => {
                    // Made to end PROCESSED (the control plane) with nothing
                    // read: there is nothing to show.
                    outcome = Outcome::Failed {
                        reason: "INTERNAL_ERROR".into(),
                        message: message_for(f, "INTERNAL_ERROR"),
                    };
                }
                None => {}
            }
        }
        let run = store
            .edits
            .runs
            .get_mut(&workspace_id, &run_id)
            .expect("looked up above");
        match outcome {
            Outcome::Processed {
                credits_thousandths,
                output,
            } => {
                run.status = RunStatus::Processed;
                run.credits = Some(credits_thousandths as f64 / 1000.0);
                // What the run made, with a pinned output's keys over it
                // (so a rule's `filledValues` keeps the edited file).
                let mut made = prepared.as_ref().map(|p| p.output.clone());
                if let (Some(made), Some(id)) = (&mut made, &edited_file) {
                    made.insert("editedFile".into(), json!({ "id": id }));
                }
                run.output = match (made, output) {
                    (Some(mut made), Some(pinned)) => {
                        made.extend(JsonObject::clone(&pinned));
                        Some(made)
                    }
                    (None, Some(pinned)) => Some(JsonObject::clone(&pinned)),
                    (made, None) => made,
                };
                if let Some(p) = &prepared {
                    let mut metrics = p.metrics.clone();
                    let ms = (now.unix_nanos() - created.unix_nanos()).max(0) as f64 / 1e6;
                    metrics.insert("processingTimeMs".into(), json!(ms));
                    run.metrics = Some(metrics);
                }
            }
            Outcome::Failed { reason, message } => {
                run.status = RunStatus::Failed;
                run.failure = Some((reason, message));
            }
        }
        run.prepared = None;
        run.updated_at = now.max(run.updated_at);
        finished.push((workspace_id, run_id));
    }
    finished
}

/// Whether an id names an edit or form detection run (the control plane's
/// steering takes their ids beside processor runs').
pub fn is_form_run(id: &str) -> bool {
    id.starts_with(EDIT.prefix) || id.starts_with(DETECT.prefix)
}

/// What the control plane does to a form run.
pub enum Steer {
    Finish {
        output: Option<JsonObject>,
        credits: Option<f64>,
    },
    Fail {
        reason: Option<String>,
        message: Option<String>,
    },
    Hold,
}

/// The control plane's finish, fail or hold of a `PROCESSING` form run:
/// the run as the API now answers it (its link at the address it was made
/// through).
pub fn steer(state: &AppState, id: &str, how: Steer) -> Result<Value, ApiError> {
    let missing = || ApiError::Missing(format!("Run `{id}` not found"));
    let (workspace, kind) = {
        let store = state.store();
        let run = store.edits.runs.by_id(id).ok_or_else(missing)?;
        if run.status != RunStatus::Processing {
            return Err(ApiError::InvalidRequest(format!(
                "{} `{id}` is {}; only a PROCESSING run can be steered",
                describe(run.kind).noun,
                run.status
            )));
        }
        (run.workspace_id.clone(), run.kind)
    };
    let f = describe(kind);
    let outcome = match how {
        Steer::Hold => {
            state.lifecycle.hold(id);
            None
        }
        Steer::Finish { output, credits } => {
            if let Some(output) = &output {
                crate::openapi::check_output(None, output)
                    .map_err(|e| ApiError::InvalidRequest(format!("request body: output: {e}")))?;
            }
            Some(Outcome::Processed {
                credits_thousandths: (credits.unwrap_or(1.0).max(0.0) * 1000.0) as u64,
                output: output.map(Arc::new),
            })
        }
        Steer::Fail { reason, message } => {
            let reason = reason.unwrap_or_else(|| "INTERNAL_ERROR".into());
            Some(Outcome::Failed {
                message: message.unwrap_or_else(|| message_for(f, &reason)),
                reason,
            })
        }
    };
    if let Some(outcome) = outcome {
        let ended = state.change_store(|store| {
            end_runs(
                state,
                store,
                std::iter::once((workspace.clone(), id.to_owned(), outcome)),
            )
        });
        for (ws, run_id) in ended {
            crate::webhooks::form_run_ended(state, &ws, &run_id);
        }
    }
    let store = state.store();
    let run = store.edits.runs.by_id(id).ok_or_else(missing)?;
    Ok(run_object(state, run, &run.base_url))
}

/// The base URL a request reached this server at.
fn base(headers: &HeaderMap) -> String {
    crate::routes::files::base_url(headers)
}

/// `POST /edit_runs`, `POST /form_detection_runs`: the run, `PROCESSING`.
pub async fn create(
    f: &'static FormFamily,
    Sandbox(state): Sandbox,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    let body: JsonObject = json_body(body)?;
    let id = make(&state, f, ws, body, base(&headers)).await?;
    answer(&state, f, ws, &id, &base(&headers)).map(Json)
}

/// `POST /edit`, `POST /detect_form`: the same run, answered once it has
/// ended; past `--sync-timeout` a 504 naming it.
pub async fn create_sync(
    f: &'static FormFamily,
    Sandbox(state): Sandbox,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    let body: JsonObject = json_body(body)?;
    let id = make(&state, f, ws, body, base(&headers)).await?;
    super::until_ended(&state, &id, || {
        state
            .store()
            .edits
            .runs
            .get(ws, &id)
            .is_some_and(|r| r.status == RunStatus::Processing)
    })
    .await?;
    answer(&state, f, ws, &id, &base(&headers)).map(Json)
}

pub async fn retrieve(
    f: &'static FormFamily,
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    answer(&state, f, &caller.workspace_id, &id, &base(&headers)).map(Json)
}

/// `DELETE /edit_runs/{id}`: gone (a run in progress with it). Its edited
/// file is a file of its own and stays.
pub async fn delete(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    state
        .change_store(
            |store| match store.edits.runs.get(ws, &id).map(|r| r.kind) {
                Some(FormRunKind::Edit) => store.edits.runs.remove(ws, &id),
                _ => None,
            },
        )
        .ok_or_else(|| not_found(&EDIT, &id))?;
    Ok(Json(json!({ "id": id })))
}

/// `GET /edit_runs` (Python SDK): filtered by `status`, `source` (every
/// run here is made through the API) and `fileNameContains`; by
/// `createdAt` or `updatedAt`, in pages.
pub async fn list(
    Sandbox(state): Sandbox,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<axum::response::Response, ApiError> {
    let ws = caller.workspace_id.as_str();
    let page = state.list_page(ws, "edit_runs", raw.as_deref(), |store| {
        let mut query = parse_table_query(
            raw.as_deref(),
            TableList {
                resource: PagedResource::EditRuns,
                filters: &["status", "source", "fileNameContains"],
                scope: None,
                with_sort_by: true,
            },
            ws,
            &state.signer,
            state.settings.paging,
        )?;
        let status = enum_value("status", query.filters[0].take(), |s| match s {
            "PROCESSING" => Ok(RunStatus::Processing),
            "PROCESSED" => Ok(RunStatus::Processed),
            "FAILED" => Ok(RunStatus::Failed),
            other => Err(format!(
                "`{other}` is not one of PROCESSING, PROCESSED, FAILED"
            )),
        })?;
        let source = enum_value("source", query.filters[1].take(), |s| match s {
            "API" | "STUDIO" | "ADMIN" => Ok(s == "API"),
            other => Err(format!("`{other}` is not one of API, STUDIO, ADMIN")),
        })?;
        let contains = query.filters[2].take().map(|c| c.to_lowercase());
        let matching: Vec<&FormRun> = store
            .edits
            .runs
            .in_workspace(ws)
            .filter(|r| r.kind == FormRunKind::Edit)
            .filter(|_| source.unwrap_or(true))
            .filter(|r| status.is_none_or(|s| r.status == s))
            .filter(|r| {
                contains
                    .as_ref()
                    .is_none_or(|c| r.file_name.to_lowercase().contains(c.as_str()))
            })
            .collect();
        let page = super::table_page(
            &state,
            ws,
            &query,
            matching,
            |r: &FormRun, by| (by.of(r.created_at, r.updated_at), r.id.as_str()),
            summary,
        );
        Ok(super::value_bytes(&page))
    })?;
    Ok(crate::http::json_response(page))
}

/// `POST /edit_schemas/generate` (deprecated in the API): the schema a form
/// detection run would find, answered at once; no run is kept. A file that
/// cannot be read is a `400` with the failure reason as its code's reason.
pub async fn generate_schema(
    Sandbox(state): Sandbox,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    let body: JsonObject = json_body(body)?;
    let (input, _) = read_input(&state, ws, &DETECT, &body)?;
    let config = read_detect_config(object_field(&body, "config", "config")?)?;
    let now = state.now();
    let result = pdf_work(move || {
        let seed = Seed {
            run_id: "sgr_generate",
            created_nanos: now.unix_nanos(),
            file_name: &input.name,
        };
        let target = Target {
            file_id: "",
            workspace_id: "",
            at: now,
        };
        prepare(&DETECT, &input, &config, &seed, &target)
    })
    .await?;
    match result {
        Ok(prepared) => Ok(Json(Value::Object(prepared.output))),
        Err((reason, message)) => Err(ApiError::InvalidRequest(format!("{reason}: {message}"))),
    }
}

// --------------------------------------------------------------- templates

fn template_file(store: &crate::store::Store, t: &EditTemplate) -> Value {
    store
        .file(&t.workspace_id, &t.file_id)
        .and_then(|f| super::object::stored_file_summary(f).ok())
        .map_or(Value::Null, Value::Object)
}

fn template_object(store: &crate::store::Store, t: &EditTemplate) -> Value {
    json!({
        "object": "edit_template",
        "id": t.id,
        "name": t.name,
        "description": t.description,
        "file": template_file(store, t),
        "config": t.config,
        "schemaConfig": t.schema_config,
        "createdAt": t.created_at.to_rfc3339(),
        "updatedAt": t.updated_at.to_rfc3339(),
    })
}

pub async fn template(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let store = state.store();
    let t = store
        .edits
        .templates
        .get(&caller.workspace_id, &id)
        .ok_or_else(|| ApiError::Missing(format!("Edit template `{id}` not found")))?;
    Ok(Json(template_object(&store, t)))
}

/// `GET /edit_templates` (Python SDK): `nameContains` (any case), sorted
/// and paged.
pub async fn templates(
    Sandbox(state): Sandbox,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let ws = caller.workspace_id.as_str();
    let mut query = parse_table_query(
        raw.as_deref(),
        TableList {
            resource: PagedResource::EditTemplates,
            filters: &["nameContains"],
            scope: None,
            with_sort_by: true,
        },
        ws,
        &state.signer,
        state.settings.paging,
    )?;
    let contains = query.filters[0].take().map(|c| c.to_lowercase());
    let store = state.store();
    let matching: Vec<&EditTemplate> = store
        .edits
        .templates
        .in_workspace(ws)
        .filter(|t| {
            contains
                .as_ref()
                .is_none_or(|c| t.name.to_lowercase().contains(c.as_str()))
        })
        .collect();
    Ok(Json(super::table_page(
        &state,
        ws,
        &query,
        matching,
        |t: &EditTemplate, by| (by.of(t.created_at, t.updated_at), t.id.as_str()),
        |t| {
            // `EditTemplateSummary`: no config or schemaConfig.
            let mut summary = template_object(&store, t);
            if let Value::Object(keys) = &mut summary {
                keys.remove("config");
                keys.remove("schemaConfig");
            }
            summary
        },
    )))
}

/// Adds a fixture's template and its form's file; the reason names the
/// field at fault.
pub fn add_fixture(
    store: &mut crate::store::Store,
    t: &FixtureTemplate,
) -> Result<(), (String, String)> {
    let bad = |path: &str, reason: String| (path.to_owned(), reason);
    crate::domain::check_id(&t.id).map_err(|e| bad(".id", e.to_string()))?;
    if !t.id.starts_with("edt_") {
        return Err(bad(".id", format!("`{}` does not start with `edt_`", t.id)));
    }
    if store.edits.templates.contains(&t.id) {
        return Err(bad(".id", format!("duplicate edit template id `{}`", t.id)));
    }
    check_file_name(&t.file_name).map_err(|e| bad(".fileName", e))?;
    if t.fields.len() > pdf_form::MAX_FIELDS {
        return Err(bad(
            ".fields",
            format!(
                "{} fields; a form holds at most {}",
                t.fields.len(),
                pdf_form::MAX_FIELDS
            ),
        ));
    }
    let mut specs = Vec::new();
    for (i, field) in t.fields.iter().enumerate() {
        let kind = FieldKind::parse(&field.kind).ok_or_else(|| {
            bad(
                &format!(".fields[{i}].type"),
                format!(
                    "`{}` is not one of text, checkbox, radio, dropdown, optionList, signature",
                    field.kind
                ),
            )
        })?;
        if matches!(
            kind,
            FieldKind::Radio | FieldKind::Dropdown | FieldKind::OptionList
        ) && field.options.is_empty()
        {
            return Err(bad(
                &format!(".fields[{i}].options"),
                "a radio group or a list needs its options".into(),
            ));
        }
        if kind == FieldKind::Radio && field.options.len() > pdf_form::MAX_RADIO_CHOICES {
            return Err(bad(
                &format!(".fields[{i}].options"),
                format!(
                    "a radio group shows at most {} choices (one row); make it a dropdown",
                    pdf_form::MAX_RADIO_CHOICES
                ),
            ));
        }
        specs.push(FieldSpec {
            name: field.name.clone(),
            label: field
                .label
                .clone()
                .unwrap_or_else(|| field.name.replace('_', " ")),
            kind,
            options: field.options.clone(),
        });
    }
    // Checked as a request's would be; shown as saved (`{}` when none).
    read_edit_config(t.config.as_ref(), None).map_err(|e| bad(".config", e.to_string()))?;
    if let Some(schema_config) = &t.schema_config {
        read_detect_config(Some(schema_config)).map_err(|e| bad(".schemaConfig", e.to_string()))?;
    }
    let at = t
        .created_at
        .unwrap_or_else(|| Timestamp::parse("2026-01-15T09:00:00Z").expect("a valid time"));
    let file_id = format!("file_{}", t.id.trim_start_matches("edt_"));
    let title = t
        .file_name
        .rsplit_once('.')
        .map_or(t.file_name.as_str(), |(s, _)| s);
    let bytes = pdf_form::make_form(title, &specs);
    let file = StoredFile::new(
        file_id.clone(),
        t.workspace_id.clone(),
        t.file_name.clone(),
        Bytes::from(bytes),
        at,
    );
    store
        .add_file(file, None)
        .map_err(|e| bad(".workspaceId", e.to_string()))?;
    store.edits.templates.insert(EditTemplate {
        id: t.id.clone(),
        workspace_id: t.workspace_id.clone(),
        name: t.name.clone(),
        description: t.description.clone(),
        file_id,
        config: t.config.clone().unwrap_or_default(),
        schema_config: t.schema_config.clone(),
        created_at: at,
        updated_at: at,
        declared: t.clone(),
    });
    Ok(())
}

/// The templates of a store as fixtures declare them.
pub fn export(store: &crate::store::Store) -> Vec<FixtureTemplate> {
    let mut all: Vec<&EditTemplate> = store.edits.templates.iter().collect();
    all.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    all.into_iter().map(|t| t.declared.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_config_defaults_follow_the_engine_and_the_request_wins() {
        let config = read_edit_config(None, None).unwrap();
        assert_eq!(
            Value::Object(config),
            json!({"engineVersion": "1.0.0", "advancedOptions": {
                "tableParsingEnabled": false, "flattenPdf": true, "radioEnumsEnabled": true,
                "nativeFieldsOnly": false, "conditionalGenerationEnabled": false}})
        );
        let saved = json!({"instructions": "saved", "advancedOptions": {"flattenPdf": false}});
        let given =
            json!({"engineVersion": "0.0.1", "advancedOptions": {"tableParsingEnabled": true}});
        let config = read_edit_config(given.as_object(), saved.as_object()).unwrap();
        assert_eq!(config["instructions"], json!("saved"));
        assert_eq!(
            config["advancedOptions"],
            json!({"tableParsingEnabled": true, "flattenPdf": false, "radioEnumsEnabled": false,
                   "nativeFieldsOnly": false, "conditionalGenerationEnabled": false})
        );
        let bad = json!({"engineVersion": "2"});
        assert!(read_edit_config(bad.as_object(), None).is_err());
        let bad = json!({"schema": {"type": "array"}});
        assert!(read_edit_config(bad.as_object(), None).is_err());
    }
}
