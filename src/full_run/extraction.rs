//! Extraction outputs: a JSON Schema compiled once into a plan of what each
//! field holds (a date, an amount, a company name, …, judged by its name),
//! then for each run a value for every field and a metadata entry for every
//! leaf. The built-in configs' plans are compiled at first use; a pinned
//! config's when a run needs it.

use std::borrow::Cow;
use std::sync::{Arc, LazyLock};

use fake::Fake;
use fake::faker::address::en::{BuildingNumber, CityName, StateAbbr, StreetName, ZipCode};
use fake::faker::company::en::CompanyName;
use fake::faker::name::en::Name;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq};
use serde_json::Value;

use crate::store::RunView;

pub use crate::configs::{
    EXTRA_LEAVES, MAX_ENUM_CHOICE_BYTES, MAX_ENUM_CHOICES, MAX_PROPERTY_NAME, MAX_SCHEMA_DEPTH,
    MAX_SCHEMA_NODES,
};

/// Extend's own keyword for what a field holds: `date` (a `YYYY-MM-DD`
/// string), `currency` (`{amount, iso_4217_currency_code}`), `signature`
/// (`{printed_name, signature_date, is_signed, title_or_role}`). The last two
/// are objects whose properties the schema lists, and are filled by name.
pub const EXTEND_TYPE: &str = "extend:type";

/// What to make for one field of the schema.
#[derive(Debug)]
pub enum Node {
    Object(Vec<(Arc<str>, Node)>),
    /// The item, and the leaves its smallest instance holds.
    Array(Box<Node>, usize),
    Choice(Vec<Value>),
    /// Numbers and strings keep their field's name: a document's text is
    /// searched for it (`DocText`).
    Number(NumberKind, Arc<str>),
    Integer(IntegerKind),
    Boolean,
    Null,
    Text(TextKind, Arc<str>),
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
    Title,
    Other,
}

impl Node {
    /// The JSON Schema keywords understood: `type` (a name, or a list whose
    /// first non-null name is used), `properties`, `items`, `enum`, `format:
    /// date`. Anything else is read as a string.
    /// Past `MAX_SCHEMA_DEPTH` a field is read as a string, and past
    /// `MAX_SCHEMA_NODES` properties are left out.
    pub fn compile(schema: &Value) -> Node {
        let mut nodes = MAX_SCHEMA_NODES;
        Node::compile_field(schema, "", 0, &mut nodes)
    }

    /// The leaves of the smallest value of this node: every array with one
    /// item.
    pub fn least_leaves(&self) -> usize {
        match self {
            Node::Object(fields) => fields.iter().map(|(_, f)| f.least_leaves()).sum(),
            Node::Array(_, leaves) => *leaves,
            _ => 1,
        }
    }

    fn compile_field(schema: &Value, name: &str, depth: usize, nodes: &mut usize) -> Node {
        *nodes = nodes.saturating_sub(1);
        if let Some(choices) = schema.get("enum").and_then(Value::as_array) {
            // The SDKs' typed schemas add `null` to every enum (a field may
            // be missing from a document); a value is one of the others.
            let fitting: Vec<Value> = choices
                .iter()
                .filter(|c| !c.is_null() && c.to_string().len() <= MAX_ENUM_CHOICE_BYTES)
                .take(MAX_ENUM_CHOICES)
                .cloned()
                .collect();
            if !fitting.is_empty() {
                return Node::Choice(fitting);
            }
            if choices.iter().any(Value::is_null) {
                return Node::Null;
            }
        }
        if depth > MAX_SCHEMA_DEPTH {
            return Node::Text(TextKind::Other, Arc::from(name));
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
                        // A currency's amount is found in a text by its
                        // owner's name (`total`), not by `amount`.
                        let currency =
                            schema.get(EXTEND_TYPE).and_then(Value::as_str) == Some("currency");
                        let mut fields = Vec::with_capacity(properties.len());
                        for (key, sub) in properties {
                            if *nodes == 0 {
                                break;
                            }
                            if key.len() > MAX_PROPERTY_NAME {
                                continue;
                            }
                            let looked_up = match currency && key == "amount" {
                                true => name,
                                false => key.as_str(),
                            };
                            let field = Node::compile_field(sub, looked_up, depth + 1, nodes);
                            fields.push((Arc::from(key.as_str()), field));
                        }
                        fields
                    })
                    .unwrap_or_default(),
            ),
            "array" => {
                let item = match schema.get("items") {
                    Some(items) => Node::compile_field(items, name, depth + 1, nodes),
                    None => Node::Text(TextKind::Other, Arc::from(name)),
                };
                let leaves = item.least_leaves();
                Node::Array(Box::new(item), leaves)
            }
            "number" if has(&["rate", "percent"]) => {
                Node::Number(NumberKind::Rate, Arc::from(name))
            }
            "number" if has(&["quantity"]) => Node::Number(NumberKind::Quantity, Arc::from(name)),
            "number" => Node::Number(NumberKind::Amount, Arc::from(name)),
            "integer" if has(&["year"]) => Node::Integer(IntegerKind::Year),
            "integer" if has(&["quantity", "count"]) => Node::Integer(IntegerKind::Count),
            "integer" => Node::Integer(IntegerKind::Other),
            "boolean" => Node::Boolean,
            "null" => Node::Null,
            _ => {
                let is_date = schema.get("format").and_then(Value::as_str) == Some("date")
                    || schema.get(EXTEND_TYPE).and_then(Value::as_str) == Some("date");
                Node::Text(text_kind(&lower, is_date), Arc::from(name))
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
    } else if has(&["title_or_role", "job_title"]) || name == "role" || name.ends_with("_role") {
        TextKind::Title
    } else if has(&[
        "printed_name",
        "signer",
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
    Text(Cow<'static, str>),
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

    /// The text a leaf's citation quotes: the value as a document would
    /// show it.
    pub fn reference_text(&self) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow;
        match self {
            Field::Text(text) => Cow::Borrowed(text.as_ref()),
            Field::Choice(Value::String(text)) => Cow::Borrowed(text),
            Field::Choice(other) => Cow::Owned(other.to_string()),
            Field::Number(n) => Cow::Owned(n.to_string()),
            Field::Integer(n) => Cow::Owned(n.to_string()),
            Field::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Field::Null | Field::Object(_) | Field::Array(_) => Cow::Borrowed("null"),
        }
    }

    fn number(&self) -> Option<f64> {
        match self {
            Field::Number(n) => Some(*n),
            Field::Integer(n) => Some(*n as f64),
            _ => None,
        }
    }

    /// A money field's amount: a number, or a currency object's `amount`.
    fn amount(&mut self) -> Option<f64> {
        match self {
            Field::Object(_) => self.get_mut("amount").and_then(|a| a.number()),
            other => other.number(),
        }
    }

    /// Sets a money field's amount, keeping its shape: a number stays a
    /// number, a currency object (`extend:type: currency`) gets its
    /// `amount`; anything else is left alone.
    fn set_amount(&mut self, amount: f64) {
        match self {
            Field::Number(_) => *self = Field::Number(amount),
            Field::Object(_) => {
                if let Some(inner @ Field::Number(_)) = self.get_mut("amount") {
                    *inner = Field::Number(amount);
                }
            }
            _ => {}
        }
    }
}

/// The numbers of one leaf's metadata entry (the SDK's
/// `LegacyJsonOutputMetadataValue`: two confidences and one citation), drawn
/// from the run's stream in a fixed order as the leaves are walked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LeafNumbers {
    /// Confidences in thousandths (0.918 is 918): written without a float
    /// formatter, read by clients as the floats the SDK declares.
    pub ocr_confidence: u16,
    pub logprobs_confidence: u16,
    pub page: u32,
    pub polygon: [Point; 4],
}

/// Every derived page is US Letter, in points.
pub const PAGE_WIDTH: u32 = 612;
pub const PAGE_HEIGHT: u32 = 792;

/// A corner of a citation's box, in whole points (written as `243.0`, the
/// floats the SDK's model declares).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Point {
    pub x: u32,
    pub y: u32,
}

/// A derived extraction: its value, and what its metadata is drawn from.
/// The metadata is not built: a writer walks the leaves (`for_each_leaf`)
/// and draws each entry's numbers as it writes it, so a get allocates
/// nothing per leaf for it.
#[derive(Debug)]
pub struct Extraction {
    pub value: Field,
    /// Seeds the metadata's own stream.
    seed: [u8; 32],
    pages: u32,
}

impl Extraction {
    /// Calls `leaf` with every leaf of the value, in order: its path
    /// (`line_items[0].amount`), the leaf, and its metadata numbers. The
    /// same calls, with the same numbers, every time.
    pub fn for_each_leaf<E>(
        &self,
        mut leaf: impl FnMut(&str, &Field, &LeafNumbers) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut rng = ChaCha8Rng::from_seed(self.seed);
        let mut path = String::with_capacity(64);
        walk(&self.value, &mut path, self.pages, &mut rng, &mut leaf)
    }
}

fn walk<E>(
    value: &Field,
    path: &mut String,
    pages: u32,
    rng: &mut ChaCha8Rng,
    leaf: &mut impl FnMut(&str, &Field, &LeafNumbers) -> Result<(), E>,
) -> Result<(), E> {
    let mark = path.len();
    match value {
        Field::Object(fields) => {
            for (key, sub) in fields {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                walk(sub, path, pages, rng, leaf)?;
                path.truncate(mark);
            }
        }
        Field::Array(items) => {
            for (i, sub) in items.iter().enumerate() {
                path.push('[');
                path.push_str(itoa::Buffer::new().format(i));
                path.push(']');
                walk(sub, path, pages, rng, leaf)?;
                path.truncate(mark);
            }
        }
        other => {
            // Two 64-bit draws per leaf, cut into 16-bit pieces for the
            // entry's numbers (the modulo bias is far below anything a client
            // could notice).
            let (box_bits, score_bits): (u64, u64) = (rng.random(), rng.random());
            let piece = |bits: u64, at: u32, range: u64| ((bits >> at) & 0xffff) % range;
            let (x, y) = (
                40 + piece(box_bits, 0, 380) as u32,
                40 + piece(box_bits, 16, 700) as u32,
            );
            let width = 40 + piece(box_bits, 32, 120) as u32;
            let numbers = LeafNumbers {
                ocr_confidence: 900 + piece(score_bits, 0, 100) as u16,
                logprobs_confidence: 850 + piece(score_bits, 16, 150) as u16,
                page: 1 + piece(box_bits, 48, u64::from(pages)) as u32,
                polygon: [
                    Point { x, y },
                    Point { x: x + width, y },
                    Point {
                        x: x + width,
                        y: y + 12,
                    },
                    Point { x, y: y + 12 },
                ],
            };
            leaf(path, other, &numbers)?;
        }
    }
    Ok(())
}

/// `{value, metadata}` for a run, from a compiled schema.
pub fn extraction(
    plan: Option<&Node>,
    run: &RunView<'_>,
    pages: u32,
    rng: &mut ChaCha8Rng,
    text: Option<&str>,
) -> Extraction {
    let mut made = Making {
        extra: EXTRA_LEAVES,
        document: text.map(DocText::new),
        found: 0,
    };
    let mut value = match plan {
        Some(node @ Node::Object(_)) => generate(node, run, rng, &mut made),
        _ => Field::Object(Vec::new()),
    };
    // Values read from the document stand as they are; made-up money is
    // made to add up.
    if made.found == 0 {
        balance_totals(&mut value);
        order_periods(&mut value);
    }
    // The metadata gets a stream of its own, seeded here, so drawing it
    // later (and twice) changes nothing drawn after this point.
    Extraction {
        value,
        seed: rng.random(),
        pages,
    }
}

/// A value for `node`. `extra` is what is left of `EXTRA_LEAVES`: an
/// array's items past its first are paid for from it, at their smallest
/// size, before they are made, so the whole value never holds more than the
/// schema's smallest instance plus `EXTRA_LEAVES` leaves, however its arrays
/// nest.
fn generate(node: &Node, run: &RunView<'_>, rng: &mut ChaCha8Rng, made: &mut Making) -> Field {
    match node {
        Node::Object(fields) => Field::Object(
            fields
                .iter()
                .map(|(key, sub)| (Arc::clone(key), generate(sub, run, rng, made)))
                .collect(),
        ),
        Node::Array(items, item_leaves) => {
            // Drawn as before the budget (an `i32`), so the values of every
            // schema within it are what they always were.
            let drawn = rng.random_range(1..=4i32) as usize;
            let affordable = 1 + made.extra / (*item_leaves).max(1);
            let count = drawn.min(affordable);
            made.extra -= (count - 1) * item_leaves;
            Field::Array(
                (0..count)
                    .map(|_| generate(items, run, rng, made))
                    .collect(),
            )
        }
        Node::Choice(choices) => Field::Choice(choices[rng.random_range(0..choices.len())].clone()),
        Node::Number(kind, name) => {
            // Drawn whether or not the document has it, so the fields after
            // it are drawn alike either way.
            let drawn = match kind {
                NumberKind::Rate => f64::from(rng.random_range(0..1500u32)) / 10_000.0,
                NumberKind::Quantity => f64::from(rng.random_range(1..=12u32)),
                NumberKind::Amount => f64::from(rng.random_range(500..250_000u32)) / 100.0,
            };
            match made.document.as_ref().and_then(|d| d.number(name)) {
                Some(found) => {
                    made.found += 1;
                    Field::Number(found)
                }
                None => Field::Number(drawn),
            }
        }
        Node::Integer(kind) => Field::Integer(match kind {
            IntegerKind::Year => i64::from(run_date(run, 0).year()) - 1,
            IntegerKind::Count => rng.random_range(1..=12),
            IntegerKind::Other => rng.random_range(1..=100),
        }),
        Node::Boolean => Field::Bool(rng.random_bool(0.5)),
        Node::Null => Field::Null,
        Node::Text(kind, name) => {
            let drawn = text(*kind, run, rng);
            match made.document.as_ref().and_then(|d| d.text(name, *kind)) {
                Some(found) => {
                    made.found += 1;
                    Field::Text(Cow::Owned(found))
                }
                None => Field::Text(drawn),
            }
        }
    }
}

/// What making one value keeps track of.
struct Making {
    /// What is left of `EXTRA_LEAVES`.
    extra: usize,
    /// The run's document text, when it has one.
    document: Option<DocText>,
    /// How many values came from the document.
    found: usize,
}

/// A document's text as labelled pieces: its lines, and the parts of a
/// line between `…`, `|` or `;` ("Invoice #12345 … Total: $1,234.56" is
/// two). A field finds its value after its name in one of them.
pub(super) struct DocText {
    pieces: Vec<(String, String)>,
}

impl DocText {
    pub(super) fn new(text: &str) -> DocText {
        let pieces = text
            .split(['\n', '…', '|', ';'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .take(2000)
            .map(|p| (p.to_ascii_lowercase(), p.to_owned()))
            .collect();
        DocText { pieces }
    }

    /// What follows a label for `name` in a piece: `invoice number`, and
    /// for a `…_number`/`…_id` field its first words too (`Invoice #123`).
    fn after_label(&self, name: &str, short_too: bool) -> Option<&str> {
        let phrase = name.to_ascii_lowercase().replace('_', " ");
        let mut phrases = vec![phrase.clone()];
        if short_too && let Some((head, _)) = phrase.rsplit_once(' ') {
            phrases.push(head.to_owned());
        }
        for phrase in phrases.iter().filter(|p| p.len() >= 3) {
            for (lower, original) in &self.pieces {
                // At the start of a word: `total` is not in `subtotal`.
                let Some(at) = lower
                    .match_indices(phrase.as_str())
                    .map(|(at, _)| at)
                    .find(|&at| {
                        !lower[..at]
                            .chars()
                            .next_back()
                            .is_some_and(|c| c.is_ascii_alphanumeric())
                    })
                else {
                    continue;
                };
                // ASCII lower-casing keeps byte offsets.
                let rest = original[at + phrase.len()..]
                    .trim_start_matches([' ', ':', '#', '-', '=', '.', '\t'])
                    .trim();
                if !rest.is_empty() {
                    return Some(rest);
                }
            }
        }
        None
    }

    /// The first word after a label for `name` (`Loan Number: LN-77 …` is
    /// `LN-77`): a split's identifier. At most 100 characters.
    pub(super) fn first_word_after(&self, name: &str) -> Option<String> {
        let rest = self.after_label(name, false)?;
        let word = rest
            .split_whitespace()
            .next()?
            .trim_end_matches([',', '.', ';', ':']);
        (!word.is_empty()).then(|| word.chars().take(100).collect())
    }

    /// A string field's value from the text: at most 200 characters.
    fn text(&self, name: &str, kind: TextKind) -> Option<String> {
        let short = matches!(
            kind,
            TextKind::InvoiceNumber | TextKind::OrderNumber | TextKind::Number
        );
        let rest = self.after_label(name, short)?;
        if kind == TextKind::Date {
            // Only a date the SDKs' date type reads.
            let date = rest.get(..10)?;
            let ok = date.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
            return ok.then(|| date.to_owned());
        }
        if short {
            // A number is one word: "Invoice #12345 Total: $1,234.56" is `12345`.
            let word = rest
                .split_whitespace()
                .next()?
                .trim_end_matches([',', '.', ';', ':']);
            return (!word.is_empty()).then(|| word.chars().take(200).collect());
        }
        Some(rest.chars().take(200).collect())
    }

    /// A number field's value: the number after its label, its currency
    /// sign and thousands separators dropped (`$1,234.56` is 1234.56).
    fn number(&self, name: &str) -> Option<f64> {
        let rest = self.after_label(name, false)?;
        let digits: String = rest
            .trim_start_matches(['$', '€', '£', ' '])
            .chars()
            .take_while(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '-'))
            .filter(|c| *c != ',')
            .collect();
        digits
            .trim_end_matches('.')
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
    }
}

/// A day up to `days_before` days before the run was made.
fn run_date(run: &RunView<'_>, days_before: i64) -> time::Date {
    date_before(run.created_nanos, days_before)
}

fn date_before(created_nanos: i64, days_before: i64) -> time::Date {
    let made = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(created_nanos))
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

const TITLES: &[&str] = &[
    "Chief Financial Officer",
    "Accounts Payable Manager",
    "Authorized Signatory",
    "Controller",
    "Operations Director",
    "Borrower",
];

/// A string that reads like what the field holds.
fn text(kind: TextKind, run: &RunView<'_>, rng: &mut ChaCha8Rng) -> Cow<'static, str> {
    text_for(kind, run.created_nanos, run.file_name, rng)
}

/// A made-up value for a field of `name` (lower case) of a document made at
/// `created_nanos`: what an extraction makes up for a string field.
pub(crate) fn made_up_text(
    name: &str,
    created_nanos: i64,
    file_name: &str,
    rng: &mut ChaCha8Rng,
) -> String {
    text_for(text_kind(name, false), created_nanos, file_name, rng).into_owned()
}

fn text_for(
    kind: TextKind,
    created_nanos: i64,
    file_name: &str,
    rng: &mut ChaCha8Rng,
) -> Cow<'static, str> {
    let pick = |pool: &'static [String], rng: &mut ChaCha8Rng| {
        Cow::Borrowed(pool[rng.random_range(0..pool.len())].as_str())
    };
    Cow::Owned(match kind {
        TextKind::Date => {
            let date = date_before(created_nanos, rng.random_range(0..60));
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
        TextKind::Currency => return Cow::Borrowed("USD"),
        TextKind::Address => return pick(&POOLS.addresses, rng),
        TextKind::State => return pick(&POOLS.states, rng),
        TextKind::Person => return pick(&POOLS.people, rng),
        TextKind::Company => return pick(&POOLS.companies, rng),
        TextKind::Description => {
            return Cow::Borrowed(DESCRIPTIONS[rng.random_range(0..DESCRIPTIONS.len())]);
        }
        TextKind::Title => return Cow::Borrowed(TITLES[rng.random_range(0..TITLES.len())]),
        TextKind::Other => format!("Page {} of {}", rng.random_range(1..=3u32), file_name),
    })
}

/// Names, companies, addresses and states for derived values, made once with
/// `fake` from a fixed seed (the same pools on every machine) and then drawn
/// from: a `fake` call per field cost more than the rest of a derived value.
struct Pools {
    people: Vec<String>,
    companies: Vec<String>,
    addresses: Vec<String>,
    states: Vec<String>,
}

/// How many of each kind a pool holds.
const POOL_SIZE: usize = 512;

static POOLS: LazyLock<Pools> = LazyLock::new(|| {
    let mut rng = ChaCha8Rng::seed_from_u64(0x5eed_f00d);
    let mut make = |f: &mut dyn FnMut(&mut ChaCha8Rng) -> String| {
        (0..POOL_SIZE).map(|_| f(&mut rng)).collect::<Vec<_>>()
    };
    Pools {
        people: make(&mut |rng| Name().fake_with_rng(rng)),
        companies: make(&mut |rng| CompanyName().fake_with_rng(rng)),
        addresses: make(&mut |rng| {
            format!(
                "{} {}, {}, {} {}",
                BuildingNumber().fake_with_rng::<String, _>(rng),
                StreetName().fake_with_rng::<String, _>(rng),
                CityName().fake_with_rng::<String, _>(rng),
                StateAbbr().fake_with_rng::<String, _>(rng),
                ZipCode().fake_with_rng::<String, _>(rng)
            )
        }),
        states: make(&mut |rng| StateAbbr().fake_with_rng(rng)),
    }
});

/// Puts made-up periods in order: in every object, a `…_start` date after
/// its `…_end` (`period_start`, `pay_period_start`, `start_date`…) is
/// swapped with it, so a statement's period does not end before it begins.
fn order_periods(value: &mut Field) {
    match value {
        Field::Object(fields) => {
            for i in 0..fields.len() {
                let key = &fields[i].0;
                let end_key = if let Some(stem) = key.strip_suffix("_start") {
                    format!("{stem}_end")
                } else if let Some(rest) = key.strip_prefix("start_") {
                    format!("end_{rest}")
                } else {
                    continue;
                };
                let Some(j) = fields.iter().position(|(k, _)| **k == *end_key) else {
                    continue;
                };
                if let (Field::Text(start), Field::Text(end)) = (&fields[i].1, &fields[j].1) {
                    // `YYYY-MM-DD` texts order as their dates do.
                    if start.len() == 10 && end.len() == 10 && start > end {
                        let (a, b) = (i.min(j), i.max(j));
                        let (left, right) = fields.split_at_mut(b);
                        std::mem::swap(&mut left[a].1, &mut right[0].1);
                    }
                }
            }
            for (_, field) in fields.iter_mut() {
                order_periods(field);
            }
        }
        Field::Array(items) => items.iter_mut().for_each(order_periods),
        _ => {}
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
                            field.set_amount(amount);
                        }
                        amount
                    }
                    _ => ["amount", "price", "total"]
                        .iter()
                        .find_map(|key| line.get_mut(key).and_then(|f| f.amount()))
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
        field.set_amount(subtotal);
    }
    let tax = value.get_mut("tax").and_then(|f| f.amount()).unwrap_or(0.0);
    if let Some(field) = value.get_mut("total") {
        field.set_amount(round(subtotal + tax));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &'static str) -> Field {
        Field::Text(Cow::Borrowed(s))
    }

    #[test]
    fn a_made_up_period_never_ends_before_it_begins() {
        let mut value = Field::Object(vec![
            (Arc::from("period_end"), text("2024-03-30")),
            (Arc::from("period_start"), text("2024-04-09")),
            (
                Arc::from("pay"),
                Field::Array(vec![Field::Object(vec![
                    (Arc::from("start_date"), text("2024-02-01")),
                    (Arc::from("end_date"), text("2024-01-01")),
                    (Arc::from("note_start"), text("late")),
                    (Arc::from("note_end"), text("early")),
                ])]),
            ),
        ]);
        order_periods(&mut value);
        assert_eq!(
            serde_json::to_value(&value).unwrap(),
            serde_json::json!({
                "period_end": "2024-04-09",
                "period_start": "2024-03-30",
                "pay": [{"start_date": "2024-01-01", "end_date": "2024-02-01",
                         "note_start": "late", "note_end": "early"}],
            })
        );
    }
}
