//! What edit and form detection runs make of a PDF's form: the edit schema
//! of its fields (as the API's Detect Form answers it), and the values an
//! edit writes. A value comes from the schema (`extend_edit:value`), else
//! from the instructions where they name the field ("Fill out the applicant
//! name as Jane Doe", "check the agree box"), else it is made up, the same
//! way for the same run ("Leave all other fields blank" says not to).

use std::collections::HashSet;

use rand::RngExt;
use serde_json::{Map, Value, json};

use crate::domain::JsonObject;
use crate::domain::pdf_form::{FieldKind, FieldSpec, FillValue, FormField};

/// One property of a detected schema and the field (and, for a radio
/// button read as a boolean, the choice) it fills.
#[derive(Clone, Debug, PartialEq)]
pub struct Binding {
    pub key: String,
    pub field: usize,
    pub option: Option<String>,
}

/// A form read as an edit schema.
pub struct Detected {
    /// `EditRootJson`: `{type: "object", properties, required: []}`.
    pub schema: JsonObject,
    pub bindings: Vec<Binding>,
    /// Properties with a place on a page (`extend_edit:bbox(es)`).
    pub annotated: usize,
}

/// A name as a schema key: lower-case ASCII letters and digits, words
/// joined by `_` (`Applicant Name[0]` → `applicant_name_0`).
pub fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            'a'..='z' | '0'..='9' => out.push(c),
            'A'..='Z' => out.push(c.to_ascii_lowercase()),
            _ if !out.is_empty() && !out.ends_with('_') => out.push('_'),
            _ => {}
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// A key as words (`first_name` → `first name`).
fn words(key: &str) -> String {
    key.split('_')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A field's own name: the last part of its full name, without an index
/// (`form1[0].Page1[0].f1_01[0]` → `f1_01`).
fn own_name(full: &str) -> &str {
    let last = full.rsplit('.').next().unwrap_or(full);
    match last.find('[') {
        Some(at) if at > 0 => &last[..at],
        _ => last,
    }
}

fn bbox(place: &crate::domain::pdf_form::Place) -> Value {
    let r = |v: f32| (f64::from(v) * 100.0).round() / 100.0;
    json!({
        "left": r(place.bbox[0]),
        "top": r(place.bbox[1]),
        "right": r(place.bbox[2]),
        "bottom": r(place.bbox[3]),
    })
}

/// The edit schema of `fields`: one property per field (per choice of a
/// radio group when `radio_enums` is off), named from the field's own name,
/// each with its kind, page, box and the field it came from.
pub fn detect(fields: &[FormField], radio_enums: bool) -> Detected {
    let mut properties = Map::new();
    let mut bindings = Vec::new();
    let mut annotated = 0;
    let unique = |base: String, properties: &Map<String, Value>| {
        let base = match base.is_empty() {
            true => "field".to_owned(),
            false => base,
        };
        let mut key = base.clone();
        let mut n = 2;
        while properties.contains_key(&key) {
            key = format!("{base}_{n}");
            n += 1;
        }
        key
    };
    for (index, field) in fields.iter().enumerate() {
        let base = slug(own_name(&field.name));
        let description = field
            .label
            .clone()
            .filter(|l| !l.trim().is_empty())
            .unwrap_or_else(|| words(&base));
        let page = field.places.first().map(|p| p.page_index);
        let mut source = json!({
            "fieldName": field.name,
            "fieldType": field.kind.as_str(),
        });
        let option_map: Vec<Value> = field
            .options
            .iter()
            .zip(&field.option_labels)
            .map(|(o, l)| json!({"schemaValue": l, "exportValue": o, "displayValue": l}))
            .collect();
        // (key's base, property, radio choice, placed)
        let mut made: Vec<(String, Value, Option<String>, bool)> = Vec::new();
        let mut add = |base: String, property: Value, option: Option<String>, placed: bool| {
            made.push((base, property, option, placed));
        };
        match field.kind {
            FieldKind::Radio if !radio_enums => {
                for (i, option) in field.options.iter().enumerate() {
                    let key = format!("{base}_{}", slug(&field.option_labels[i]));
                    let place = field
                        .places
                        .iter()
                        .find(|p| p.on_state.as_ref() == Some(option));
                    let mut source = source.clone();
                    source["optionValue"] = json!(option);
                    let mut property = json!({
                        "type": ["boolean", "null"],
                        "description": format!("{description}: {}", field.option_labels[i]),
                        "extend_edit:field_type": "radio",
                        "extend_edit:source_acroform": source,
                    });
                    if let Some(place) = place {
                        property["extend_edit:bbox"] = bbox(place);
                    }
                    add(key, property, Some(option.clone()), place.is_some());
                }
            }
            FieldKind::Radio | FieldKind::Dropdown | FieldKind::OptionList => {
                let key = base.clone();
                source["optionMap"] = json!(option_map);
                let mut property = json!({
                    "description": description,
                    "enum": field.option_labels,
                    "extend:descriptions": field.option_labels,
                    "extend_edit:field_type": field.kind.as_str(),
                    "extend_edit:source_acroform": source,
                });
                let placed = !field.places.is_empty();
                if field.kind == FieldKind::Radio {
                    // One box per choice, in the order of `enum`.
                    let boxes: Vec<Value> = field
                        .options
                        .iter()
                        .filter_map(|o| {
                            field.places.iter().find(|p| p.on_state.as_ref() == Some(o))
                        })
                        .map(bbox)
                        .collect();
                    property["extend_edit:bboxes"] = json!(boxes);
                } else if let Some(place) = field.places.first() {
                    property["extend_edit:bbox"] = bbox(place);
                }
                add(key, property, None, placed);
            }
            kind => {
                let key = base.clone();
                let json_type = match kind {
                    FieldKind::Checkbox => json!(["boolean", "null"]),
                    _ => json!(["string", "null"]),
                };
                if kind == FieldKind::Checkbox
                    && let Some(on) = field.options.first()
                {
                    source["optionValue"] = json!(on);
                }
                let mut property = json!({
                    "type": json_type,
                    "description": description,
                    "extend_edit:field_type": kind.as_str(),
                    "extend_edit:source_acroform": source,
                });
                if let Some(place) = field.places.first() {
                    property["extend_edit:bbox"] = bbox(place);
                }
                add(key, property, None, !field.places.is_empty());
            }
        }
        for (base, mut property, option, placed) in made {
            let key = unique(base, &properties);
            if let Some(page) = page {
                property["extend_edit:page_index"] = json!(page);
            }
            annotated += usize::from(placed);
            properties.insert(key.clone(), property);
            bindings.push(Binding {
                key,
                field: index,
                option,
            });
        }
    }
    let mut schema = JsonObject::new();
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), Value::Object(properties));
    schema.insert("required".into(), json!([]));
    Detected {
        schema,
        bindings,
        annotated,
    }
}

/// The fields of a form made for a schema (a file the server knows only by
/// name): one per property, of the kind its `extend_edit:field_type` or
/// JSON type says (a boolean a checkbox, an `enum` a radio group).
pub fn fields_of_schema(schema: &JsonObject) -> Vec<FieldSpec> {
    let Some(Value::Object(properties)) = schema.get("properties") else {
        return Vec::new();
    };
    properties
        .iter()
        .take(crate::domain::pdf_form::MAX_FIELDS)
        .filter_map(|(key, property)| {
            let property = property.as_object()?;
            let named = property
                .get("extend_edit:field_type")
                .and_then(Value::as_str)
                .and_then(FieldKind::parse);
            let options: Vec<String> = property
                .get("enum")
                .and_then(Value::as_array)
                .map(|e| {
                    e.iter()
                        .take(crate::domain::pdf_form::MAX_FIELDS)
                        .filter_map(|o| o.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let types = property.get("type");
            let is = |t: &str| match types {
                Some(Value::String(s)) => s == t,
                Some(Value::Array(a)) => a.iter().any(|v| v == t),
                _ => false,
            };
            let kind = match named {
                Some(FieldKind::Radio | FieldKind::Dropdown | FieldKind::OptionList)
                    if options.is_empty() =>
                {
                    FieldKind::Checkbox
                }
                Some(kind) => kind,
                None if !options.is_empty() => FieldKind::Radio,
                None if is("boolean") => FieldKind::Checkbox,
                None if is("array") || is("object") => return None,
                None => FieldKind::Text,
            };
            let label = property
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| words(key));
            Some(FieldSpec {
                name: key.clone(),
                label,
                kind,
                options,
            })
        })
        .collect()
}

/// What an edit writes: each field's value, and `filledValues`.
#[derive(Debug, Default)]
pub struct Fill {
    pub values: Vec<(usize, FillValue)>,
    pub filled: JsonObject,
}

/// The most of the instructions read: a few sentences are what they are.
pub const MAX_INSTRUCTIONS: usize = 8 * 1024;

/// The most clauses read from them.
const MAX_CLAUSES: usize = 256;

/// One clause of the instructions: as written, with ASCII lower-cased (so
/// an offset found in the one is a char boundary in the other), and its
/// words.
struct Clause {
    text: String,
    lower: String,
    words: HashSet<String>,
}

/// The values of an instruction text, by the property keys it names.
struct Instructions {
    clauses: Vec<Clause>,
    /// "Leave all other fields blank": nothing is made up.
    blank_others: bool,
}

/// A name's words (`filing status` → `filing`, `status`), lower case.
fn word_list(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

impl Instructions {
    fn read(text: &str) -> Instructions {
        let mut end = text.len().min(MAX_INSTRUCTIONS);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let text = &text[..end];
        let mut clauses = Vec::new();
        // A sentence ends at `. ` (not inside `jane.doe@example.com` or
        // `1.5`), `;`, `, ` or a line; a clause at " and ".
        let sentences = text
            .split(['\n', ';'])
            .flat_map(|line| line.split(". "))
            .flat_map(|part| part.split(", "));
        for sentence in sentences {
            for clause in sentence.split(" and ") {
                let clause = clause.trim().trim_end_matches('.').trim();
                if !clause.is_empty() && clauses.len() < MAX_CLAUSES {
                    clauses.push(Clause {
                        text: clause.to_owned(),
                        lower: clause.to_ascii_lowercase(),
                        words: word_list(clause).into_iter().collect(),
                    });
                }
            }
        }
        let lower = text.to_lowercase();
        let blank_others = ["blank", "empty", "leave the rest", "nothing else"]
            .iter()
            .any(|w| lower.contains(w))
            && (lower.contains("other") || lower.contains("rest") || lower.contains("else"));
        Instructions {
            clauses,
            blank_others,
        }
    }

    /// A value for a field of these names (`first name`, its label): the
    /// text after " as ", ":", " = ", " to " or " is " in a clause naming it.
    fn value_for(&self, names: &[String]) -> Option<String> {
        for clause in &self.clauses {
            for sep in [" as ", ": ", " = ", " to ", " is "] {
                let Some(at) = clause.lower.find(sep) else {
                    continue;
                };
                let left = &clause.lower[..at];
                if names
                    .iter()
                    .any(|n| !n.is_empty() && ends_with_words(left, n))
                {
                    let value = clause.text[at + sep.len()..]
                        .trim()
                        .trim_matches(|c| c == '"' || c == '\'' || c == '“' || c == '”');
                    if !value.is_empty() {
                        return Some(value.to_owned());
                    }
                }
            }
        }
        None
    }

    /// The clauses that name a field of these names: every word of one of
    /// them is in the clause.
    fn naming<'a>(&'a self, names: &'a [Vec<String>]) -> impl Iterator<Item = &'a Clause> + 'a {
        self.clauses.iter().filter(move |c| {
            names
                .iter()
                .any(|n| !n.is_empty() && n.iter().all(|w| c.words.contains(w)))
        })
    }

    /// Whether a clause naming the box turns it on (`Some(true)`: "check
    /// the agree box", "set the single filing status") or off ("uncheck").
    fn checked(&self, names: &[Vec<String>]) -> Option<bool> {
        self.naming(names).find_map(|clause| {
            let has = |w: &[&str]| w.iter().any(|w| clause.words.contains(*w));
            if has(&[
                "uncheck", "untick", "clear", "unset", "deselect", "not", "no",
            ]) {
                Some(false)
            } else if has(&[
                "check", "tick", "set", "select", "mark", "yes", "true", "choose",
            ]) {
                Some(true)
            } else {
                None
            }
        })
    }

    /// The choice a clause naming the field picks: one whose words are all
    /// in it ("Set the Single filing status" picks `Single`).
    fn choice<'a>(&self, names: &[Vec<String>], choices: &'a [String]) -> Option<&'a String> {
        let words: Vec<Vec<String>> = choices.iter().map(|c| word_list(c)).collect();
        self.naming(names).find_map(|clause| {
            choices
                .iter()
                .zip(&words)
                .find(|(_, w)| !w.is_empty() && w.iter().all(|w| clause.words.contains(w)))
                .map(|(c, _)| c)
        })
    }
}

/// Whether `text` ends with the words of `name` ("fill out the applicant
/// name" ends with "applicant name"; "surname" does not end with "name").
fn ends_with_words(text: &str, name: &str) -> bool {
    let text = text.trim_end();
    text.ends_with(name)
        && text[..text.len() - name.len()]
            .chars()
            .last()
            .is_none_or(|c| !c.is_alphanumeric())
}

fn truthy(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => Some(n.as_f64().is_some_and(|n| n != 0.0)),
        Value::String(s) => match s.trim().to_lowercase().as_str() {
            "true" | "yes" | "y" | "x" | "on" | "checked" | "1" => Some(true),
            "false" | "no" | "n" | "off" | "unchecked" | "0" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// What the run is, for made-up values.
pub struct Seed<'a> {
    pub run_id: &'a str,
    pub created_nanos: i64,
    pub file_name: &'a str,
}

/// The values to write: each property of `schema` bound to a field of the
/// form (by `extend_edit:source_acroform.fieldName`, else by the detected
/// key), its value from the schema, the instructions or made up.
pub fn fill(
    schema: &JsonObject,
    fields: &[FormField],
    detected: &Detected,
    instructions: Option<&str>,
    seed: &Seed<'_>,
) -> Fill {
    let mut rng = super::rng_for(&format!("{}/edit", seed.run_id));
    let said = Instructions::read(instructions.unwrap_or_default());
    let mut out = Fill::default();
    let Some(Value::Object(properties)) = schema.get("properties") else {
        return out;
    };
    let mut written = HashSet::new();
    for (key, property) in properties.iter().take(crate::domain::pdf_form::MAX_FIELDS) {
        let Some(property) = property.as_object() else {
            continue;
        };
        let source = property.get("extend_edit:source_acroform");
        let by_source = source
            .and_then(|s| s.get("fieldName"))
            .and_then(Value::as_str)
            .and_then(|name| {
                let option = source
                    .and_then(|s| s.get("optionValue"))
                    .and_then(Value::as_str);
                let index = fields.iter().position(|f| f.name == name)?;
                Some(Binding {
                    key: key.clone(),
                    field: index,
                    option: option
                        .filter(|_| fields[index].kind == FieldKind::Radio)
                        .map(str::to_owned),
                })
            });
        let Some(binding) =
            by_source.or_else(|| detected.bindings.iter().find(|b| &b.key == key).cloned())
        else {
            continue;
        };
        let field = &fields[binding.field];
        if field.kind == FieldKind::Signature {
            // A signature is a signed dictionary, not a value to write.
            continue;
        }
        // The names an instruction may call it by: the key's words, the key
        // as written (`first_name is Jordan`), its description, its label.
        let mut names = vec![words(key), key.to_ascii_lowercase()];
        if let Some(d) = property.get("description").and_then(Value::as_str) {
            names.push(d.to_ascii_lowercase());
        }
        if let Some(label) = &field.label {
            names.push(label.to_ascii_lowercase());
        }
        let boolean = field.kind == FieldKind::Checkbox || binding.option.is_some();
        // A choice field's values as the schema names them (its texts).
        let choices = match binding.option {
            None if field.kind != FieldKind::Checkbox && field.kind != FieldKind::Text => {
                field.option_labels.as_slice()
            }
            _ => &[],
        };
        let forced = property
            .get("extend_edit:value")
            .filter(|v| !v.is_null())
            .cloned();
        let name_words: Vec<Vec<String>> = names.iter().map(|n| word_list(n)).collect();
        let told = || {
            if boolean {
                return said.checked(&name_words).map(Value::Bool);
            }
            if let Some(value) = said.value_for(&names) {
                return Some(Value::String(value));
            }
            // "Set the Single filing status": a choice named beside its field.
            said.choice(&name_words, choices)
                .map(|c| Value::String(c.clone()))
        };
        let mut made = || -> Value {
            if boolean {
                return Value::Bool(rng.random_bool(0.5));
            }
            if !choices.is_empty() {
                return json!(choices[rng.random_range(0..choices.len())]);
            }
            let is_number = |t: &str| match property.get("type") {
                Some(Value::String(s)) => s == t,
                Some(Value::Array(a)) => a.iter().any(|v| v == t),
                _ => false,
            };
            if is_number("integer") {
                return json!(rng.random_range(1..1000));
            }
            if is_number("number") {
                return json!(f64::from(rng.random_range(100..100_000u32)) / 100.0);
            }
            let lower = key.to_lowercase();
            if lower.contains("email") {
                let person = super::extraction::made_up_text("applicant", 0, "", &mut rng);
                return json!(format!("{}@example.com", slug(&person).replace('_', ".")));
            }
            if lower.contains("phone") || lower.contains("fax") {
                return json!(format!(
                    "(555) {:03}-{:04}",
                    rng.random_range(100..1000),
                    rng.random_range(0..10_000)
                ));
            }
            json!(super::extraction::made_up_text(
                key,
                seed.created_nanos,
                seed.file_name,
                &mut rng
            ))
        };
        let value = match forced.or_else(told) {
            Some(v) => v,
            None if said.blank_others => continue,
            None => made(),
        };
        let mut chosen_label = None;
        let write = match (field.kind, &binding.option) {
            (FieldKind::Checkbox, _) => truthy(&value).map(FillValue::Check),
            (FieldKind::Radio, Some(option)) => match truthy(&value) {
                Some(true) => Some(FillValue::Choice(option.clone())),
                _ => None,
            },
            (FieldKind::Radio | FieldKind::Dropdown | FieldKind::OptionList, None) => {
                let given = match &value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let wanted = given.trim().to_lowercase();
                field
                    .options
                    .iter()
                    .zip(&field.option_labels)
                    .find(|(o, l)| {
                        l.to_lowercase() == wanted
                            || o.to_lowercase() == wanted
                            || slug(l) == slug(&wanted)
                    })
                    .map(|(o, l)| {
                        chosen_label = Some(l.clone());
                        FillValue::Choice(o.clone())
                    })
            }
            _ => Some(FillValue::Text(match &value {
                Value::String(s) => s.clone(),
                Value::Null => continue,
                other => other.to_string(),
            })),
        };
        let Some(write) = write else {
            continue;
        };
        // A radio group takes one choice: the first property to set it wins.
        if !written.insert((binding.field, matches!(write, FillValue::Choice(_)))) {
            continue;
        }
        let shown = match (&write, &binding.option) {
            (FillValue::Choice(c), None) => json!(chosen_label.as_ref().unwrap_or(c)),
            (FillValue::Choice(_), Some(_)) => json!(true),
            (FillValue::Check(b), _) => json!(b),
            (FillValue::Text(_), _) => value.clone(),
        };
        out.filled.insert(key.clone(), shown);
        out.values.push((binding.field, write));
    }
    out
}

/// `mappingResult` of an input schema onto detected keys: an input path
/// (`applicant.address.street`) matches the key of its slug, or of its
/// last part.
pub fn mapping(input: &JsonObject, detected: &Detected) -> Value {
    let mut paths = Vec::new();
    // At most `MAX_FIELDS` paths in all, each at most `MAX_FIELD_TEXT` long.
    fn walk(properties: &Map<String, Value>, prefix: &str, out: &mut Vec<String>, depth: usize) {
        use crate::domain::pdf_form::{MAX_FIELD_TEXT, MAX_FIELDS};
        for (key, property) in properties {
            if out.len() >= MAX_FIELDS {
                return;
            }
            if prefix.len() + key.len() >= MAX_FIELD_TEXT {
                continue;
            }
            let path = match prefix.is_empty() {
                true => key.clone(),
                false => format!("{prefix}.{key}"),
            };
            match property.get("properties") {
                Some(Value::Object(inner)) if depth < 8 => walk(inner, &path, out, depth + 1),
                _ => out.push(path),
            }
        }
    }
    if let Some(Value::Object(properties)) = input.get("properties") {
        walk(properties, "", &mut paths, 0);
    }
    let keys: Vec<&str> = detected.bindings.iter().map(|b| b.key.as_str()).collect();
    let mut used = std::collections::HashSet::new();
    let mut matches = Vec::new();
    let mut unmatched = Vec::new();
    for path in paths {
        let whole = slug(&path);
        let last = slug(path.rsplit('.').next().unwrap_or(&path));
        match keys
            .iter()
            .find(|k| **k == whole && !used.contains(*k))
            .or_else(|| keys.iter().find(|k| **k == last && !used.contains(*k)))
        {
            Some(key) => {
                used.insert(*key);
                matches.push(json!({"inputPath": path, "formFieldKey": key}));
            }
            None => unmatched.push(path),
        }
    }
    let unused: Vec<&str> = keys
        .iter()
        .filter(|k| !used.contains(*k))
        .copied()
        .collect();
    json!({
        "matches": matches,
        "unmatchedInputPaths": unmatched,
        "unusedFormFieldKeys": unused,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pdf_form::{make_form, open};

    fn form() -> Vec<FormField> {
        let spec = |name: &str, label: &str, kind, options: &[&str]| FieldSpec {
            name: name.into(),
            label: label.into(),
            kind,
            options: options.iter().map(|o| o.to_string()).collect(),
        };
        let bytes = make_form(
            "W-9",
            &[
                spec("first_name", "First name", FieldKind::Text, &[]),
                spec("last_name", "Last name", FieldKind::Text, &[]),
                spec("agree", "I agree", FieldKind::Checkbox, &[]),
                spec(
                    "filing_status",
                    "Filing status",
                    FieldKind::Radio,
                    &["Single", "Married"],
                ),
            ],
        );
        open(&bytes, None).unwrap().fields
    }

    const SEED: Seed<'static> = Seed {
        run_id: "edr_test",
        created_nanos: 1_700_000_000_000_000_000,
        file_name: "w9.pdf",
    };

    #[test]
    fn slugs_and_own_names() {
        assert_eq!(slug("Applicant Name[0]"), "applicant_name_0");
        assert_eq!(own_name("form1[0].Page1[0].f1_01[0]"), "f1_01");
        assert_eq!(slug("--"), "");
    }

    #[test]
    fn detection_names_each_field_with_its_kind_page_and_box() {
        let fields = form();
        let detected = detect(&fields, true);
        let properties = detected.schema["properties"].as_object().unwrap();
        let keys: Vec<&str> = properties.keys().map(String::as_str).collect();
        // Objects keep keys in order (serde_json without `preserve_order`).
        assert_eq!(keys, ["agree", "filing_status", "first_name", "last_name"]);
        assert_eq!(properties["agree"]["type"], json!(["boolean", "null"]));
        assert_eq!(
            properties["filing_status"]["enum"],
            json!(["Single", "Married"])
        );
        assert_eq!(
            properties["filing_status"]["extend_edit:bboxes"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(properties["first_name"]["extend_edit:page_index"], json!(0));
        assert_eq!(
            properties["first_name"]["extend_edit:bbox"],
            json!({"left": 250.0, "top": 72.0, "right": 500.0, "bottom": 92.0})
        );
        assert_eq!(detected.annotated, 4);
        let split = detect(&fields, false);
        let keys: Vec<&str> = split.schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "agree",
                "filing_status_married",
                "filing_status_single",
                "first_name",
                "last_name"
            ]
        );
    }

    /// What `fill` writes into the detected test form for `instructions`.
    fn filled_by(instructions: &str) -> Value {
        let fields = form();
        let detected = detect(&fields, true);
        Value::Object(
            fill(
                &detected.schema,
                &fields,
                &detected,
                Some(instructions),
                &SEED,
            )
            .filled,
        )
    }

    #[test]
    fn instructions_name_fields_and_leave_the_rest_blank() {
        assert_eq!(
            filled_by(
                "Fill the taxpayer's first name as Jordan and last name as Avery. Set the Single filing status. Check I agree. Leave all other fields blank."
            ),
            json!({"first_name": "Jordan", "last_name": "Avery", "agree": true, "filing_status": "Single"})
        );
    }

    #[test]
    fn instructions_may_name_a_field_by_its_key_as_written() {
        assert_eq!(
            filled_by("first_name is Jordan; last_name: Avery. leave all other fields blank"),
            json!({"first_name": "Jordan", "last_name": "Avery"})
        );
    }

    #[test]
    fn instructions_in_any_script_are_read_safely() {
        // `İ` lower-cases to three bytes: offsets must not shift.
        assert_eq!(
            filled_by("İİİ first name as Zoë İnce, last name: 山田. leave all other fields blank"),
            json!({"first_name": "Zoë İnce", "last_name": "山田"})
        );
    }

    #[test]
    fn values_keep_their_dots_and_commas() {
        assert_eq!(
            filled_by(
                "First name as jane.doe@example.com; last name as 1.5. Leave all other fields blank."
            ),
            json!({"first_name": "jane.doe@example.com", "last_name": "1.5"})
        );
    }

    #[test]
    fn forced_values_win_and_the_rest_is_made_up_the_same_way_each_time() {
        let fields = form();
        let detected = detect(&fields, true);
        let mut schema = detected.schema.clone();
        schema["properties"]["first_name"]["extend_edit:value"] = json!("Jane");
        let once = fill(&schema, &fields, &detected, Some("last name as Doe"), &SEED);
        let again = fill(&schema, &fields, &detected, Some("last name as Doe"), &SEED);
        assert_eq!(once.filled, again.filled);
        assert_eq!(once.filled["first_name"], json!("Jane"));
        assert_eq!(once.filled["last_name"], json!("Doe"));
        assert_eq!(once.filled.len(), 4);
        assert!(["Single", "Married"].contains(&once.filled["filing_status"].as_str().unwrap()));
    }

    #[test]
    fn an_input_schema_maps_onto_detected_keys() {
        let detected = detect(&form(), true);
        let input = json!({"type": "object", "properties": {
            "taxpayer": {"type": "object", "properties": {"first_name": {"type": "string"}}},
            "ssn": {"type": "string"},
        }});
        assert_eq!(
            mapping(input.as_object().unwrap(), &detected),
            json!({
                "matches": [{"inputPath": "taxpayer.first_name", "formFieldKey": "first_name"}],
                "unmatchedInputPaths": ["ssn"],
                "unusedFormFieldKeys": ["last_name", "agree", "filing_status"],
            })
        );
    }
}
