//! The OpenAPI 3.1 document of everything extend-mock serves
//! (`openapi/openapi.json`, made by `openapi/generate.py` from the official
//! SDK's models), compiled in: served at `/_mock/openapi.json`, and the
//! source of the one check that needs the SDK's schemas at run time, a run
//! output given by a test (fixtures, `/_mock/…/finish`, rules).

use std::sync::LazyLock;

use jsonschema::Validator;
use serde_json::{Value, json};

use crate::domain::{JsonObject, ProcessorType};

pub const DOCUMENT: &str = include_str!("../openapi/openapi.json");

/// The SDK reads `LegacyProcessorRun.output` as one of these.
const JSON_OUTPUT: &str = "#/components/schemas/LegacyJsonOutput";
const FIELD_MAP: &str = "#/components/schemas/LegacyProcessorRun/properties/output/anyOf/1";
const CLASSIFIER: &str = "#/components/schemas/LegacyClassifierOutput";
const SPLITTER: &str = "#/components/schemas/LegacySplitterOutput";

/// A validator of `schema` with the document's components beside it.
fn compile(schema: Value) -> Validator {
    let document: Value = serde_json::from_str(DOCUMENT).expect("the OpenAPI document is JSON");
    let mut root = schema;
    root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    root["components"] = document["components"].clone();
    jsonschema::draft202012::options()
        .build(&root)
        .expect("the document's output schemas compile")
}

fn validator(alternatives: &[&str]) -> Validator {
    let mut any_of: Vec<Value> = alternatives.iter().map(|r| json!({"$ref": r})).collect();
    // An output not made yet (a run not PROCESSED) is `{}`.
    any_of.push(json!({"type": "object", "maxProperties": 0}));
    compile(json!({ "anyOf": any_of }))
}

static EXTRACT: LazyLock<Validator> = LazyLock::new(|| validator(&[JSON_OUTPUT, FIELD_MAP]));
static CLASSIFY: LazyLock<Validator> = LazyLock::new(|| validator(&[CLASSIFIER]));
static SPLIT: LazyLock<Validator> = LazyLock::new(|| validator(&[SPLITTER]));
static ANY: LazyLock<Validator> =
    LazyLock::new(|| validator(&[JSON_OUTPUT, FIELD_MAP, CLASSIFIER, SPLITTER]));

/// Whether `output` is one the SDK reads for a run of `run_type` (any type
/// when unknown): EXTRACT `{value, metadata}`, CLASSIFY `{id, type,
/// confidence, insights}`, SPLITTER `{splits}`, each as the SDK's model
/// spells it at every level. The error says where it is not.
pub fn check_output(run_type: Option<ProcessorType>, output: &JsonObject) -> Result<(), String> {
    let (validator, shape) = match run_type {
        Some(ProcessorType::Extract) => (&*EXTRACT, "an EXTRACT output {value, metadata}"),
        Some(ProcessorType::Classify) => (
            &*CLASSIFY,
            "a CLASSIFY output {id, type, confidence, insights}",
        ),
        Some(ProcessorType::Splitter) => (&*SPLIT, "a SPLITTER output {splits}"),
        None => (
            &*ANY,
            "an output the SDK reads (EXTRACT, CLASSIFY or SPLITTER)",
        ),
    };
    let value = Value::Object(output.clone().into_iter().collect());
    if validator.is_valid(&value) {
        return Ok(());
    }
    // The errors against the type's own shape say most.
    Err(format!("is not {shape}{}", first_error(run_type, &value)))
}

/// The first problem against the type's main shape, as ": at `/path`: …".
fn first_error(run_type: Option<ProcessorType>, value: &Value) -> String {
    static MAIN: LazyLock<[Validator; 3]> = LazyLock::new(|| {
        [JSON_OUTPUT, CLASSIFIER, SPLITTER].map(|r| compile(json!({ "$ref": r })))
    });
    let main = match run_type {
        Some(ProcessorType::Classify) => &MAIN[1],
        Some(ProcessorType::Splitter) => &MAIN[2],
        _ => &MAIN[0],
    };
    main.iter_errors(value)
        .next()
        .map(|e| format!(": at `{}`: {e}", e.instance_path()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(check_output(None, &object(json!({"µ": null}))).is_err());
    }
}
