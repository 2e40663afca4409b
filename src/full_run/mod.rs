//! The full run (`LegacyProcessorRun`) that `GET /processor_runs/{id}` answers:
//! each field a fixture pinned, served as given, and the rest derived from the
//! run itself. No HTTP and no store internals here: it reads a `RunView`.
//!
//! Derived means deterministic: the processor's name picks a document kind
//! (invoice, W-2, bank statement, …) and so its config; the run's id seeds a
//! ChaCha8 stream that fills the output, the file and the failure. The same
//! run gives the same object on every machine and after every restart, and it
//! costs no stored bytes (a million generated runs store nothing extra).

mod classification;
pub mod edit;
mod extraction;
pub mod parse;

use std::sync::Arc;

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::Value;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

pub use crate::configs::{
    DocKind, SCHEMA_KEYWORDS, builtin_config, builtin_for, check_config, derived_config,
};
use extraction::Node;
pub use extraction::{
    EXTRA_LEAVES, Extraction, Field, LeafNumbers, MAX_ENUM_CHOICE_BYTES, MAX_ENUM_CHOICES,
    MAX_PROPERTY_NAME, MAX_SCHEMA_DEPTH, MAX_SCHEMA_NODES, PAGE_HEIGHT, PAGE_WIDTH, Point,
};

use crate::domain::{JsonObject, ProcessorType, RunStatus, Timestamp, Usage};
use crate::store::RunView;

/// The run as the SDK's `LegacyProcessorRun` model has it, field for field.
/// `Serialize` gives the reference shape; `http::wire::full` writes the same
/// bytes by hand (a test holds the two together).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FullRun<'a> {
    pub object: &'static str,
    pub id: &'a str,
    pub processor_id: &'a str,
    pub processor_version_id: &'a str,
    pub processor_name: &'a str,
    pub status: RunStatus,
    pub output: Output<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<&'a JsonObject>,
    pub reviewed: bool,
    pub edited: bool,
    #[serde(serialize_with = "edits_or_empty")]
    pub edits: Option<&'a JsonObject>,
    #[serde(rename = "type")]
    pub processor_type: ProcessorType,
    pub config: Config<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_output: Option<&'a JsonObject>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewed_output: Option<&'a JsonObject>,
    pub files: Files<'a>,
    /// Only a workflow's MergeExtraction step fills it; runs here never are one.
    pub merged_processors: [Value; 0],
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

/// `edits` is `{}` when a fixture pins none.
fn edits_or_empty<S: serde::Serializer>(
    edits: &Option<&JsonObject>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match edits {
        Some(edits) => edits.serialize(s),
        None => s.serialize_map(Some(0))?.end(),
    }
}

/// Where a run's `url` points, as the API's own runs do.
pub const DASHBOARD_RUNS: &str = "https://dashboard.extend.ai/runs/";

/// The full object of `run`. `processor_type` is the run's type, or for an
/// older run stored without one, its processor's (the store works that out);
/// `version_config` the config of the processor version it names, from the
/// catalogue. A config the run pins wins over it.
pub fn full_run<'a>(
    run: &RunView<'a>,
    processor_type: ProcessorType,
    version_config: Option<&'a Arc<JsonObject>>,
) -> FullRun<'a> {
    full_run_with(run, processor_type, version_config, true)
}

/// `full_run`, with the output left unmade (`{}`) unless `with_output`:
/// what a list's summaries need, at a fraction of the cost. Nothing drawn
/// after the output depends on it (a PROCESSED run draws no failure), so
/// every other field is the same either way.
pub fn full_run_with<'a>(
    run: &RunView<'a>,
    processor_type: ProcessorType,
    version_config: Option<&'a Arc<JsonObject>>,
    with_output: bool,
) -> FullRun<'a> {
    let pinned = run.details;
    let mut rng = rng_for(run.id);
    let builtin = version_config.and_then(builtin_for);
    let derived =
        builtin.unwrap_or_else(|| derived_config(DocKind::of(run.processor_name, processor_type)));
    let declared = version_config.filter(|_| builtin.is_none()).map(|c| &**c);
    let (config, config_object) = match pinned.and_then(|d| d.config.as_ref()).or(declared) {
        Some(given) => (Config::Given(given), given),
        None => (Config::Derived(&derived.json), &*derived.object),
    };
    let files = run_files(run, processor_type, &mut rng);
    let (file_id, page_count) = files.first();
    let output = match pinned.and_then(|d| d.output.as_ref()) {
        Some(given) => Output::Given(given),
        None if run.status != RunStatus::Processed || !with_output => Output::Empty,
        None => match processor_type {
            ProcessorType::Extract => {
                let text = pinned.and_then(|d| d.text.as_deref());
                let extraction = match &config {
                    Config::Derived(_) => extraction::extraction(
                        derived_plan(derived.kind),
                        run,
                        page_count,
                        &mut rng,
                        text,
                    ),
                    Config::Given(given) => {
                        let plan = given.get("schema").map(Node::compile);
                        extraction::extraction(plan.as_ref(), run, page_count, &mut rng, text)
                    }
                };
                Output::Extraction(extraction)
            }
            ProcessorType::Classify => Output::Other(classification::classification(
                config_object,
                run.file_name,
                pinned.and_then(|d| d.text.as_deref()),
                &mut rng,
            )),
            ProcessorType::Splitter => Output::Other(classification::splits(
                config_object,
                page_count,
                file_id,
                pinned.and_then(|d| d.text.as_deref()),
                &mut rng,
            )),
        },
    };
    let (failure_reason, failure_message) = run_failure(run, &mut rng);
    FullRun {
        object: "document_processor_run",
        id: run.id,
        processor_id: run.processor_id,
        processor_version_id: run.processor_version_id,
        processor_name: run.processor_name,
        status: run.status,
        output,
        failure_reason,
        failure_message,
        metadata: pinned.and_then(|d| d.metadata.as_ref()),
        reviewed: pinned.and_then(|d| d.reviewed).unwrap_or(false),
        edited: pinned.and_then(|d| d.edited).unwrap_or(false),
        edits: pinned.and_then(|d| d.edits.as_ref()),
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

/// What a list's summary shows of the derived run: its files and its
/// failure, drawn from the run's stream exactly as `full_run` draws them
/// (its files first, then, for a FAILED run, which has no output, its
/// failure), without deriving a config or an output.
pub struct SummaryParts<'a> {
    pub files: Files<'a>,
    pub failure_reason: Option<&'a str>,
    pub failure_message: Option<&'a str>,
}

pub fn summary_parts<'a>(run: &RunView<'a>, processor_type: ProcessorType) -> SummaryParts<'a> {
    let mut rng = rng_for(run.id);
    let files = run_files(run, processor_type, &mut rng);
    let (failure_reason, failure_message) = run_failure(run, &mut rng);
    SummaryParts {
        files,
        failure_reason,
        failure_message,
    }
}

/// A run's files: as pinned, or the one derived (the stream's first draws).
fn run_files<'a>(run: &RunView<'a>, kind: ProcessorType, rng: &mut ChaCha8Rng) -> Files<'a> {
    match run.details.and_then(|d| d.files.as_deref()) {
        Some(files) => Files::Given(files),
        None => Files::Derived(derived_file(run, kind, rng)),
    }
}

/// A FAILED run's reason and message: as pinned, else drawn (after the
/// files; a FAILED run draws no output).
fn run_failure<'a>(run: &RunView<'a>, rng: &mut ChaCha8Rng) -> (Option<&'a str>, Option<&'a str>) {
    let failure =
        (run.status == RunStatus::Failed).then(|| FAILURES[rng.random_range(0..FAILURES.len())]);
    let pinned = run.details;
    (
        pinned
            .and_then(|d| d.failure_reason.as_deref())
            .or(failure.map(|f| f.0)),
        pinned
            .and_then(|d| d.failure_message.as_deref())
            .or(failure.map(|f| f.1)),
    )
}

/// Each document kind's schema, compiled once, on first use.
fn derived_plan(kind: DocKind) -> Option<&'static Node> {
    static PLANS: std::sync::LazyLock<Vec<Option<Node>>> = std::sync::LazyLock::new(|| {
        DocKind::ALL
            .iter()
            .map(|kind| {
                derived_config(*kind)
                    .object
                    .get("schema")
                    .map(Node::compile)
            })
            .collect()
    });
    let index = DocKind::ALL.iter().position(|k| *k == kind)?;
    PLANS[index].as_ref()
}

/// A run's `config`: as a fixture pinned it, or its processor's derived one,
/// written from JSON made once.
#[derive(Debug)]
pub enum Config<'a> {
    Given(&'a JsonObject),
    Derived(&'static RawValue),
}

impl Serialize for Config<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Config::Given(given) => given.serialize(s),
            Config::Derived(json) => json.serialize(s),
        }
    }
}

/// A run's `output`: as a fixture pinned it, `{}` for an unfinished run, or
/// derived. A derived extraction is a tree of plain values and a list of
/// metadata entries, written straight out: a `serde_json::Value` tree of a
/// few hundred small maps per request cost more than the rest of a get.
#[derive(Debug)]
pub enum Output<'a> {
    Given(&'a JsonObject),
    Empty,
    Extraction(Extraction),
    Other(JsonObject),
}

/// A run's `files`: as a fixture pinned them, or the one file derived.
#[derive(Debug)]
pub enum Files<'a> {
    Given(&'a [JsonObject]),
    Derived(DerivedFile<'a>),
}

impl Files<'_> {
    /// The first file's id and page count (1 when it has none), which a
    /// derived output refers to.
    fn first(&self) -> (&str, u32) {
        match self {
            Files::Given(files) => {
                let first = files.first();
                let id = first.and_then(|f| f.get("id")?.as_str()).unwrap_or("");
                let pages = first
                    .and_then(|f| f.get("metadata")?.get("pageCount")?.as_u64())
                    .unwrap_or(1);
                (id, u32::try_from(pages).unwrap_or(u32::MAX).max(1))
            }
            Files::Derived(file) => (&file.id, file.metadata.page_count.unwrap_or(1)),
        }
    }
}

impl Serialize for Files<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Files::Given(files) => files.serialize(s),
            Files::Derived(file) => [file].serialize(s),
        }
    }
}

/// The SDK's `File`, as a run embeds it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DerivedFile<'a> {
    pub object: &'static str,
    pub id: String,
    pub name: &'a str,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub file_type: Option<&'static str>,
    pub metadata: FileMetadata,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileMetadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_count: Option<u32>,
}

/// An extraction's `metadata`, drawn as it is written: one entry per leaf.
struct Metadata<'e>(&'e Extraction);

impl Serialize for Metadata<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        self.0.for_each_leaf(|path, leaf, numbers| {
            map.serialize_entry(path, &LeafEntry(&leaf.reference_text(), numbers))
        })?;
        map.end()
    }
}

/// One metadata entry, as the SDK's `LegacyJsonOutputMetadataValue` has it.
struct LeafEntry<'a>(&'a str, &'a LeafNumbers);

impl Serialize for LeafEntry<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Citation<'a> {
            page: u32,
            reference_text: &'a str,
            polygon: [Corner; 4],
            page_width: f64,
            page_height: f64,
        }
        #[derive(Serialize)]
        struct Corner {
            x: f64,
            y: f64,
        }
        let (reference, numbers) = (self.0, self.1);
        let corner = |p: &Point| Corner {
            x: f64::from(p.x),
            y: f64::from(p.y),
        };
        let mut map = s.serialize_map(Some(3))?;
        let thousandths = |n: u16| f64::from(n) / 1000.0;
        map.serialize_entry("ocrConfidence", &thousandths(numbers.ocr_confidence))?;
        map.serialize_entry(
            "logprobsConfidence",
            &thousandths(numbers.logprobs_confidence),
        )?;
        map.serialize_entry(
            "citations",
            &[Citation {
                page: numbers.page,
                reference_text: reference,
                polygon: numbers.polygon.each_ref().map(corner),
                page_width: f64::from(PAGE_WIDTH),
                page_height: f64::from(PAGE_HEIGHT),
            }],
        )?;
        map.end()
    }
}

impl Serialize for Output<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Output::Given(given) => given.serialize(s),
            Output::Empty => s.serialize_map(Some(0))?.end(),
            Output::Other(object) => object.serialize(s),
            Output::Extraction(extraction) => {
                let mut map = s.serialize_map(Some(2))?;
                map.serialize_entry("value", &extraction.value)?;
                map.serialize_entry("metadata", &Metadata(extraction))?;
                map.end()
            }
        }
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
pub(crate) fn rng_for(id: &str) -> ChaCha8Rng {
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
fn derived_file<'a>(
    run: &RunView<'a>,
    kind: ProcessorType,
    rng: &mut ChaCha8Rng,
) -> DerivedFile<'a> {
    let file_type = file_type(run.file_name);
    let pages = match kind {
        ProcessorType::Splitter => rng.random_range(6..=30u32),
        _ => rng.random_range(1..=6u32),
    };
    DerivedFile {
        object: "file",
        id: nano_id(rng, "file_"),
        name: run.file_name,
        file_type,
        metadata: FileMetadata {
            page_count: matches!(file_type, Some("PDF" | "DOCX")).then_some(pages),
        },
        created_at: run.created_at,
        updated_at: run.created_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_config_parses_and_has_its_type() {
        for kind in DocKind::ALL {
            let config = &derived_config(kind).object;
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
        for (name, kind, expected) in [
            ("Invoice Extractor", Extract, DocKind::Invoice),
            ("W-2 Extractor", Extract, DocKind::W2),
            ("Bank Statement Extractor", Extract, DocKind::BankStatement),
            (
                "Mortgage Packet Classifier",
                Classify,
                DocKind::MortgageClassifier,
            ),
            ("Loan Packet Splitter", Splitter, DocKind::LoanSplitter),
            ("Something Else", Extract, DocKind::GeneralDocument),
        ] {
            assert_eq!(DocKind::of(name, kind), expected, "{name}");
        }
    }

    #[test]
    fn file_types_come_from_the_extension() {
        assert_eq!(file_type("a.PDF"), Some("PDF"));
        assert_eq!(file_type("reçu_1.png"), Some("IMG"));
        assert_eq!(file_type("book.xlsx"), Some("EXCEL"));
        assert_eq!(file_type("noext"), None);
    }
}
