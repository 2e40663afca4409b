//! Processor configs: the ones a processor has when no fixture gives one
//! (one per document kind, picked by the processor's name, parsed once and
//! kept ready to write), and the check every config given to the server
//! meets, with the bounds on an extraction schema. No HTTP, no store and
//! no derivation here: the store checks and derives catalogues with it,
//! and `full_run` makes outputs from what it holds.

use std::sync::{Arc, LazyLock};

use serde_json::value::RawValue;

use crate::domain::{JsonObject, ProcessorType};

/// How much of a schema the emulator fills in. `check_config` refuses a
/// schema past any of them with a 400 naming it; the output maker
/// (`full_run`) stops at them too, so a schema that reached the store some
/// other way (a run's pinned config) still makes a bounded value. Together
/// with `EXTRA_LEAVES` they bound every derived output: a 563-byte schema
/// of arrays nested 18 deep once made 873 MB (hostile-inputs F1).
pub const MAX_SCHEMA_DEPTH: usize = 10;
/// Subschemas in all (each property, each `items`, the root).
pub const MAX_SCHEMA_NODES: usize = 1000;
/// Bytes of one property name: every leaf's metadata key repeats its path.
pub const MAX_PROPERTY_NAME: usize = 128;
/// Choices of one `enum`, and the bytes of one choice as JSON.
pub const MAX_ENUM_CHOICES: usize = 200;
pub const MAX_ENUM_CHOICE_BYTES: usize = 256;
/// Leaves a derived value may hold beyond its schema's smallest instance
/// (every array with one item): arrays stop growing once they are spent.
pub const EXTRA_LEAVES: usize = 2000;
/// Entries of a CLASSIFY config's `classifications` or a SPLITTER config's
/// `splitClassifications`: a classify output looks for each one's names in
/// the document's text (16 KiB), so their number sets its cost. The output
/// makers read no more than these of a config that was never checked.
pub const MAX_CLASSIFICATIONS: usize = 500;

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

    pub const ALL: [DocKind; 15] = [
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

    /// The derived config, as JSON text (read once, on first use).
    fn config_text(self) -> &'static str {
        match self {
            DocKind::Invoice => include_str!("invoice.json"),
            DocKind::W2 => include_str!("w2.json"),
            DocKind::BankStatement => include_str!("bank_statement.json"),
            DocKind::Receipt => include_str!("receipt.json"),
            DocKind::Paystub => include_str!("paystub.json"),
            DocKind::Form1099 => include_str!("form_1099.json"),
            DocKind::PurchaseOrder => include_str!("purchase_order.json"),
            DocKind::GeneralDocument => include_str!("general_document.json"),
            DocKind::MortgageClassifier => include_str!("mortgage_classifier.json"),
            DocKind::ClaimsClassifier => include_str!("claims_classifier.json"),
            DocKind::GeneralClassifier => include_str!("general_classifier.json"),
            DocKind::LoanSplitter => include_str!("loan_splitter.json"),
            DocKind::ClaimsSplitter => include_str!("claims_splitter.json"),
            DocKind::OnboardingSplitter => include_str!("onboarding_splitter.json"),
            DocKind::GeneralSplitter => include_str!("general_splitter.json"),
        }
    }
}

/// A derived config two ways: as an object (what outputs are made from)
/// and as the JSON it is written as; and its kind (`full_run` keeps each
/// kind's schema compiled).
pub struct DerivedConfig {
    pub kind: DocKind,
    pub object: Arc<JsonObject>,
    pub json: Box<RawValue>,
}

static CONFIGS: LazyLock<Vec<DerivedConfig>> = LazyLock::new(|| {
    DocKind::ALL
        .iter()
        .map(|kind| {
            let text = kind.config_text();
            let object: JsonObject =
                serde_json::from_str(text).expect("the built-in configs are JSON objects");
            let json = serde_json::value::to_raw_value(&object).expect("a JSON object writes");
            DerivedConfig {
                kind: *kind,
                object: Arc::new(object),
                json,
            }
        })
        .collect()
});

/// The config a processor of this kind has when no fixture gives one.
pub fn derived_config(kind: DocKind) -> &'static DerivedConfig {
    let index = DocKind::ALL
        .iter()
        .position(|k| *k == kind)
        .expect("ALL lists every kind");
    &CONFIGS[index]
}

/// The config a processor derived from runs has: its kind's, shared.
pub fn builtin_config(processor_name: &str, processor_type: ProcessorType) -> Arc<JsonObject> {
    derived_config(DocKind::of(processor_name, processor_type))
        .object
        .clone()
}

/// The built-in config this is, if it is one (the same allocation), so its
/// ready JSON and compiled schema serve instead of working from the object.
pub fn builtin_for(config: &Arc<JsonObject>) -> Option<&'static DerivedConfig> {
    CONFIGS.iter().find(|c| Arc::ptr_eq(&c.object, config))
}

/// The keywords of an extraction schema that the emulator makes values for.
pub const SCHEMA_KEYWORDS: &[&str] = &[
    "type",
    "properties",
    "items",
    "enum",
    "format",
    "required",
    "description",
    "title",
    "additionalProperties",
    "default",
    "examples",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "pattern",
    "$schema",
    // Extend's own (the SDKs' typed schemas write them): what a field
    // holds, its display name, its enum values' descriptions.
    "extend:type",
    "extend:name",
    "extend:descriptions",
];

const SCHEMA_TYPES: &[&str] = &[
    "object", "array", "string", "number", "integer", "boolean", "null",
];

/// A processor version's config as the SDK types define it: its `type` the
/// processor's; CLASSIFY with `classifications`, SPLITTER with
/// `splitClassifications` (each `{id, type, description}`); an EXTRACT
/// `schema`, when given, a JSON Schema object the emulator can fill in.
/// `Err((field under config, reason))`, the field starting with `.`.
pub fn check_config(
    processor_type: ProcessorType,
    config: &JsonObject,
) -> Result<(), (String, String)> {
    let fail = |field: &str, reason: String| Err((field.to_owned(), reason));
    match config.get("type").and_then(serde_json::Value::as_str) {
        None => return fail(".type", format!("required: `{processor_type}`")),
        Some(t) if t != processor_type.as_str() => {
            return fail(
                ".type",
                format!("`{t}` does not match the processor's type `{processor_type}`"),
            );
        }
        Some(_) => {}
    }
    match processor_type {
        ProcessorType::Extract => match config.get("schema") {
            None | Some(serde_json::Value::Null) => Ok(()),
            Some(schema) => {
                let mut nodes = 0;
                check_schema(schema, ".schema", 0, &mut nodes)
            }
        },
        ProcessorType::Classify => check_classifications(config, "classifications"),
        ProcessorType::Splitter => check_classifications(config, "splitClassifications"),
    }
}

/// A config as the legacy view shows it: what `LegacySplitterConfig`
/// declares. A split config made through the current API may give its
/// classifications an `identifierKey`, which the legacy model does not have
/// (the current view shows it); anything else is shown as given.
pub fn legacy_view(config: &JsonObject) -> std::borrow::Cow<'_, JsonObject> {
    let keyed = |list: &serde_json::Value| {
        list.as_array()
            .is_some_and(|l| l.iter().any(|c| c.get("identifierKey").is_some()))
    };
    match config.get("splitClassifications") {
        Some(list) if keyed(list) => {
            let mut config = config.clone();
            if let Some(serde_json::Value::Array(list)) = config.get_mut("splitClassifications") {
                for entry in list.iter_mut().filter_map(serde_json::Value::as_object_mut) {
                    entry.remove("identifierKey");
                }
            }
            std::borrow::Cow::Owned(config)
        }
        _ => std::borrow::Cow::Borrowed(config),
    }
}

fn check_classifications(config: &JsonObject, key: &str) -> Result<(), (String, String)> {
    let Some(list) = config.get(key).and_then(serde_json::Value::as_array) else {
        return Err((
            format!(".{key}"),
            "required: an array of `{id, type, description}`".into(),
        ));
    };
    if list.is_empty() {
        return Err((format!(".{key}"), "must hold at least one entry".into()));
    }
    if list.len() > MAX_CLASSIFICATIONS {
        return Err((
            format!(".{key}"),
            format!(
                "holds {} entries; at most {MAX_CLASSIFICATIONS} are taken",
                list.len()
            ),
        ));
    }
    for (i, entry) in list.iter().enumerate() {
        for field in ["id", "type", "description"] {
            if entry
                .get(field)
                .and_then(serde_json::Value::as_str)
                .is_none()
            {
                return Err((format!(".{key}[{i}].{field}"), "required: a string".into()));
            }
        }
        if entry
            .get("identifierKey")
            .is_some_and(|k| !k.is_string() && !k.is_null())
        {
            return Err((
                format!(".{key}[{i}].identifierKey"),
                "must be a string".into(),
            ));
        }
    }
    Ok(())
}

/// `depth` is how many `properties`/`items` lie above `schema` (0 at the
/// root); `nodes` counts the subschemas seen so far. The bounds are the
/// output maker's (`MAX_SCHEMA_DEPTH` and the rest).
fn check_schema(
    schema: &serde_json::Value,
    at: &str,
    depth: usize,
    nodes: &mut usize,
) -> Result<(), (String, String)> {
    let fail = |field: String, reason: String| Err((field, reason));
    let root = depth == 0;
    let Some(object) = schema.as_object() else {
        return fail(at.to_owned(), "must be a JSON Schema object".into());
    };
    if depth > MAX_SCHEMA_DEPTH {
        return fail(
            at.to_owned(),
            format!(
                "nests deeper than {MAX_SCHEMA_DEPTH} levels of `properties` and `items`, \
                 the most extend-mock fills in"
            ),
        );
    }
    *nodes += 1;
    if *nodes > MAX_SCHEMA_NODES {
        return fail(
            at.to_owned(),
            format!(
                "the schema holds more than {MAX_SCHEMA_NODES} fields (properties and items \
                 in all), the most extend-mock fills in"
            ),
        );
    }
    for key in object.keys() {
        if !SCHEMA_KEYWORDS.contains(&key.as_str()) {
            return fail(
                format!("{at}.{key}"),
                format!(
                    "extend-mock cannot make values for `{key}`; it understands {}",
                    SCHEMA_KEYWORDS.join(", ")
                ),
            );
        }
    }
    let types: Vec<&str> = match object.get("type") {
        None => Vec::new(),
        Some(serde_json::Value::String(t)) => vec![t.as_str()],
        Some(serde_json::Value::Array(list)) => list.iter().filter_map(|t| t.as_str()).collect(),
        Some(_) => {
            return fail(
                format!("{at}.type"),
                "must be a type name or a list of them".into(),
            );
        }
    };
    if let Some(bad) = types.iter().find(|t| !SCHEMA_TYPES.contains(t)) {
        return fail(
            format!("{at}.type"),
            format!("`{bad}` is not one of {}", SCHEMA_TYPES.join(", ")),
        );
    }
    if root && types != ["object"] {
        return fail(
            format!("{at}.type"),
            "the schema's root must be `\"type\": \"object\"`".into(),
        );
    }
    if let Some(properties) = object.get("properties") {
        let Some(properties) = properties.as_object() else {
            return fail(format!("{at}.properties"), "must be an object".into());
        };
        for (name, sub) in properties {
            if name.len() > MAX_PROPERTY_NAME {
                let start: String = name.chars().take(32).collect();
                return fail(
                    format!("{at}.properties"),
                    format!(
                        "the property name `{start}…` is {} bytes long; names may be at most \
                         {MAX_PROPERTY_NAME}",
                        name.len()
                    ),
                );
            }
            check_schema(sub, &format!("{at}.properties.{name}"), depth + 1, nodes)?;
        }
    }
    if let Some(items) = object.get("items") {
        check_schema(items, &format!("{at}.items"), depth + 1, nodes)?;
    }
    if let Some(choices) = object.get("enum") {
        let Some(choices) = choices.as_array().filter(|c| !c.is_empty()) else {
            return fail(format!("{at}.enum"), "must be a non-empty array".into());
        };
        if choices.len() > MAX_ENUM_CHOICES {
            return fail(
                format!("{at}.enum"),
                format!(
                    "has {} choices; extend-mock takes at most {MAX_ENUM_CHOICES}",
                    choices.len()
                ),
            );
        }
        for (i, choice) in choices.iter().enumerate() {
            let plain = matches!(
                choice,
                serde_json::Value::String(_)
                    | serde_json::Value::Number(_)
                    | serde_json::Value::Bool(_)
                    | serde_json::Value::Null
            );
            if !plain || choice.to_string().len() > MAX_ENUM_CHOICE_BYTES {
                return fail(
                    format!("{at}.enum[{i}]"),
                    format!(
                        "must be a string, number, boolean or null of at most \
                         {MAX_ENUM_CHOICE_BYTES} bytes"
                    ),
                );
            }
        }
    }
    Ok(())
}
