//! The OpenAPI 3.1 document of everything extend-mock serves
//! (`openapi/openapi.json`, made by `openapi/generate.py` from the official
//! SDK's models), compiled in: served at `/_mock/openapi.json`, and the
//! source of the one check that needs the SDK's schemas at run time, a run
//! output given by a test (fixtures, `/_mock/…/finish`, rules).
//!
//! The output schemas use nine JSON Schema keywords (`$ref`, `type`,
//! `properties`, `required`, `additionalProperties`, `items`, `anyOf`,
//! `enum`, `const`); `check` reads exactly those, so a full validator (and
//! its regex engines, half the binary) stays out of the server. A test
//! walks every schema an output can reach and fails on any other keyword.

use std::sync::LazyLock;

use serde_json::Value;

use crate::domain::{JsonObject, ProcessorType};

pub const DOCUMENT: &str = include_str!("../openapi/openapi.json");

static PARSED: LazyLock<Value> =
    LazyLock::new(|| serde_json::from_str(DOCUMENT).expect("the OpenAPI document is JSON"));

/// The SDK reads `LegacyProcessorRun.output` as one of these.
const JSON_OUTPUT: &str = "#/components/schemas/LegacyJsonOutput";
const FIELD_MAP: &str = "#/components/schemas/LegacyProcessorRun/properties/output/anyOf/1";
const CLASSIFIER: &str = "#/components/schemas/LegacyClassifierOutput";
const SPLITTER: &str = "#/components/schemas/LegacySplitterOutput";
const PARSE: &str = "#/components/schemas/ParseRunOutput";

/// The keywords `check` reads; any other one in an output schema but the
/// annotations (`description`, `default`, `title`) would be ignored, so a
/// test refuses it.
pub const KEYWORDS: &[&str] = &[
    "$ref",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "anyOf",
    "enum",
    "const",
];

fn schema(reference: &str) -> &'static Value {
    PARSED
        .pointer(reference.trim_start_matches('#'))
        .unwrap_or_else(|| panic!("the document has {reference}"))
}

/// Whether `value` fits `schema`; the error says where it does not.
fn check(schema: &Value, value: &Value, path: &str) -> Result<(), String> {
    let fail = |reason: String| Err(format!("at `{path}`: {reason}"));
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return check(self::schema(reference), value, path);
    }
    if let Some(constant) = schema.get("const")
        && value != constant
    {
        return fail(format!("must be {constant}"));
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        return fail(format!(
            "{value} is not one of {}",
            Value::from(allowed.clone())
        ));
    }
    if let Some(kind) = schema.get("type") {
        let kinds: Vec<&str> = match kind {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !kinds.iter().any(|kind| is_a(kind, value)) {
            return fail(format!("must be {}", kinds.join(" or ")));
        }
    }
    if let Some(branches) = schema.get("anyOf").and_then(Value::as_array) {
        let mut errors = branches.iter().map(|branch| check(branch, value, path));
        if !errors.any(|result| result.is_ok()) {
            let first = check(&branches[0], value, path).err().unwrap_or_default();
            return Err(format!("{first} (nor any other shape allowed there)"));
        }
    }
    if let Value::Object(fields) = value {
        let properties = schema.get("properties").and_then(Value::as_object);
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !fields.contains_key(name) {
                return fail(format!("`{name}` is required"));
            }
        }
        for (name, field) in fields {
            let at = format!("{path}/{name}");
            match (
                properties.and_then(|p| p.get(name)),
                schema.get("additionalProperties"),
            ) {
                (Some(declared), _) => check(declared, field, &at)?,
                (None, Some(Value::Bool(false))) => {
                    return fail(format!("`{name}` is not a field the SDK declares here"));
                }
                (None, Some(rest @ Value::Object(_))) => check(rest, field, &at)?,
                (None, _) => {}
            }
        }
    }
    if let (Value::Array(items), Some(each)) = (value, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            check(each, item, &format!("{path}/{i}"))?;
        }
    }
    Ok(())
}

/// An edit or form detection run's output as a rule pins it, laid over what
/// the run makes (so its edited file stays): `filledValues` an object, a
/// detection's `schema` an edit schema (`{type: "object", properties}`).
fn is_form_output(output: &JsonObject) -> bool {
    let edit_schema = |v: &Value| {
        v.get("type").and_then(Value::as_str) == Some("object")
            && v.get("properties").is_some_and(Value::is_object)
    };
    output.iter().all(|(key, value)| match key.as_str() {
        "filledValues" => value.is_object(),
        "schema" | "annotatedSchema" => edit_schema(value),
        _ => false,
    })
}

fn is_a(kind: &str, value: &Value) -> bool {
    match kind {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "number" => value.is_number(),
        "integer" => value.as_f64().is_some_and(|n| n.fract() == 0.0),
        _ => false,
    }
}

/// Whether `output` is one the SDK reads for a run of `run_type` (any type
/// when unknown): EXTRACT `{value, metadata}` (or the older map of field
/// results), CLASSIFY `{id, type, confidence, insights}`, SPLITTER
/// `{splits}`, each as the SDK's model spells it at every level; a parse
/// run's `{chunks}` too when the type is unknown (a rule); `{}` (no output
/// yet) always. The error says where it is not.
pub fn check_output(run_type: Option<ProcessorType>, output: &JsonObject) -> Result<(), String> {
    if output.is_empty() {
        return Ok(());
    }
    let (shapes, name): (&[&str], &str) = match run_type {
        Some(ProcessorType::Extract) => (
            &[JSON_OUTPUT, FIELD_MAP],
            "an EXTRACT output {value, metadata}",
        ),
        Some(ProcessorType::Classify) => (
            &[CLASSIFIER],
            "a CLASSIFY output {id, type, confidence, insights}",
        ),
        Some(ProcessorType::Splitter) => (&[SPLITTER], "a SPLITTER output {splits}"),
        // A rule may end any run that names the file: a parse run's too,
        // and an edit or form detection run's.
        None if is_form_output(output) => return Ok(()),
        None => (
            &[JSON_OUTPUT, FIELD_MAP, CLASSIFIER, SPLITTER, PARSE],
            "an output the SDK reads (EXTRACT, CLASSIFY, SPLITTER, a parse run's {chunks}, an \
             edit run's {filledValues} or a form detection's {schema})",
        ),
    };
    let value = Value::Object(output.clone().into_iter().collect());
    let mut first = None;
    for shape in shapes {
        match check(schema(shape), &value, "") {
            Ok(()) => return Ok(()),
            Err(e) => {
                first.get_or_insert(e);
            }
        }
    }
    Err(format!("is not {name}: {}", first.unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ANNOTATIONS: &[&str] = &["description", "default", "title"];

    fn object(value: Value) -> JsonObject {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn outputs_are_held_to_the_sdks_shapes_for_their_type() {
        let extract = object(json!({"value": {"total": 1}, "metadata": {}}));
        let classify = object(json!({"id": "c", "type": "W2", "confidence": 0.9, "insights": []}));
        let split = object(json!({"splits": []}));
        let empty = object(json!({}));
        assert_eq!(check_output(Some(ProcessorType::Extract), &extract), Ok(()));
        assert_eq!(
            check_output(Some(ProcessorType::Classify), &classify),
            Ok(())
        );
        assert_eq!(check_output(Some(ProcessorType::Splitter), &split), Ok(()));
        assert_eq!(check_output(None, &classify), Ok(()));
        assert_eq!(check_output(Some(ProcessorType::Classify), &empty), Ok(()));
        assert!(check_output(Some(ProcessorType::Classify), &extract).is_err());
        let error = check_output(
            Some(ProcessorType::Extract),
            &object(json!({"value": {}, "metadata": {"total": 1}})),
        )
        .unwrap_err();
        assert!(error.contains("/metadata/total"), "{error}");
        let error = check_output(
            Some(ProcessorType::Classify),
            &object(json!({"id": "c", "type": "W2", "confidence": 0.9, "insights": [], "x": 1})),
        )
        .unwrap_err();
        assert!(error.contains("`x` is not a field"), "{error}");
        assert!(check_output(None, &object(json!({"µ": null}))).is_err());
    }

    #[test]
    fn every_keyword_the_output_schemas_use_is_one_the_check_reads() {
        fn walk(node: &Value, seen: &mut Vec<String>) {
            let Value::Object(map) = node else { return };
            for (key, value) in map {
                assert!(
                    KEYWORDS.contains(&key.as_str()) || ANNOTATIONS.contains(&key.as_str()),
                    "an output schema uses `{key}`, which check() does not read"
                );
                match (key.as_str(), value) {
                    ("$ref", Value::String(r)) if !seen.contains(r) => {
                        seen.push(r.clone());
                        walk(schema(r), seen);
                    }
                    ("properties", Value::Object(properties)) => {
                        properties.values().for_each(|p| walk(p, seen))
                    }
                    ("items" | "additionalProperties", v) => walk(v, seen),
                    ("anyOf", Value::Array(branches)) => {
                        branches.iter().for_each(|b| walk(b, seen))
                    }
                    _ => {}
                }
            }
        }
        let mut seen = Vec::new();
        for shape in [JSON_OUTPUT, FIELD_MAP, CLASSIFIER, SPLITTER] {
            walk(schema(shape), &mut seen);
        }
        assert!(seen.len() >= 10, "{seen:?}");
    }
}
