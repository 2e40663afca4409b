//! For random schemas in the shape the SDKs' typed helpers send (every
//! property required, optional ones `["T", "null"]`, enums with `null`,
//! nested objects and arrays, Extend's `currency`, `date` and `signature`),
//! a PROCESSED run's derived `output.value` validates against the schema
//! with a real JSON Schema validator, and `output.metadata` has one entry
//! per leaf. Straight through the library: no server needed.

use std::sync::Arc;

use extend_mock::domain::{JsonObject, ProcessorType, RunSource, RunStatus, Timestamp};
use extend_mock::full_run::{Output, full_run};
use extend_mock::store::RunView;
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::helpers::leaf_paths;

const NAMES: &[&str] = &[
    "invoice_number",
    "total",
    "amount",
    "due_date",
    "vendor_name",
    "employee_name",
    "quantity",
    "tax_rate",
    "description",
    "notes",
    "state",
    "account_number",
    "year",
    "count",
    "is_paid",
    "line_items",
    "address",
];

fn currency() -> Value {
    json!({"type": "object", "extend:type": "currency",
        "properties": {"amount": {"type": ["number", "null"]},
                       "iso_4217_currency_code": {"type": ["string", "null"]}},
        "required": ["amount", "iso_4217_currency_code"], "additionalProperties": false})
}

fn signature() -> Value {
    json!({"type": "object", "extend:type": "signature", "properties": {
        "printed_name": {"type": ["string", "null"]},
        "signature_date": {"type": ["string", "null"], "extend:type": "date"},
        "is_signed": {"type": ["boolean", "null"]},
        "title_or_role": {"type": ["string", "null"]}},
        "required": ["printed_name", "signature_date", "is_signed", "title_or_role"],
        "additionalProperties": false})
}

/// A leaf as the typed helper writes it; `in_array` leaves are not nullable.
fn leaf(in_array: bool) -> impl Strategy<Value = Value> {
    let nullable = |t: &str| {
        if in_array {
            json!({"type": t})
        } else {
            json!({"type": [t, "null"]})
        }
    };
    prop_oneof![
        Just(nullable("string")),
        Just(nullable("integer")),
        Just(nullable("number")),
        Just(nullable("boolean")),
        Just(if in_array {
            json!({"type": "string", "extend:type": "date"})
        } else {
            json!({"type": ["string", "null"], "extend:type": "date"})
        }),
        Just(currency()),
        Just(signature()),
        proptest::collection::vec("[a-z]{1,8}", 1..4).prop_map(move |choices| {
            let mut values: Vec<Value> = choices.into_iter().map(Value::from).collect();
            values.dedup();
            if !in_array {
                values.push(Value::Null);
            }
            json!({ "enum": values })
        }),
    ]
}

fn object(properties: Vec<(usize, Value)>) -> Value {
    let mut map = serde_json::Map::new();
    for (i, (name, schema)) in properties.into_iter().enumerate() {
        // Names repeat in a draw; a suffix keeps them apart. The first
        // keeps its own name, so names the output maker treats apart
        // (`total`, `line_items`, `amount`) meet every shape.
        let bare = NAMES[name % NAMES.len()];
        let key = match map.contains_key(bare) {
            true => format!("{bare}_{i}"),
            false => bare.to_owned(),
        };
        map.insert(key, schema);
    }
    let required: Vec<Value> = map.keys().cloned().map(Value::from).collect();
    json!({"type": "object", "properties": map, "required": required,
        "additionalProperties": false})
}

fn schema() -> impl Strategy<Value = Value> {
    let field = leaf(false).prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec((any::<usize>(), inner.clone()), 1..4).prop_map(object),
            prop_oneof![
                leaf(true),
                proptest::collection::vec((any::<usize>(), inner), 1..3).prop_map(object),
            ]
            .prop_map(|items| json!({"type": "array", "items": items})),
        ]
    });
    proptest::collection::vec((any::<usize>(), field), 1..6).prop_map(object)
}

/// The values at the places the schema marks `extend:type: date`.
fn date_leaves<'v>(schema: &Value, value: &'v Value, out: &mut Vec<&'v Value>) {
    if schema.get("extend:type").and_then(Value::as_str) == Some("date") {
        out.push(value);
        return;
    }
    if let (Some(properties), Some(object)) = (
        schema.get("properties").and_then(Value::as_object),
        value.as_object(),
    ) {
        for (key, sub) in properties {
            if let Some(inner) = object.get(key) {
                date_leaves(sub, inner, out);
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for item in array {
            date_leaves(items, item, out);
        }
    }
}

fn derived_output(schema: &Value, seed: u64) -> Value {
    let mut config = JsonObject::new();
    config.insert("type".into(), "EXTRACT".into());
    config.insert("schema".into(), schema.clone());
    extend_mock::full_run::check_config(ProcessorType::Extract, &config)
        .unwrap_or_else(|e| panic!("the checker refuses a typed schema: {e:?}"));
    let config = Arc::new(config);
    let id = format!("exr_prop{seed}");
    let at = Timestamp::from_unix_nanos(1_700_000_000_000_000_000);
    let run = RunView {
        id: &id,
        workspace_id: "ws",
        status: RunStatus::Processed,
        processor_id: "ex_p",
        processor_name: "Property Extractor",
        processor_version_id: "exv_p",
        processor_type: Some(ProcessorType::Extract),
        source: RunSource::Api,
        source_id: None,
        file_name: "doc.pdf",
        created_at: at,
        updated_at: at,
        created_nanos: at.unix_nanos(),
        updated_nanos: at.unix_nanos(),
        credits: Some(1.0),
        details: None,
    };
    let full = full_run(&run, ProcessorType::Extract, Some(&config));
    assert!(matches!(full.output, Output::Extraction(_)));
    serde_json::to_value(&full).unwrap()["output"].clone()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn a_derived_output_fits_any_typed_schema(schema in schema(), seed in 0u64..1000) {
        let output = derived_output(&schema, seed);
        let value = &output["value"];
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> = validator.iter_errors(value).map(|e| e.to_string()).collect();
        prop_assert!(errors.is_empty(), "{:?}\nvalue {}\nschema {}", errors, value, schema);
        // A date the SDKs' date types read (JSON Schema has no word for
        // `extend:type`, so the validator cannot say).
        let mut dates = Vec::new();
        date_leaves(&schema, value, &mut dates);
        for date in dates {
            let ok = date.is_null()
                || date.as_str().is_some_and(|d| {
                    time::Date::parse(d, &time::macros::format_description!("[year]-[month]-[day]"))
                        .is_ok()
                });
            prop_assert!(ok, "{} is not a YYYY-MM-DD date", date);
        }
        let mut paths = Vec::new();
        leaf_paths(value, String::new(), &mut paths);
        let metadata = output["metadata"].as_object().unwrap();
        prop_assert_eq!(metadata.len(), paths.len());
        for path in &paths {
            prop_assert!(metadata.contains_key(path), "no metadata for {}", path);
        }
    }
}
