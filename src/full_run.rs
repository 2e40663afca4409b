//! The full run (`LegacyProcessorRun`) that `GET /processor_runs/{id}` answers:
//! each field a fixture pinned, served as given, and the rest derived from the
//! run itself. No HTTP and no store internals here: it reads a `RunView`.
//!
//! Derived means deterministic: the processor's name picks a document kind
//! (invoice, W-2, bank statement, …) and so its config; the run's id seeds a
//! ChaCha8 stream that fills the output, the file and the failure. The same
//! run gives the same object on every machine and after every restart, and it
//! costs no stored bytes (a million generated runs store nothing extra).

use std::borrow::Cow;
use std::sync::LazyLock;

use fake::Fake;
use fake::faker::address::en::{BuildingNumber, CityName, StateAbbr, StreetName, ZipCode};
use fake::faker::company::en::CompanyName;
use fake::faker::name::en::Name;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::domain::{JsonObject, ProcessorType, RunStatus, Usage};
use crate::store::RunView;

/// The run as the SDK's `LegacyProcessorRun` model has it, field for field.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FullRun<'a> {
    object: &'static str,
    id: &'a str,
    processor_id: &'a str,
    processor_version_id: &'a str,
    processor_name: &'a str,
    status: RunStatus,
    output: Output<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<&'a JsonObject>,
    reviewed: bool,
    edited: bool,
    edits: Cow<'a, JsonObject>,
    #[serde(rename = "type")]
    processor_type: ProcessorType,
    config: Cow<'a, JsonObject>,
    #[serde(skip_serializing_if = "Option::is_none")]
    initial_output: Option<&'a JsonObject>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reviewed_output: Option<&'a JsonObject>,
    files: Cow<'a, [JsonObject]>,
    /// Only a workflow's MergeExtraction step fills it; runs here never are one.
    merged_processors: [Value; 0],
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Usage>,
}

/// Where a run's `url` points, as the API's own runs do.
pub const DASHBOARD_RUNS: &str = "https://dashboard.extend.ai/runs/";

/// The full object of `run`. `processor_type` is the run's type, or for an
/// older run stored without one, its processor's (the store works that out).
pub fn full_run<'a>(run: &RunView<'a>, processor_type: ProcessorType) -> FullRun<'a> {
    let pinned = run.details;
    let pin = |field: fn(&'a crate::domain::RunDetails) -> Option<&'a JsonObject>| {
        pinned.and_then(field).map(Cow::Borrowed)
    };
    let mut rng = rng_for(run.id);
    let kind = DocKind::of(run.processor_name, processor_type);
    let config = pin(|d| d.config.as_ref()).unwrap_or_else(|| Cow::Borrowed(derived_config(kind)));
    let files = match pinned.and_then(|d| d.files.as_deref()) {
        Some(files) => Cow::Borrowed(files),
        None => Cow::Owned(vec![derived_file(run, processor_type, &mut rng)]),
    };
    let page_count = files
        .first()
        .and_then(|f| f.get("metadata")?.get("pageCount")?.as_u64())
        .unwrap_or(1)
        .max(1) as u32;
    let file_id = files
        .first()
        .and_then(|f| f.get("id")?.as_str())
        .unwrap_or("");
    let output = match pinned.and_then(|d| d.output.as_ref()) {
        Some(given) => Output::Given(given),
        None if run.status == RunStatus::Processed => {
            derived_output(run, processor_type, &config, page_count, file_id, &mut rng)
        }
        None => Output::Empty,
    };
    let failure =
        (run.status == RunStatus::Failed).then(|| FAILURES[rng.random_range(0..FAILURES.len())]);
    FullRun {
        object: "document_processor_run",
        id: run.id,
        processor_id: run.processor_id,
        processor_version_id: run.processor_version_id,
        processor_name: run.processor_name,
        status: run.status,
        output,
        failure_reason: pinned
            .and_then(|d| d.failure_reason.as_deref())
            .or(failure.map(|f| f.0)),
        failure_message: pinned
            .and_then(|d| d.failure_message.as_deref())
            .or(failure.map(|f| f.1)),
        metadata: pinned.and_then(|d| d.metadata.as_ref()),
        reviewed: pinned.and_then(|d| d.reviewed).unwrap_or(false),
        edited: pinned.and_then(|d| d.edited).unwrap_or(false),
        edits: pin(|d| d.edits.as_ref()).unwrap_or_default(),
        processor_type,
        config,
        initial_output: pinned.and_then(|d| d.initial_output.as_ref()),
        reviewed_output: pinned.and_then(|d| d.reviewed_output.as_ref()),
        files,
        merged_processors: [],
        url: format!("{DASHBOARD_RUNS}{}", run.id),
        usage: run.credits.map(|credits| Usage { credits }),
    }
}

/// Failure reasons and messages of derived FAILED runs. The API documents
/// `failureReason` as free text; these are the emulator's own.
const FAILURES: &[(&str, &str)] = &[
    (
        "FILE_PARSING_ERROR",
        "The file could not be parsed. It may be corrupted or password-protected.",
    ),
    (
        "PROCESSING_TIMEOUT",
        "Processing did not finish within the time limit.",
    ),
    (
        "UNSUPPORTED_FILE_TYPE",
        "The file type is not supported by this processor.",
    ),
    (
        "INTERNAL_ERROR",
        "An internal error occurred while processing the document.",
    ),
];

/// A stream of its own for each run, from a digest of its id: independent of
/// the platform and of the order runs were loaded in.
fn rng_for(id: &str) -> ChaCha8Rng {
    let digest = Sha256::digest(id.as_bytes());
    let mut seed = [0u8; 32];
    seed.copy_from_slice(&digest);
    ChaCha8Rng::from_seed(seed)
}

const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

fn nano_id(rng: &mut ChaCha8Rng, prefix: &str) -> String {
    let mut id = String::with_capacity(prefix.len() + 21);
    id.push_str(prefix);
    for _ in 0..21 {
        id.push(ID_ALPHABET[rng.random_range(0..ID_ALPHABET.len())] as char);
    }
    id
}

/// What a processor reads, from its name: the schema or classifications its
/// derived config has. Names the generator and the fixtures use map to their
/// kind; any other name gets a general one of its type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocKind {
    Invoice,
    W2,
    BankStatement,
    Receipt,
    Paystub,
    Form1099,
    PurchaseOrder,
    GeneralDocument,
    MortgageClassifier,
    ClaimsClassifier,
    GeneralClassifier,
    LoanSplitter,
    ClaimsSplitter,
    OnboardingSplitter,
    GeneralSplitter,
}

impl DocKind {
    pub fn of(processor_name: &str, processor_type: ProcessorType) -> DocKind {
        let name = processor_name.to_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
        match processor_type {
            ProcessorType::Extract if has(&["invoice"]) => DocKind::Invoice,
            ProcessorType::Extract if has(&["w-2", "w2"]) => DocKind::W2,
            ProcessorType::Extract if has(&["bank", "statement"]) => DocKind::BankStatement,
            ProcessorType::Extract if has(&["receipt"]) => DocKind::Receipt,
            ProcessorType::Extract if has(&["paystub", "pay stub", "payslip"]) => DocKind::Paystub,
            ProcessorType::Extract if has(&["1099"]) => DocKind::Form1099,
            ProcessorType::Extract if has(&["purchase order", "po "]) => DocKind::PurchaseOrder,
            ProcessorType::Extract => DocKind::GeneralDocument,
            ProcessorType::Classify if has(&["mortgage", "loan"]) => DocKind::MortgageClassifier,
            ProcessorType::Classify if has(&["claim"]) => DocKind::ClaimsClassifier,
            ProcessorType::Classify => DocKind::GeneralClassifier,
            ProcessorType::Splitter if has(&["loan", "mortgage"]) => DocKind::LoanSplitter,
            ProcessorType::Splitter if has(&["claim"]) => DocKind::ClaimsSplitter,
            ProcessorType::Splitter if has(&["onboarding"]) => DocKind::OnboardingSplitter,
            ProcessorType::Splitter => DocKind::GeneralSplitter,
        }
    }

    const ALL: [DocKind; 15] = [
        DocKind::Invoice,
        DocKind::W2,
        DocKind::BankStatement,
        DocKind::Receipt,
        DocKind::Paystub,
        DocKind::Form1099,
        DocKind::PurchaseOrder,
        DocKind::GeneralDocument,
        DocKind::MortgageClassifier,
        DocKind::ClaimsClassifier,
        DocKind::GeneralClassifier,
        DocKind::LoanSplitter,
        DocKind::ClaimsSplitter,
        DocKind::OnboardingSplitter,
        DocKind::GeneralSplitter,
    ];

    /// The derived config, as JSON text (parsed once, on first use).
    fn config_text(self) -> &'static str {
        match self {
            DocKind::Invoice => include_str!("full_run/invoice.json"),
            DocKind::W2 => include_str!("full_run/w2.json"),
            DocKind::BankStatement => include_str!("full_run/bank_statement.json"),
            DocKind::Receipt => include_str!("full_run/receipt.json"),
            DocKind::Paystub => include_str!("full_run/paystub.json"),
            DocKind::Form1099 => include_str!("full_run/form_1099.json"),
            DocKind::PurchaseOrder => include_str!("full_run/purchase_order.json"),
            DocKind::GeneralDocument => include_str!("full_run/general_document.json"),
            DocKind::MortgageClassifier => include_str!("full_run/mortgage_classifier.json"),
            DocKind::ClaimsClassifier => include_str!("full_run/claims_classifier.json"),
            DocKind::GeneralClassifier => include_str!("full_run/general_classifier.json"),
            DocKind::LoanSplitter => include_str!("full_run/loan_splitter.json"),
            DocKind::ClaimsSplitter => include_str!("full_run/claims_splitter.json"),
            DocKind::OnboardingSplitter => include_str!("full_run/onboarding_splitter.json"),
            DocKind::GeneralSplitter => include_str!("full_run/general_splitter.json"),
        }
    }
}

static CONFIGS: LazyLock<Vec<JsonObject>> = LazyLock::new(|| {
    DocKind::ALL
        .iter()
        .map(|kind| {
            serde_json::from_str(kind.config_text()).expect("the built-in configs are JSON objects")
        })
        .collect()
});

/// The config a processor of this kind has when no fixture gives one.
pub fn derived_config(kind: DocKind) -> &'static JsonObject {
    let index = DocKind::ALL
        .iter()
        .position(|k| *k == kind)
        .expect("ALL lists every kind");
    &CONFIGS[index]
}

/// The file type the API reports, from the name's extension.
fn file_type(name: &str) -> Option<&'static str> {
    let extension = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match extension.as_str() {
        "pdf" => "PDF",
        "csv" => "CSV",
        "png" | "jpg" | "jpeg" | "gif" | "tif" | "tiff" | "heic" | "webp" | "bmp" => "IMG",
        "txt" => "TXT",
        "doc" | "docx" => "DOCX",
        "xls" | "xlsx" => "EXCEL",
        "xml" => "XML",
        "html" | "htm" => "HTML",
        _ => return None,
    })
}

/// The one file a run read: its name, a type from the extension, a page
/// count for paged formats (the API sets it for PDF and DOCX only), and the
/// run's creation time.
fn derived_file(run: &RunView<'_>, kind: ProcessorType, rng: &mut ChaCha8Rng) -> JsonObject {
    let kind_of_file = file_type(run.file_name);
    let pages = match kind {
        ProcessorType::Splitter => rng.random_range(6..=30u32),
        _ => rng.random_range(1..=6u32),
    };
    let mut metadata = Map::new();
    if matches!(kind_of_file, Some("PDF" | "DOCX")) {
        metadata.insert("pageCount".into(), json!(pages));
    }
    let created = run.created_at.to_rfc3339();
    let mut file = Map::new();
    file.insert("object".into(), json!("file"));
    file.insert("id".into(), json!(nano_id(rng, "file_")));
    file.insert("name".into(), json!(run.file_name));
    if let Some(t) = kind_of_file {
        file.insert("type".into(), json!(t));
    }
    file.insert("metadata".into(), Value::Object(metadata));
    file.insert("createdAt".into(), json!(created));
    file.insert("updatedAt".into(), json!(created));
    file
}

/// A run's `output`: as a fixture pinned it, `{}` for an unfinished run, or
/// derived. A derived extraction keeps its metadata as plain structs, written
/// straight out: a JSON tree of a few hundred small maps per request cost
/// more than everything else a get does.
#[derive(Debug)]
enum Output<'a> {
    Given(&'a JsonObject),
    Empty,
    Extraction {
        value: Value,
        metadata: Vec<(String, LeafMetadata)>,
    },
    Other(JsonObject),
}

/// An extraction's `metadata`: its entries in the order of the value's leaves.
struct MetadataEntries<'m>(&'m [(String, LeafMetadata)]);

impl Serialize for MetadataEntries<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (path, entry) in self.0 {
            map.serialize_entry(path, entry)?;
        }
        map.end()
    }
}

impl Serialize for Output<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Output::Given(given) => given.serialize(s),
            Output::Empty => s.serialize_map(Some(0))?.end(),
            Output::Other(object) => object.serialize(s),
            Output::Extraction { value, metadata } => {
                let mut map = s.serialize_map(Some(2))?;
                map.serialize_entry("value", value)?;
                map.serialize_entry("metadata", &MetadataEntries(metadata))?;
                map.end()
            }
        }
    }
}

/// One leaf's entry in an extraction's `metadata`, as the SDK's
/// `LegacyJsonOutputMetadataValue` has it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LeafMetadata {
    ocr_confidence: f64,
    logprobs_confidence: f64,
    citations: [Citation; 1],
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Citation {
    page: u32,
    reference_text: String,
    polygon: [Point; 4],
    page_width: f64,
    page_height: f64,
}

#[derive(Debug, Serialize)]
struct Point {
    x: f64,
    y: f64,
}

/// A finished run's output, made to fit `config`.
fn derived_output<'a>(
    run: &RunView<'_>,
    kind: ProcessorType,
    config: &JsonObject,
    pages: u32,
    file_id: &str,
    rng: &mut ChaCha8Rng,
) -> Output<'a> {
    match kind {
        ProcessorType::Extract => extraction_output(run, config, pages, rng),
        ProcessorType::Classify => Output::Other(classification_output(run, config, rng)),
        ProcessorType::Splitter => Output::Other(splitter_output(config, pages, file_id, rng)),
    }
}

/// The classifications a CLASSIFY or SPLITTER config lists, as `(id, type)`.
fn classifications<'c>(config: &'c JsonObject, key: &str) -> Vec<(&'c str, &'c str)> {
    config
        .get(key)
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|c| Some((c.get("id")?.as_str()?, c.get("type")?.as_str()?)))
                .collect()
        })
        .unwrap_or_default()
}

/// `{id, type, confidence, insights}`: the classification whose type the file
/// name mentions, else one drawn from the config's.
fn classification_output(
    run: &RunView<'_>,
    config: &JsonObject,
    rng: &mut ChaCha8Rng,
) -> JsonObject {
    let choices = classifications(config, "classifications");
    let name = run.file_name.to_lowercase().replace(['-', ' '], "_");
    let drawn = rng.random_range(0..choices.len().max(1));
    let (id, kind) = choices
        .iter()
        .find(|(id, _)| name.contains(*id))
        .or_else(|| choices.get(drawn))
        .copied()
        .unwrap_or(("other", "other"));
    let confidence = f64::from(rng.random_range(820..=995u32)) / 1000.0;
    let mut output = Map::new();
    output.insert("id".into(), json!(id));
    output.insert("type".into(), json!(kind));
    output.insert("confidence".into(), json!(confidence));
    output.insert(
        "insights".into(),
        json!([{
            "type": "reasoning",
            "content": format!(
                "The layout, headings and wording of `{}` match the `{kind}` classification.",
                run.file_name
            ),
        }]),
    );
    output
}

/// `{splits}`: consecutive page ranges that cover the file, each classified.
fn splitter_output(
    config: &JsonObject,
    pages: u32,
    file_id: &str,
    rng: &mut ChaCha8Rng,
) -> JsonObject {
    let choices = classifications(config, "splitClassifications");
    let parts = rng.random_range(1..=pages.clamp(1, 4));
    // Cut points: `parts - 1` distinct pages after which a new document starts.
    let mut cuts: Vec<u32> = Vec::new();
    while (cuts.len() as u32) < parts - 1 {
        let cut = rng.random_range(1..pages);
        if !cuts.contains(&cut) {
            cuts.push(cut);
        }
    }
    cuts.sort_unstable();
    cuts.push(pages);
    let mut start = 1;
    let mut splits = Vec::new();
    for end in cuts {
        let (id, kind) = choices
            .get(rng.random_range(0..choices.len().max(1)))
            .copied()
            .unwrap_or(("other", "other"));
        splits.push(json!({
            "type": kind,
            "observation": format!("Pages {start} to {end} read as one {kind}."),
            "identifier": format!("{id}_{start}_{end}"),
            "startPage": start,
            "endPage": end,
            "name": kind,
            "classificationId": id,
            "id": nano_id(rng, "split_"),
            "fileId": file_id,
        }));
        start = end + 1;
    }
    let mut output = Map::new();
    output.insert("splits".into(), Value::Array(splits));
    output
}

/// `{value, metadata}`: a value for every property of the config's JSON
/// schema, and for every leaf a metadata entry (keyed by its path, such as
/// `line_items[0].amount`) with confidences and a citation.
fn extraction_output<'a>(
    run: &RunView<'_>,
    config: &JsonObject,
    pages: u32,
    rng: &mut ChaCha8Rng,
) -> Output<'a> {
    let mut value = match config.get("schema") {
        Some(schema) => value_for(schema, "", run, rng),
        None => Value::Object(Map::new()),
    };
    if !value.is_object() {
        value = Value::Object(Map::new());
    }
    balance_totals(&mut value);
    let mut metadata = Vec::new();
    describe_leaves(&value, String::new(), pages, rng, &mut metadata);
    Output::Extraction { value, metadata }
}

/// The JSON Schema keywords understood: `type` (a name, or a list whose first
/// non-null name is used), `properties`, `items`, `enum`, `format: date`.
fn value_for(schema: &Value, name: &str, run: &RunView<'_>, rng: &mut ChaCha8Rng) -> Value {
    if let Some(choices) = schema.get("enum").and_then(Value::as_array)
        && !choices.is_empty()
    {
        return choices[rng.random_range(0..choices.len())].clone();
    }
    let kind = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ => "string",
    };
    match kind {
        "object" => {
            let mut object = Map::new();
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (key, sub) in properties {
                    object.insert(key.clone(), value_for(sub, key, run, rng));
                }
            }
            Value::Object(object)
        }
        "array" => {
            let items = schema
                .get("items")
                .cloned()
                .unwrap_or(json!({"type": "string"}));
            let count = rng.random_range(1..=4);
            Value::Array(
                (0..count)
                    .map(|_| value_for(&items, name, run, rng))
                    .collect(),
            )
        }
        "number" => json!(number_for(name, rng)),
        "integer" => json!(integer_for(name, run, rng)),
        "boolean" => json!(rng.random_bool(0.5)),
        "null" => Value::Null,
        _ => {
            let is_date = schema.get("format").and_then(Value::as_str) == Some("date");
            json!(text_for(name, is_date, run, rng))
        }
    }
}

fn number_for(name: &str, rng: &mut ChaCha8Rng) -> f64 {
    let name = name.to_lowercase();
    if name.contains("rate") || name.contains("percent") {
        return f64::from(rng.random_range(0..1500u32)) / 10_000.0;
    }
    if name.contains("quantity") {
        return f64::from(rng.random_range(1..=12u32));
    }
    f64::from(rng.random_range(500..250_000u32)) / 100.0
}

fn integer_for(name: &str, run: &RunView<'_>, rng: &mut ChaCha8Rng) -> i64 {
    let name = name.to_lowercase();
    if name.contains("year") {
        return i64::from(run_date(run, 0).year()) - 1;
    }
    if name.contains("quantity") || name.contains("count") {
        return rng.random_range(1..=12);
    }
    rng.random_range(1..=100)
}

/// A day up to `days_before` days before the run was made.
fn run_date(run: &RunView<'_>, days_before: i64) -> time::Date {
    let made = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(run.created_nanos))
        .expect("stored times are valid");
    (made - time::Duration::days(days_before)).date()
}

const DESCRIPTIONS: &[&str] = &[
    "Consulting services",
    "Annual software license",
    "Office supplies",
    "Freight and handling",
    "Maintenance contract",
    "Hardware components",
    "Cloud hosting (monthly)",
    "Training workshop",
];

/// A string that reads like what the field holds, from the field's name.
fn text_for(name: &str, is_date: bool, run: &RunView<'_>, rng: &mut ChaCha8Rng) -> String {
    let lower = name.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    if is_date || has(&["date", "period_start", "period_end"]) {
        let date = run_date(run, rng.random_range(0..60));
        return format!(
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        );
    }
    if has(&["ssn", "social_security_number"]) {
        return format!("XXX-XX-{:04}", rng.random_range(0..10_000u32));
    }
    if has(&["ein"]) {
        return format!(
            "{:02}-{:07}",
            rng.random_range(10..100u32),
            rng.random_range(0..10_000_000u32)
        );
    }
    if has(&["account_number", "card"]) {
        return format!("****{:04}", rng.random_range(0..10_000u32));
    }
    if has(&["invoice_number"]) {
        return format!("INV-{:06}", rng.random_range(0..1_000_000u32));
    }
    if has(&["po_number", "order_number"]) {
        return format!("PO-{:06}", rng.random_range(0..1_000_000u32));
    }
    if has(&["number", "_id"]) {
        return format!("{:08}", rng.random_range(0..100_000_000u32));
    }
    if has(&["currency"]) {
        return "USD".into();
    }
    if has(&["address"]) {
        return format!(
            "{} {}, {}, {} {}",
            BuildingNumber().fake_with_rng::<String, _>(rng),
            StreetName().fake_with_rng::<String, _>(rng),
            CityName().fake_with_rng::<String, _>(rng),
            StateAbbr().fake_with_rng::<String, _>(rng),
            ZipCode().fake_with_rng::<String, _>(rng)
        );
    }
    if has(&["state"]) {
        return StateAbbr().fake_with_rng(rng);
    }
    if has(&[
        "employee",
        "recipient",
        "holder",
        "borrower",
        "applicant",
        "customer_name",
    ]) {
        return Name().fake_with_rng(rng);
    }
    if has(&[
        "name", "vendor", "employer", "merchant", "payer", "bank", "supplier", "buyer",
    ]) {
        return CompanyName().fake_with_rng(rng);
    }
    if has(&["description", "item"]) {
        return DESCRIPTIONS[rng.random_range(0..DESCRIPTIONS.len())].into();
    }
    format!("Page {} of {}", rng.random_range(1..=3u32), run.file_name)
}

/// Makes the money add up where a document has the usual fields: each line's
/// `amount` is quantity × unit price, `subtotal` their sum, `total` the
/// subtotal plus `tax`.
fn balance_totals(value: &mut Value) {
    let Some(object) = value.as_object_mut() else {
        return;
    };
    let mut sum = None;
    for key in ["line_items", "items"] {
        if let Some(Value::Array(lines)) = object.get_mut(key) {
            let mut total = 0.0;
            for line in lines.iter_mut() {
                let (Some(q), Some(p)) = (
                    line.get("quantity").and_then(Value::as_f64),
                    line.get("unit_price").and_then(Value::as_f64),
                ) else {
                    total += line.get("amount").and_then(Value::as_f64).unwrap_or(0.0);
                    continue;
                };
                let amount = (q * p * 100.0).round() / 100.0;
                line["amount"] = json!(amount);
                total += amount;
            }
            sum = Some((total * 100.0).round() / 100.0);
        }
    }
    let Some(subtotal) = sum else {
        return;
    };
    if object.contains_key("subtotal") {
        object.insert("subtotal".into(), json!(subtotal));
    }
    if object.contains_key("total") {
        let tax = object.get("tax").and_then(Value::as_f64).unwrap_or(0.0);
        object.insert(
            "total".into(),
            json!(((subtotal + tax) * 100.0).round() / 100.0),
        );
    }
}

/// A metadata entry for every leaf of `value`, keyed by its path.
fn describe_leaves(
    value: &Value,
    path: String,
    pages: u32,
    rng: &mut ChaCha8Rng,
    metadata: &mut Vec<(String, LeafMetadata)>,
) {
    match value {
        Value::Object(object) => {
            for (key, sub) in object {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                describe_leaves(sub, child, pages, rng, metadata);
            }
        }
        Value::Array(items) => {
            for (i, sub) in items.iter().enumerate() {
                describe_leaves(sub, format!("{path}[{i}]"), pages, rng, metadata);
            }
        }
        leaf => {
            let reference = match leaf {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let (x, y) = (
                f64::from(rng.random_range(40..420u32)),
                f64::from(rng.random_range(40..740u32)),
            );
            let width = f64::from(rng.random_range(40..160u32));
            let entry = LeafMetadata {
                ocr_confidence: f64::from(rng.random_range(900..=999u32)) / 1000.0,
                logprobs_confidence: f64::from(rng.random_range(850..=999u32)) / 1000.0,
                citations: [Citation {
                    page: rng.random_range(1..=pages),
                    reference_text: reference,
                    polygon: [
                        Point { x, y },
                        Point { x: x + width, y },
                        Point {
                            x: x + width,
                            y: y + 12.0,
                        },
                        Point { x, y: y + 12.0 },
                    ],
                    page_width: 612.0,
                    page_height: 792.0,
                }],
            };
            metadata.push((path, entry));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_config_parses_and_has_its_type() {
        for kind in DocKind::ALL {
            let config = derived_config(kind);
            let declared = config["type"].as_str().unwrap();
            let list = match declared {
                "EXTRACT" => "schema",
                "CLASSIFY" => "classifications",
                "SPLITTER" => "splitClassifications",
                other => panic!("{kind:?}: type {other}"),
            };
            assert!(config.contains_key(list), "{kind:?} lacks {list}");
        }
    }

    #[test]
    fn processor_names_pick_their_document_kind() {
        use ProcessorType::*;
        assert_eq!(DocKind::of("Invoice Extractor", Extract), DocKind::Invoice);
        assert_eq!(DocKind::of("W-2 Extractor", Extract), DocKind::W2);
        assert_eq!(
            DocKind::of("Bank Statement Extractor", Extract),
            DocKind::BankStatement
        );
        assert_eq!(
            DocKind::of("Mortgage Packet Classifier", Classify),
            DocKind::MortgageClassifier
        );
        assert_eq!(
            DocKind::of("Loan Packet Splitter", Splitter),
            DocKind::LoanSplitter
        );
        assert_eq!(
            DocKind::of("Something Else", Extract),
            DocKind::GeneralDocument
        );
    }

    #[test]
    fn file_types_come_from_the_extension() {
        assert_eq!(file_type("a.PDF"), Some("PDF"));
        assert_eq!(file_type("reçu_1.png"), Some("IMG"));
        assert_eq!(file_type("book.xlsx"), Some("EXCEL"));
        assert_eq!(file_type("noext"), None);
    }
}
