//! Extraction outputs: a JSON Schema compiled once into a plan of what each
//! field holds (a date, an amount, a company name, …, judged by its name),
//! then for each run a value for every field and a metadata entry for every
//! leaf. The built-in configs' plans are compiled at first use; a pinned
//! config's when a run needs it.

use std::sync::Arc;

use fake::Fake;
use fake::faker::address::en::{BuildingNumber, CityName, StateAbbr, StreetName, ZipCode};
use fake::faker::company::en::CompanyName;
use fake::faker::name::en::Name;
use rand::RngExt;
use rand::rngs::ChaCha8Rng;
use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq};
use serde_json::Value;

use crate::store::RunView;

/// What to make for one field of the schema.
#[derive(Debug)]
pub enum Node {
    Object(Vec<(Arc<str>, Node)>),
    Array(Box<Node>),
    Choice(Vec<Value>),
    Number(NumberKind),
    Integer(IntegerKind),
    Boolean,
    Null,
    Text(TextKind),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumberKind {
    Rate,
    Quantity,
    Amount,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntegerKind {
    Year,
    Count,
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKind {
    Date,
    Ssn,
    Ein,
    Masked,
    InvoiceNumber,
    OrderNumber,
    Number,
    Currency,
    Address,
    State,
    Person,
    Company,
    Description,
    Other,
}

impl Node {
    /// The JSON Schema keywords understood: `type` (a name, or a list whose
    /// first non-null name is used), `properties`, `items`, `enum`, `format:
    /// date`. Anything else is read as a string.
    pub fn compile(schema: &Value) -> Node {
        Node::compile_field(schema, "")
    }

    fn compile_field(schema: &Value, name: &str) -> Node {
        if let Some(choices) = schema.get("enum").and_then(Value::as_array)
            && !choices.is_empty()
        {
            return Node::Choice(choices.clone());
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
        let lower = name.to_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
        match kind {
            "object" => Node::Object(
                schema
                    .get("properties")
                    .and_then(Value::as_object)
                    .map(|properties| {
                        properties
                            .iter()
                            .map(|(key, sub)| {
                                (Arc::from(key.as_str()), Node::compile_field(sub, key))
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            "array" => Node::Array(Box::new(match schema.get("items") {
                Some(items) => Node::compile_field(items, name),
                None => Node::Text(TextKind::Other),
            })),
            "number" if has(&["rate", "percent"]) => Node::Number(NumberKind::Rate),
            "number" if has(&["quantity"]) => Node::Number(NumberKind::Quantity),
            "number" => Node::Number(NumberKind::Amount),
            "integer" if has(&["year"]) => Node::Integer(IntegerKind::Year),
            "integer" if has(&["quantity", "count"]) => Node::Integer(IntegerKind::Count),
            "integer" => Node::Integer(IntegerKind::Other),
            "boolean" => Node::Boolean,
            "null" => Node::Null,
            _ => {
                let is_date = schema.get("format").and_then(Value::as_str) == Some("date");
                Node::Text(text_kind(&lower, is_date))
            }
        }
    }
}

/// What a string field holds, from its (lower-case) name.
fn text_kind(name: &str, is_date: bool) -> TextKind {
    let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
    if is_date || has(&["date", "period_start", "period_end"]) {
        TextKind::Date
    } else if has(&["ssn", "social_security_number"]) {
        TextKind::Ssn
    } else if has(&["ein"]) {
        TextKind::Ein
    } else if has(&["account_number", "card"]) {
        TextKind::Masked
    } else if has(&["invoice_number"]) {
        TextKind::InvoiceNumber
    } else if has(&["po_number", "order_number"]) {
        TextKind::OrderNumber
    } else if has(&["number", "_id"]) {
        TextKind::Number
    } else if has(&["currency"]) {
        TextKind::Currency
    } else if has(&["address"]) {
        TextKind::Address
    } else if has(&["state"]) {
        TextKind::State
    } else if has(&[
        "employee",
        "recipient",
        "holder",
        "borrower",
        "applicant",
        "customer_name",
    ]) {
        TextKind::Person
    } else if has(&[
        "name", "vendor", "employer", "merchant", "payer", "bank", "supplier", "buyer",
    ]) {
        TextKind::Company
    } else if has(&["description", "item"]) {
        TextKind::Description
    } else {
        TextKind::Other
    }
}

/// A value made for one run: the schema's shape, keys shared with the plan.
#[derive(Debug)]
pub enum Field {
    Object(Vec<(Arc<str>, Field)>),
    Array(Vec<Field>),
    Choice(Value),
    Number(f64),
    Integer(i64),
    Bool(bool),
    Null,
    Text(String),
}

impl Serialize for Field {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Object(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (key, value) in fields {
                    map.serialize_entry(&**key, value)?;
                }
                map.end()
            }
            Field::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Field::Choice(value) => value.serialize(s),
            Field::Number(n) => s.serialize_f64(*n),
            Field::Integer(n) => s.serialize_i64(*n),
            Field::Bool(b) => s.serialize_bool(*b),
            Field::Null => s.serialize_unit(),
            Field::Text(text) => s.serialize_str(text),
        }
    }
}

impl Field {
    fn get_mut(&mut self, key: &str) -> Option<&mut Field> {
        match self {
            Field::Object(fields) => fields.iter_mut().find(|(k, _)| &**k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn number(&self) -> Option<f64> {
        match self {
            Field::Number(n) => Some(*n),
            Field::Integer(n) => Some(*n as f64),
            _ => None,
        }
    }
}

/// One leaf's entry in an extraction's `metadata`, as the SDK's
/// `LegacyJsonOutputMetadataValue` has it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeafMetadata {
    pub ocr_confidence: f64,
    pub logprobs_confidence: f64,
    pub citations: [Citation; 1],
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Citation {
    pub page: u32,
    pub reference_text: String,
    pub polygon: [Point; 4],
    /// US Letter, in points: every derived page has this size.
    #[serde(serialize_with = "letter_width")]
    pub page_width: (),
    #[serde(serialize_with = "letter_height")]
    pub page_height: (),
}

pub const PAGE_WIDTH: u32 = 612;
pub const PAGE_HEIGHT: u32 = 792;

fn letter_width<S: serde::Serializer>(_: &(), s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(f64::from(PAGE_WIDTH))
}

fn letter_height<S: serde::Serializer>(_: &(), s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(f64::from(PAGE_HEIGHT))
}

/// A corner of a citation's box, in whole points (written as `243.0`, the
/// floats the SDK's model declares).
#[derive(Debug)]
pub struct Point {
    pub x: u32,
    pub y: u32,
}

impl Serialize for Point {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("x", &f64::from(self.x))?;
        map.serialize_entry("y", &f64::from(self.y))?;
        map.end()
    }
}

/// `{value, metadata}` for a run, from a compiled schema.
pub fn extraction(
    plan: Option<&Node>,
    run: &RunView<'_>,
    pages: u32,
    rng: &mut ChaCha8Rng,
) -> (Field, Vec<(String, LeafMetadata)>) {
    let mut value = match plan {
        Some(node @ Node::Object(_)) => generate(node, run, rng),
        _ => Field::Object(Vec::new()),
    };
    balance_totals(&mut value);
    let mut metadata = Vec::new();
    let mut path = String::new();
    describe_leaves(&value, &mut path, pages, rng, &mut metadata);
    (value, metadata)
}

fn generate(node: &Node, run: &RunView<'_>, rng: &mut ChaCha8Rng) -> Field {
    match node {
        Node::Object(fields) => Field::Object(
            fields
                .iter()
                .map(|(key, sub)| (Arc::clone(key), generate(sub, run, rng)))
                .collect(),
        ),
        Node::Array(items) => {
            let count = rng.random_range(1..=4);
            Field::Array((0..count).map(|_| generate(items, run, rng)).collect())
        }
        Node::Choice(choices) => Field::Choice(choices[rng.random_range(0..choices.len())].clone()),
        Node::Number(kind) => Field::Number(match kind {
            NumberKind::Rate => f64::from(rng.random_range(0..1500u32)) / 10_000.0,
            NumberKind::Quantity => f64::from(rng.random_range(1..=12u32)),
            NumberKind::Amount => f64::from(rng.random_range(500..250_000u32)) / 100.0,
        }),
        Node::Integer(kind) => Field::Integer(match kind {
            IntegerKind::Year => i64::from(run_date(run, 0).year()) - 1,
            IntegerKind::Count => rng.random_range(1..=12),
            IntegerKind::Other => rng.random_range(1..=100),
        }),
        Node::Boolean => Field::Bool(rng.random_bool(0.5)),
        Node::Null => Field::Null,
        Node::Text(kind) => Field::Text(text(*kind, run, rng)),
    }
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

/// A string that reads like what the field holds.
fn text(kind: TextKind, run: &RunView<'_>, rng: &mut ChaCha8Rng) -> String {
    match kind {
        TextKind::Date => {
            let date = run_date(run, rng.random_range(0..60));
            format!(
                "{:04}-{:02}-{:02}",
                date.year(),
                u8::from(date.month()),
                date.day()
            )
        }
        TextKind::Ssn => format!("XXX-XX-{:04}", rng.random_range(0..10_000u32)),
        TextKind::Ein => format!(
            "{:02}-{:07}",
            rng.random_range(10..100u32),
            rng.random_range(0..10_000_000u32)
        ),
        TextKind::Masked => format!("****{:04}", rng.random_range(0..10_000u32)),
        TextKind::InvoiceNumber => format!("INV-{:06}", rng.random_range(0..1_000_000u32)),
        TextKind::OrderNumber => format!("PO-{:06}", rng.random_range(0..1_000_000u32)),
        TextKind::Number => format!("{:08}", rng.random_range(0..100_000_000u32)),
        TextKind::Currency => "USD".into(),
        TextKind::Address => format!(
            "{} {}, {}, {} {}",
            BuildingNumber().fake_with_rng::<String, _>(rng),
            StreetName().fake_with_rng::<String, _>(rng),
            CityName().fake_with_rng::<String, _>(rng),
            StateAbbr().fake_with_rng::<String, _>(rng),
            ZipCode().fake_with_rng::<String, _>(rng)
        ),
        TextKind::State => StateAbbr().fake_with_rng(rng),
        TextKind::Person => Name().fake_with_rng(rng),
        TextKind::Company => CompanyName().fake_with_rng(rng),
        TextKind::Description => DESCRIPTIONS[rng.random_range(0..DESCRIPTIONS.len())].into(),
        TextKind::Other => format!("Page {} of {}", rng.random_range(1..=3u32), run.file_name),
    }
}

/// Makes the money add up where a document has the usual fields: each line's
/// `amount` is quantity × unit price, `subtotal` their sum, `total` the
/// subtotal plus `tax`.
fn balance_totals(value: &mut Field) {
    let round = |x: f64| (x * 100.0).round() / 100.0;
    let mut sum = None;
    for key in ["line_items", "items"] {
        if let Some(Field::Array(lines)) = value.get_mut(key) {
            let mut total = 0.0;
            for line in lines.iter_mut() {
                let quantity = line.get_mut("quantity").and_then(|f| f.number());
                let price = line.get_mut("unit_price").and_then(|f| f.number());
                let amount = match (quantity, price) {
                    (Some(q), Some(p)) => {
                        let amount = round(q * p);
                        if let Some(field) = line.get_mut("amount") {
                            *field = Field::Number(amount);
                        }
                        amount
                    }
                    _ => line
                        .get_mut("amount")
                        .and_then(|f| f.number())
                        .unwrap_or(0.0),
                };
                total += amount;
            }
            sum = Some(round(total));
        }
    }
    let Some(subtotal) = sum else {
        return;
    };
    if let Some(field) = value.get_mut("subtotal") {
        *field = Field::Number(subtotal);
    }
    let tax = value.get_mut("tax").and_then(|f| f.number()).unwrap_or(0.0);
    if let Some(field) = value.get_mut("total") {
        *field = Field::Number(round(subtotal + tax));
    }
}

/// A metadata entry for every leaf of `value`, keyed by its path
/// (`line_items[0].amount`); `path` is a buffer reused down the tree.
fn describe_leaves(
    value: &Field,
    path: &mut String,
    pages: u32,
    rng: &mut ChaCha8Rng,
    metadata: &mut Vec<(String, LeafMetadata)>,
) {
    let mark = path.len();
    match value {
        Field::Object(fields) => {
            for (key, sub) in fields {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                describe_leaves(sub, path, pages, rng, metadata);
                path.truncate(mark);
            }
        }
        Field::Array(items) => {
            for (i, sub) in items.iter().enumerate() {
                use std::fmt::Write;
                let _ = write!(path, "[{i}]");
                describe_leaves(sub, path, pages, rng, metadata);
                path.truncate(mark);
            }
        }
        leaf => {
            let reference = match leaf {
                Field::Text(text) => text.clone(),
                Field::Choice(Value::String(text)) => text.clone(),
                Field::Choice(other) => other.to_string(),
                Field::Number(n) => n.to_string(),
                Field::Integer(n) => n.to_string(),
                Field::Bool(b) => b.to_string(),
                _ => "null".to_owned(),
            };
            let (x, y) = (rng.random_range(40..420u32), rng.random_range(40..740u32));
            let width = rng.random_range(40..160u32);
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
                            y: y + 12,
                        },
                        Point { x, y: y + 12 },
                    ],
                    page_width: (),
                    page_height: (),
                }],
            };
            metadata.push((path.clone(), entry));
        }
    }
}
