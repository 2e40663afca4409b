//! Edit runs and form detection: `/edit_runs`, `POST /edit`,
//! `/form_detection_runs`, `POST /detect_form`, `POST /edit_schemas/generate`
//! and `/edit_templates`. The PDFs are made here with lopdf (a form with a
//! text field under a parent, a checkbox and a radio group; a PDF without a
//! form), and the edited file is downloaded and read back with lopdf.

use std::time::Duration;

use lopdf::{Document, Object, Stream, dictionary};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

async fn app() -> TestApp {
    let mut doc = fixture();
    doc["editTemplates"] = json!([
        {"id": "edt_w9", "workspaceId": "ws_a", "name": "W-9 Template",
         "description": "Fill a W-9 form", "fileName": "W-9.pdf",
         "fields": [
            {"name": "name", "label": "Name", "type": "text"},
            {"name": "exempt", "label": "Exempt payee", "type": "checkbox"}],
         "config": {"instructions": "name as Saved Name. leave all other fields blank",
                    "advancedOptions": {"flattenPdf": false}},
         "createdAt": "2026-01-01T00:00:00Z"},
        {"id": "edt_nda", "workspaceId": "ws_a", "name": "Mutual NDA", "fileName": "NDA.pdf",
         "fields": [{"name": "counterparty", "type": "text"}],
         "createdAt": "2026-01-02T00:00:00Z"},
        {"id": "edt_other", "workspaceId": "ws_b", "name": "Other W-9", "fileName": "w9.pdf",
         "fields": [{"name": "name", "type": "text"}]}
    ]);
    let settings = extend_mock::Settings {
        processing_time: Duration::from_millis(30),
        sync_timeout: Duration::from_secs(5),
        ..extend_mock::Settings::default()
    };
    spawn_app_with_settings(&doc, SECRET, settings).await
}

fn appearance(doc: &mut Document) -> Object {
    Object::Reference(doc.add_object(Stream::new(dictionary! {
        "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 12.into(), 12.into()],
    }, b"0 g 0 0 12 12 re f".to_vec())))
}

/// A one-page PDF whose form has `applicant.name` (text), `subscribe`
/// (checkbox, on state `Yes`) and `plan` (radio: `Basic`, `Pro`, their on
/// states `0` and `1`); or no form at all.
fn pdf(with_form: bool) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages = doc.new_object_id();
    let page = doc.new_object_id();
    let mut annots = Vec::new();
    let mut fields = Vec::new();
    if with_form {
        let parent = doc.new_object_id();
        let name = doc.add_object(dictionary! {
            "Type" => "Annot", "Subtype" => "Widget", "FT" => "Tx", "Parent" => parent,
            "T" => Object::string_literal("name"), "TU" => Object::string_literal("Applicant name"),
            "Rect" => vec![100.into(), 700.into(), 300.into(), 720.into()], "P" => page,
        });
        doc.objects.insert(
            parent,
            Object::Dictionary(dictionary! {
                "T" => Object::string_literal("applicant"), "Kids" => vec![name.into()],
            }),
        );
        let (on, off) = (appearance(&mut doc), appearance(&mut doc));
        let subscribe = doc.add_object(dictionary! {
            "Type" => "Annot", "Subtype" => "Widget", "FT" => "Btn",
            "T" => Object::string_literal("subscribe"), "V" => "Off", "AS" => "Off",
            "Rect" => vec![100.into(), 660.into(), 112.into(), 672.into()], "P" => page,
            "AP" => dictionary! { "N" => dictionary! { "Yes" => on, "Off" => off } },
        });
        let plan = doc.new_object_id();
        let mut kids = Vec::new();
        // The choices' "on" states are their indexes, their texts in `/Opt`
        // (as pdf-lib and many real forms write them).
        for i in 0..2i64 {
            let (on, off) = (appearance(&mut doc), appearance(&mut doc));
            let x = 100 + 50 * i;
            let kid = doc.add_object(dictionary! {
                "Type" => "Annot", "Subtype" => "Widget", "Parent" => plan, "AS" => "Off",
                "Rect" => vec![x.into(), 620.into(), (x + 12).into(), 632.into()], "P" => page,
                "AP" => dictionary! { "N" => dictionary! { i.to_string() => on, "Off" => off } },
            });
            kids.push(Object::Reference(kid));
        }
        doc.objects.insert(
            plan,
            Object::Dictionary(dictionary! {
                "FT" => "Btn", "Ff" => 1i64 << 15, "T" => Object::string_literal("plan"),
                "V" => "Off", "Kids" => kids.clone(),
                "Opt" => vec![Object::string_literal("Basic"), Object::string_literal("Pro")],
            }),
        );
        annots.extend([Object::Reference(name), Object::Reference(subscribe)]);
        annots.extend(kids);
        fields = vec![
            Object::Reference(parent),
            Object::Reference(subscribe),
            Object::Reference(plan),
        ];
    }
    let content = doc.add_object(Stream::new(
        dictionary! {},
        b"BT /F1 12 Tf 72 740 Td (Application) Tj ET".to_vec(),
    ));
    doc.objects.insert(
        page,
        Object::Dictionary(dictionary! {
            "Type" => "Page", "Parent" => pages, "Contents" => content,
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()], "Annots" => annots,
        }),
    );
    doc.objects.insert(
        pages,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
        ),
    );
    let mut catalog = dictionary! { "Type" => "Catalog", "Pages" => pages };
    if with_form {
        let form = doc.add_object(dictionary! { "Fields" => fields });
        catalog.set("AcroForm", form);
    }
    let catalog = doc.add_object(catalog);
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// Each terminal field's fully qualified name, its `/V` and its flags.
fn read_back(bytes: &[u8]) -> Vec<(String, String, i64)> {
    let doc = Document::load_mem(bytes).unwrap();
    let form = doc
        .catalog()
        .unwrap()
        .get(b"AcroForm")
        .unwrap()
        .as_reference()
        .unwrap();
    let roots = doc.get_dictionary(form).unwrap().get(b"Fields").unwrap();
    let mut out = Vec::new();
    let mut stack: Vec<(Object, String)> = roots
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r.clone(), String::new()))
        .collect();
    while let Some((node, prefix)) = stack.pop() {
        let dict = doc.get_dictionary(node.as_reference().unwrap()).unwrap();
        let Ok(name) = dict.get(b"T") else { continue };
        let name = lopdf::decode_text_string(name).unwrap();
        let full = match prefix.is_empty() {
            true => name,
            false => format!("{prefix}.{name}"),
        };
        let named_kids: Vec<Object> = dict
            .get(b"Kids")
            .and_then(Object::as_array)
            .map(|k| {
                k.iter()
                    .filter(|k| {
                        doc.get_dictionary(k.as_reference().unwrap())
                            .unwrap()
                            .has(b"T")
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        if !named_kids.is_empty() {
            stack.extend(named_kids.into_iter().map(|k| (k, full.clone())));
            continue;
        }
        let value = match dict.get(b"V") {
            Ok(Object::Name(n)) => String::from_utf8(n.clone()).unwrap(),
            Ok(v @ Object::String(..)) => lopdf::decode_text_string(v).unwrap(),
            _ => String::new(),
        };
        let flags = dict.get(b"Ff").and_then(Object::as_i64).unwrap_or(0);
        out.push((full, value, flags));
    }
    out.sort();
    out
}

impl TestApp {
    async fn uploaded(&self, name: &str, bytes: Vec<u8>) -> String {
        let res = self.upload(KEY_A, name, bytes).await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        body["id"].as_str().unwrap().to_owned()
    }

    async fn download(&self, link: &str) -> Vec<u8> {
        let res = self.client.get(link).send().await.unwrap();
        assert_eq!(res.status(), 200, "{link}");
        assert_eq!(res.headers()["content-type"], "application/pdf");
        res.bytes().await.unwrap().to_vec()
    }
}

fn keys(object: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = object
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    keys
}

const RUN_KEYS: &[&str] = &[
    "config",
    "failureMessage",
    "failureReason",
    "file",
    "id",
    "metrics",
    "object",
    "output",
    "status",
    "usage",
];

#[tokio::test]
async fn an_edit_fills_an_uploaded_form_and_the_download_reads_back() {
    let app = app().await;
    let file_id = app.uploaded("application.pdf", pdf(true)).await;
    let body = json!({"file": {"id": file_id}, "config": {"instructions":
        "Fill the applicant name as Jane Doe. Check subscribe. Set the Pro plan. \
         Leave all other fields blank."}});
    let run = app
        .api_ok_bare_with(Method::POST, KEY_A, "/edit", &body)
        .await;
    assert_eq!(keys(&run), RUN_KEYS);
    assert_eq!(run["object"], "edit_run");
    assert!(run["id"].as_str().unwrap().starts_with("edr_"));
    assert_eq!(run["status"], "PROCESSED");
    assert_eq!(run["file"]["id"], file_id.as_str());
    assert_eq!(
        run["output"]["filledValues"],
        json!({"name": "Jane Doe", "subscribe": true, "plan": "Pro"})
    );
    assert_eq!(
        run["config"]["advancedOptions"],
        json!({"tableParsingEnabled": false, "flattenPdf": true, "radioEnumsEnabled": true,
               "nativeFieldsOnly": false, "conditionalGenerationEnabled": false})
    );
    assert_eq!(run["config"]["engineVersion"], "1.0.0");
    let metrics = &run["metrics"];
    assert_eq!(
        keys(metrics),
        [
            "fieldAnnotationTimeMs",
            "fieldCount",
            "fieldDetectionTimeMs",
            "fieldFillingTimeMs",
            "fieldsAnnotatedCount",
            "fieldsDetectedCount",
            "pageCount",
            "processingTimeMs"
        ]
    );
    assert_eq!(
        (
            &metrics["pageCount"],
            &metrics["fieldCount"],
            &metrics["fieldsDetectedCount"]
        ),
        (&json!(1), &json!(3), &json!(3))
    );
    assert_eq!(run["usage"], json!({"credits": 1.0, "totalCredits": 1.0}));
    let edited = &run["output"]["editedFile"];
    assert_eq!(keys(edited), ["id", "presignedUrl"]);
    let bytes = app.download(edited["presignedUrl"].as_str().unwrap()).await;
    // flattenPdf (the default) leaves the values readable, the fields
    // read-only.
    assert_eq!(
        read_back(&bytes),
        [
            ("applicant.name".into(), "Jane Doe".into(), 1),
            ("plan".into(), "1".into(), 1 | (1 << 15)),
            ("subscribe".into(), "Yes".into(), 1),
        ]
    );
    // The edited file is a file of the workspace, and the run reads the same.
    let id = edited["id"].as_str().unwrap();
    let file = app
        .api_ok_bare(Method::GET, KEY_A, &format!("/files/{id}"))
        .await;
    assert_eq!(file["name"], "application_edited.pdf");
    assert_eq!(file["type"], "PDF");
    let again = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            &format!("/edit_runs/{}", run["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(
        again["output"]["filledValues"],
        run["output"]["filledValues"]
    );
    assert_eq!(again["output"]["editedFile"]["id"], edited["id"]);
    // Another workspace sees neither.
    app.api_err(
        Method::GET,
        KEY_B,
        &format!("/edit_runs/{}", run["id"].as_str().unwrap()),
        None,
        404,
    )
    .await;
}

#[tokio::test]
async fn a_schema_forces_values_and_the_rest_is_made_up_the_same_way() {
    let app = app().await;
    let file_id = app.uploaded("form.pdf", pdf(true)).await;
    let schema = json!({"type": "object", "properties": {
        "applicant_name": {"type": ["string", "null"], "extend_edit:value": "Ada Lovelace",
            "extend_edit:source_acroform": {"fieldName": "applicant.name", "fieldType": "text"}},
        "subscribe": {"type": ["boolean", "null"], "extend_edit:value": true},
        "plan": {"enum": ["Basic", "Pro"]},
        "not_on_the_form": {"type": ["string", "null"], "extend_edit:value": "nowhere"}}});
    let body = json!({"file": {"id": file_id},
        "config": {"schema": schema, "advancedOptions": {"flattenPdf": false}}});
    let run = app
        .api_ok_bare_with(Method::POST, KEY_A, "/edit", &body)
        .await;
    let filled = &run["output"]["filledValues"];
    assert_eq!(filled["applicant_name"], "Ada Lovelace");
    assert_eq!(filled["subscribe"], true);
    let plan = filled["plan"].as_str().unwrap().to_owned();
    assert!(["Basic", "Pro"].contains(&plan.as_str()));
    assert_eq!(keys(filled), ["applicant_name", "plan", "subscribe"]);
    assert_eq!(run["config"]["schema"], schema);
    assert_eq!(run["metrics"]["fieldCount"], 4);
    let bytes = app
        .download(
            run["output"]["editedFile"]["presignedUrl"]
                .as_str()
                .unwrap(),
        )
        .await;
    let state = if plan == "Basic" { "0" } else { "1" };
    assert_eq!(
        read_back(&bytes),
        [
            ("applicant.name".into(), "Ada Lovelace".into(), 0),
            ("plan".into(), state.into(), 1 << 15),
            ("subscribe".into(), "Yes".into(), 0),
        ]
    );
    // A made-up value is the run's own (a second run may make up another);
    // a forced value is the same in every run.
    let second = app
        .api_ok_bare_with(Method::POST, KEY_A, "/edit", &body)
        .await;
    assert_eq!(
        second["output"]["filledValues"]["applicant_name"],
        "Ada Lovelace"
    );
}

#[tokio::test]
async fn form_detection_reads_the_fields_as_an_edit_schema() {
    let app = app().await;
    let file_id = app.uploaded("application.pdf", pdf(true)).await;
    let run = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/detect_form",
            &json!({"file": {"id": file_id}}),
        )
        .await;
    assert_eq!(keys(&run), RUN_KEYS);
    assert_eq!(run["object"], "form_detection_run");
    assert!(run["id"].as_str().unwrap().starts_with("sgr_"));
    assert_eq!(run["status"], "PROCESSED");
    let schema = &run["output"]["schema"];
    assert_eq!(run["output"]["annotatedSchema"], *schema);
    assert_eq!(run["output"]["mappingResult"], Value::Null);
    assert_eq!(
        *schema,
        json!({"type": "object", "required": [], "properties": {
            "name": {"type": ["string", "null"], "description": "Applicant name",
                "extend_edit:field_type": "text", "extend_edit:page_index": 0,
                "extend_edit:bbox": {"left": 100.0, "top": 72.0, "right": 300.0, "bottom": 92.0},
                "extend_edit:source_acroform": {"fieldName": "applicant.name", "fieldType": "text"}},
            "subscribe": {"type": ["boolean", "null"], "description": "subscribe",
                "extend_edit:field_type": "checkbox", "extend_edit:page_index": 0,
                "extend_edit:bbox": {"left": 100.0, "top": 120.0, "right": 112.0, "bottom": 132.0},
                "extend_edit:source_acroform": {"fieldName": "subscribe", "fieldType": "checkbox",
                    "optionValue": "Yes"}},
            "plan": {"description": "plan", "enum": ["Basic", "Pro"],
                "extend:descriptions": ["Basic", "Pro"],
                "extend_edit:field_type": "radio", "extend_edit:page_index": 0,
                "extend_edit:bboxes": [
                    {"left": 100.0, "top": 160.0, "right": 112.0, "bottom": 172.0},
                    {"left": 150.0, "top": 160.0, "right": 162.0, "bottom": 172.0}],
                "extend_edit:source_acroform": {"fieldName": "plan", "fieldType": "radio",
                    "optionMap": [
                        {"schemaValue": "Basic", "exportValue": "0", "displayValue": "Basic"},
                        {"schemaValue": "Pro", "exportValue": "1", "displayValue": "Pro"}]}}}})
    );
    assert_eq!(
        keys(&run["metrics"]),
        [
            "fieldAnnotationTimeMs",
            "fieldCount",
            "fieldDetectionTimeMs",
            "fieldsAnnotatedCount",
            "fieldsDetectedCount",
            "pageCount",
            "processingTimeMs"
        ]
    );
    assert_eq!(
        run["config"],
        json!({"engineVersion": "1.0.0", "advancedOptions": {"tableParsingEnabled": false,
            "radioEnumsEnabled": true, "nativeFieldsOnly": false,
            "conditionalGenerationEnabled": false}})
    );
    // Without radio enums, a radio group is a boolean per choice.
    let body = json!({"file": {"id": file_id},
        "config": {"advancedOptions": {"radioEnumsEnabled": false}}});
    let made = app
        .api_ok_bare_with(Method::POST, KEY_A, "/form_detection_runs", &body)
        .await;
    assert_eq!(made["status"], "PROCESSING");
    assert_eq!(made["output"], Value::Null);
    let ended = app
        .until_ended(&format!(
            "/form_detection_runs/{}",
            made["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        keys(&ended["output"]["schema"]["properties"]),
        ["name", "plan_basic", "plan_pro", "subscribe"]
    );
    assert_eq!(
        ended["output"]["schema"]["properties"]["plan_pro"]["extend_edit:source_acroform"],
        json!({"fieldName": "plan", "fieldType": "radio", "optionValue": "1"})
    );
    // The deprecated schema generation answers the same schema, bare; with
    // an input schema, how it maps.
    let body = json!({"file": {"id": file_id}, "config": {"inputSchema": {"type": "object",
        "properties": {"applicant": {"type": "object", "properties": {"name": {"type": "string"}}},
                       "ssn": {"type": "string"}}}}});
    let generated = app
        .api_ok_bare_with(Method::POST, KEY_A, "/edit_schemas/generate", &body)
        .await;
    assert_eq!(generated["schema"], *schema);
    assert_eq!(
        generated["mappingResult"],
        json!({"matches": [{"inputPath": "applicant.name", "formFieldKey": "name"}],
               "unmatchedInputPaths": ["ssn"], "unusedFormFieldKeys": ["subscribe", "plan"]})
    );
    // Form detection runs are not listed or deleted in the API.
    let res = app
        .api(
            Method::DELETE,
            KEY_A,
            &format!("/form_detection_runs/{}", made["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(res.status(), 405);
}

#[tokio::test]
async fn what_is_not_a_pdf_form_fails_as_the_api_says() {
    let app = app().await;
    let text = app.uploaded("notes.txt", b"just text".to_vec()).await;
    let plain = app.uploaded("letter.pdf", pdf(false)).await;
    let broken = app
        .uploaded("broken.pdf", b"%PDF-1.7\n1 0 obj << /Kids [1 0 R".to_vec())
        .await;
    for (file, path, reason, message) in [
        (
            json!({"id": text}),
            "/edit",
            "FILE_TYPE_NOT_SUPPORTED",
            "File type not supported. Edit runs currently require a PDF.",
        ),
        (
            json!({"url": "https://example.com/notes.docx"}),
            "/detect_form",
            "FILE_TYPE_NOT_SUPPORTED",
            "File type not supported. Form schema detection currently requires a PDF.",
        ),
        (
            json!({"id": plain}),
            "/edit",
            "EMPTY_SCHEMA",
            "No schema was provided and no fields could be detected.",
        ),
        (
            json!({"id": broken}),
            "/detect_form",
            "CORRUPT_FILE",
            "The file is corrupt or could not be read as a PDF.",
        ),
    ] {
        let run = app
            .api_ok_bare_with(Method::POST, KEY_A, path, &json!({ "file": file }))
            .await;
        assert_eq!(run["status"], "FAILED", "{path} {file}");
        assert_eq!(run["failureReason"], reason, "{path} {file}");
        assert_eq!(run["failureMessage"], message, "{path} {file}");
        assert_eq!(
            (&run["output"], &run["metrics"], &run["usage"]),
            (&Value::Null, &Value::Null, &Value::Null)
        );
    }
    // A PDF without a form, with a schema: processed, nothing filled (no
    // `filledValues`), the file as it was.
    let body = json!({"file": {"id": plain}, "config": {"schema": {"type": "object",
        "properties": {"name": {"type": "string", "extend_edit:value": "X"}}}}});
    let run = app
        .api_ok_bare_with(Method::POST, KEY_A, "/edit", &body)
        .await;
    assert_eq!(run["status"], "PROCESSED");
    assert_eq!(keys(&run["output"]), ["editedFile"]);
    let bytes = app
        .download(
            run["output"]["editedFile"]["presignedUrl"]
                .as_str()
                .unwrap(),
        )
        .await;
    let doc = Document::load_mem(&bytes).unwrap();
    assert_eq!(doc.get_pages().len(), 1);
    assert!(doc.catalog().unwrap().get(b"AcroForm").is_err());
    // Bodies the API refuses.
    for (body, field) in [
        (json!({}), "file"),
        (json!({"file": {"text": "hi"}}), "file.text"),
        (
            json!({"file": {"id": plain, "url": "https://x.test/a.pdf"}}),
            "file",
        ),
        (
            json!({"file": {"id": plain}, "templateId": "edt_w9"}),
            "templateId",
        ),
        (
            json!({"file": {"id": plain}, "config": {"engineVersion": "9"}}),
            "config.engineVersion",
        ),
        (
            json!({"file": {"id": plain}, "config": {"schema": {"type": "object"}}}),
            "config.schema",
        ),
        (
            json!({"file": {"id": plain}, "config": {"advancedOptions": {"flattenPdf": "yes"}}}),
            "config.advancedOptions.flattenPdf",
        ),
    ] {
        let message = app
            .api_err(Method::POST, KEY_A, "/edit_runs", Some(&body), 400)
            .await;
        assert!(
            message.contains(&format!(": {field}:")),
            "{body}: {message}"
        );
    }
    app.api_err(
        Method::POST,
        KEY_A,
        "/edit",
        Some(&json!({"file": {"id": "file_nope"}})),
        404,
    )
    .await;
}

#[tokio::test]
async fn a_file_known_by_its_url_gets_a_form_of_its_schemas_fields() {
    let app = app().await;
    let body = json!({"file": {"url": "https://example.com/forms/intake.pdf"},
        "config": {"schema": {"type": "object", "properties": {
            "patient_name": {"type": ["string", "null"], "description": "Patient name"},
            "insured": {"type": ["boolean", "null"]},
            "visit": {"enum": ["New", "Follow-up"], "extend_edit:field_type": "dropdown"}}},
        "instructions": "patient name as Sam Lee. check insured. visit: Follow-up"}});
    let run = app
        .api_ok_bare_with(Method::POST, KEY_A, "/edit", &body)
        .await;
    assert_eq!(run["file"]["name"], "intake.pdf");
    assert_eq!(run["file"]["metadata"]["pageCount"], 1);
    assert_eq!(
        run["output"]["filledValues"],
        json!({"patient_name": "Sam Lee", "insured": true, "visit": "Follow-up"})
    );
    let bytes = app
        .download(
            run["output"]["editedFile"]["presignedUrl"]
                .as_str()
                .unwrap(),
        )
        .await;
    let values: Vec<(String, String)> = read_back(&bytes)
        .into_iter()
        .map(|(n, v, _)| (n, v))
        .collect();
    assert_eq!(
        values,
        [
            ("insured".into(), "Yes".into()),
            ("patient_name".into(), "Sam Lee".into()),
            ("visit".into(), "Follow-up".into()),
        ]
    );
    // No schema: a short application form, every field but the signature
    // made up.
    let run = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/edit",
            &json!({"file": {"url": "https://example.com/form.pdf"}}),
        )
        .await;
    assert_eq!(
        keys(&run["output"]["filledValues"]),
        [
            "address",
            "agree_to_terms",
            "contact_method",
            "date",
            "email",
            "full_name",
            "phone_number",
            "state"
        ]
    );
}

#[tokio::test]
async fn edit_runs_are_listed_filtered_paged_and_deleted() {
    let app = app().await;
    let mut ids = Vec::new();
    for name in ["a.pdf", "b.pdf", "Lease__fail__.pdf"] {
        let body = json!({"file": {"url": format!("https://example.com/{name}")}});
        let run = app
            .api_ok_bare_with(Method::POST, KEY_A, "/edit_runs", &body)
            .await;
        assert_eq!(run["status"], "PROCESSING");
        ids.push(run["id"].as_str().unwrap().to_owned());
    }
    // Form detection runs are not edit runs.
    app.api_ok_bare_with(
        Method::POST,
        KEY_A,
        "/form_detection_runs",
        &json!({"file": {"url": "https://example.com/c.pdf"}}),
    )
    .await;
    for id in &ids {
        app.until_ended(&format!("/edit_runs/{id}")).await;
    }
    let page = app
        .api_ok_bare(Method::GET, KEY_A, "/edit_runs?maxPageSize=2")
        .await;
    assert_eq!(page["object"], "list");
    let first: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(first, [ids[2].as_str(), ids[1].as_str()]);
    let summary = &page["data"][0];
    assert_eq!(
        keys(summary),
        [
            "createdAt",
            "failureMessage",
            "failureReason",
            "file",
            "id",
            "metrics",
            "object",
            "status",
            "updatedAt",
            "usage"
        ]
    );
    let token = page["nextPageToken"].as_str().unwrap();
    let next = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            &format!(
                "/edit_runs?maxPageSize=2&nextPageToken={}",
                urlencode(token)
            ),
        )
        .await;
    assert_eq!(next["data"][0]["id"], ids[0].as_str());
    assert!(next.get("nextPageToken").is_none());
    let failed = app
        .api_ok_bare(Method::GET, KEY_A, "/edit_runs?status=FAILED")
        .await;
    assert_eq!(failed["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        failed["data"][0]["failureReason"],
        "FILE_TYPE_NOT_SUPPORTED"
    );
    let named = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            "/edit_runs?fileNameContains=LEASE&sortDir=asc",
        )
        .await;
    assert_eq!(named["data"][0]["id"], ids[2].as_str());
    let studio = app
        .api_ok_bare(Method::GET, KEY_A, "/edit_runs?source=STUDIO")
        .await;
    assert_eq!(studio["data"], json!([]));
    app.api_err(Method::GET, KEY_A, "/edit_runs?status=DONE", None, 400)
        .await;
    app.api_err(Method::GET, KEY_A, "/edit_runs?sortBy=name", None, 400)
        .await;
    let gone = app
        .api_ok_bare(Method::DELETE, KEY_A, &format!("/edit_runs/{}", ids[0]))
        .await;
    assert_eq!(gone, json!({"id": ids[0]}));
    app.api_err(
        Method::GET,
        KEY_A,
        &format!("/edit_runs/{}", ids[0]),
        None,
        404,
    )
    .await;
    app.api_err(
        Method::DELETE,
        KEY_A,
        &format!("/edit_runs/{}", ids[0]),
        None,
        404,
    )
    .await;
    let left = app.api_ok_bare(Method::GET, KEY_A, "/edit_runs").await;
    assert_eq!(left["data"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn templates_are_listed_read_and_edit_their_own_file() {
    let app = app().await;
    let list = app.api_ok_bare(Method::GET, KEY_A, "/edit_templates").await;
    let names: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Mutual NDA", "W-9 Template"]);
    assert_eq!(
        keys(&list["data"][0]),
        [
            "createdAt",
            "description",
            "file",
            "id",
            "name",
            "object",
            "updatedAt"
        ]
    );
    let w9 = app
        .api_ok_bare(Method::GET, KEY_A, "/edit_templates?nameContains=w-9")
        .await;
    assert_eq!(w9["data"].as_array().unwrap().len(), 1);
    let template = app
        .api_ok_bare(Method::GET, KEY_A, "/edit_templates/edt_w9")
        .await;
    assert_eq!(
        keys(&template),
        [
            "config",
            "createdAt",
            "description",
            "file",
            "id",
            "name",
            "object",
            "schemaConfig",
            "updatedAt"
        ]
    );
    assert_eq!(template["object"], "edit_template");
    assert_eq!(template["file"]["name"], "W-9.pdf");
    assert_eq!(template["schemaConfig"], Value::Null);
    let nda = app
        .api_ok_bare(Method::GET, KEY_A, "/edit_templates/edt_nda")
        .await;
    assert_eq!(nda["config"], json!({}));
    app.api_err(Method::GET, KEY_A, "/edit_templates/edt_other", None, 404)
        .await;
    // The template's file is a form; its saved config fills in what the
    // request leaves out.
    let run = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/edit",
            &json!({"templateId": "edt_w9", "config": {"advancedOptions": {"tableParsingEnabled": true}}}),
        )
        .await;
    assert_eq!(run["file"]["id"], template["file"]["id"]);
    assert_eq!(run["output"]["filledValues"], json!({"name": "Saved Name"}));
    assert_eq!(run["config"]["advancedOptions"]["flattenPdf"], false);
    assert_eq!(
        run["config"]["advancedOptions"]["tableParsingEnabled"],
        true
    );
    let overridden = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/edit",
            &json!({"templateId": "edt_w9", "config": {"instructions": "name as Mine. check exempt payee. leave all other fields blank"}}),
        )
        .await;
    assert_eq!(
        overridden["output"]["filledValues"],
        json!({"name": "Mine", "exempt": true})
    );
    app.api_err(
        Method::POST,
        KEY_A,
        "/edit",
        Some(&json!({"templateId": "edt_nope"})),
        404,
    )
    .await;
}

#[tokio::test]
async fn markers_rules_and_the_control_plane_steer_edit_runs() {
    let app = app().await;
    let held = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/edit_runs",
            &json!({"file": {"url": "https://example.com/form__hold__.pdf"}}),
        )
        .await;
    let id = held["id"].as_str().unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let still = app
        .api_ok_bare(Method::GET, KEY_A, &format!("/edit_runs/{id}"))
        .await;
    assert_eq!(still["status"], "PROCESSING");
    let finished = app
        .mock_ok(Method::POST, &format!("/processor_runs/{id}/finish"), None)
        .await;
    assert_eq!(finished["status"], "PROCESSED");
    assert!(
        finished["output"]["editedFile"]["presignedUrl"]
            .as_str()
            .unwrap()
            .contains("/_download/")
    );
    let again = app
        .mock(Method::POST, &format!("/processor_runs/{id}/fail"), None)
        .await;
    assert_eq!(again.status(), 400);
    // A held run failed through the control plane, with a reason.
    let other = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/form_detection_runs",
            &json!({"file": {"url": "https://example.com/b.pdf"}}),
        )
        .await;
    let other_id = other["id"].as_str().unwrap();
    app.mock_ok(
        Method::POST,
        &format!("/processor_runs/{other_id}/hold"),
        None,
    )
    .await;
    let failed = app
        .mock_ok(
            Method::POST,
            &format!("/processor_runs/{other_id}/fail"),
            Some(&json!({"failureReason": "PASSWORD_PROTECTED_FILE"})),
        )
        .await;
    assert_eq!(failed["failureReason"], "PASSWORD_PROTECTED_FILE");
    assert_eq!(
        failed["failureMessage"],
        "The file is password protected; give its password in `file.settings.password`."
    );
    // A marker with a reason, and a rule naming a file.
    let marked = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/edit",
            &json!({"file": {"url": "https://example.com/x__fail_CORRUPT_FILE__.pdf"}}),
        )
        .await;
    assert_eq!(marked["failureReason"], "CORRUPT_FILE");
    app.mock_ok(
        Method::POST,
        "/rules",
        Some(&json!({"fileNameContains": "lease", "failureReason": "OUT_OF_CREDITS"})),
    )
    .await;
    let ruled = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/edit",
            &json!({"file": {"url": "https://example.com/Lease.pdf"}}),
        )
        .await;
    assert_eq!(ruled["failureReason"], "OUT_OF_CREDITS");
    // A rule's output is laid over what the run made: the file stays.
    app.mock_ok(
        Method::POST,
        "/rules",
        Some(&json!({"fileNameContains": "pinned", "output": {"filledValues": {"x": "y"}}})),
    )
    .await;
    let pinned = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/edit",
            &json!({"file": {"url": "https://example.com/pinned.pdf"}}),
        )
        .await;
    assert_eq!(pinned["output"]["filledValues"], json!({"x": "y"}));
    assert!(
        pinned["output"]["editedFile"]["id"]
            .as_str()
            .unwrap()
            .starts_with("file_")
    );
    // A template's form cannot be deleted from under it.
    let template = app
        .api_ok_bare(Method::GET, KEY_A, "/edit_templates/edt_w9")
        .await;
    let message = app
        .api_err(
            Method::DELETE,
            KEY_A,
            &format!("/files/{}", template["file"]["id"].as_str().unwrap()),
            None,
            409,
        )
        .await;
    assert!(message.contains("edt_w9"), "{message}");
}

/// Hostile PDFs fail their run and leave the server answering: a page tree
/// and a field that are their own kids, arrays nested past any depth, more
/// objects than the server reads.
#[tokio::test]
async fn hostile_pdfs_fail_their_run_and_nothing_else() {
    let app = app().await;
    let looped = b"%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >> endobj
2 0 obj << /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Annots [4 0 R] >> endobj
4 0 obj << /FT /Tx /T (a) /Parent 4 0 R /Rect [0 0 1e30 -1e30] /P 3 0 R /Kids [4 0 R] >> endobj
trailer << /Root 1 0 R >>
%%EOF
"
    .to_vec();
    let mut deep = b"%PDF-1.4\n1 0 obj\n".to_vec();
    deep.extend(std::iter::repeat_n(b'[', 100_000));
    deep.extend(std::iter::repeat_n(b']', 100_000));
    deep.extend_from_slice(b"\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
    let mut many = b"%PDF-1.4\n".to_vec();
    for i in 1..=100_001 {
        many.extend_from_slice(format!("{i} 0 obj null endobj\n").as_bytes());
    }
    for (name, bytes, message) in [
        ("looped.pdf", looped, None),
        ("deep.pdf", deep, None),
        ("many.pdf", many, Some("100,000 objects")),
    ] {
        let id = app.uploaded(name, bytes).await;
        let run = app
            .api_ok_bare_with(Method::POST, KEY_A, "/edit", &json!({"file": {"id": id}}))
            .await;
        assert_eq!(run["status"], "FAILED", "{name}");
        assert_eq!(run["failureReason"], "CORRUPT_FILE", "{name}");
        if let Some(message) = message {
            assert!(
                run["failureMessage"].as_str().unwrap().contains(message),
                "{run}"
            );
        }
    }
    let health = app
        .client
        .get(app.url("/_mock/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}
