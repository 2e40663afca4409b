//! Files: upload (multipart), list with pages and `nameContains`, read with
//! a download link this server answers, delete; limits; fixtures; isolation.

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::*;

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Pages /Kids [2 0 R 3 0 R 4 0 R] /Count 3 >> endobj\n\
2 0 obj << /Type /Page /Parent 1 0 R >> endobj\n3 0 obj << /Type /Page >> endobj\n\
4 0 obj <</Type/Page>> endobj\n%%EOF\n";

async fn upload_raw(app: &TestApp, key: &str, name: &str, content: &[u8]) -> reqwest::Response {
    let form = Form::new().text("password", "ignored").part(
        "file",
        Part::bytes(content.to_vec()).file_name(name.to_owned()),
    );
    post_upload(app, key).multipart(form).send().await.unwrap()
}

/// `POST /files/upload` with a key and the version header, body still to set.
fn post_upload(app: &TestApp, key: &str) -> reqwest::RequestBuilder {
    app.client
        .post(app.url("/files/upload"))
        .bearer_auth(key)
        .header("x-extend-api-version", VERSION)
}

/// A refused request's status and message.
async fn refusal(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    (
        status,
        body["message"].as_str().unwrap_or_default().to_owned(),
    )
}

async fn upload(app: &TestApp, key: &str, name: &str, content: &[u8]) -> Value {
    let res = upload_raw(app, key, name, content).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn get_json(app: &TestApp, key: &str, path: &str) -> (u16, Value) {
    let res = app.api(Method::GET, key, path, None).await;
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn upload_read_download_and_delete() {
    let app = spawn_app(&fixture()).await;
    let file = upload(&app, KEY_A, "Invoice 7.pdf", PDF).await;
    let id = file["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("file_") && id.len() == 26, "{id}");
    assert_eq!(file["object"], "file");
    assert_eq!(file["name"], "Invoice 7.pdf");
    assert_eq!(file["type"], "PDF");
    assert_eq!(file["metadata"], json!({"pageCount": 3}));
    assert_eq!(file["createdAt"], file["updatedAt"]);
    assert!(
        file.get("presignedUrl").is_none(),
        "uploads answer without a link"
    );
    assert!(file.get("success").is_none(), "a bare File");

    let (status, read) = get_json(&app, KEY_A, &format!("/files/{id}")).await;
    assert_eq!(status, 200);
    let url = read["presignedUrl"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&format!("{}/_download/{id}?expires=", app.base)),
        "{url}"
    );
    assert!(read.get("contents").is_none());
    let download = app.client.get(&url).send().await.unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "application/pdf");
    assert_eq!(
        download.headers()["content-disposition"],
        "attachment; filename=\"Invoice 7.pdf\"; filename*=UTF-8''Invoice%207.pdf"
    );
    assert_eq!(download.bytes().await.unwrap().as_ref(), PDF);

    // A PDF's contents: its pages with their size, no text the emulator cannot read.
    let (_, with) = get_json(
        &app,
        KEY_A,
        &format!("/files/{id}?rawText=true&markdown=true"),
    )
    .await;
    assert_eq!(
        with["contents"],
        json!({"pages": [
            {"pageNumber": 1, "pageWidth": 612, "pageHeight": 792},
            {"pageNumber": 2, "pageWidth": 612, "pageHeight": 792},
            {"pageNumber": 3, "pageWidth": 612, "pageHeight": 792}]})
    );

    let deleted = app
        .api_ok_bare(Method::DELETE, KEY_A, &format!("/files/{id}"))
        .await;
    assert_eq!(deleted, json!({"id": id}));
    let (status, body) = get_json(&app, KEY_A, &format!("/files/{id}")).await;
    assert_eq!(status, 404);
    assert_eq!(body["message"], format!("File `{id}` not found"));
    // The link of a deleted file leads nowhere, like any link not made here.
    assert_eq!(app.client.get(&url).send().await.unwrap().status(), 404);
    let (status, _) = get_json(&app, KEY_A, &format!("/files/{id}")).await;
    assert_eq!(status, 404);
    let res = app
        .api(Method::DELETE, KEY_A, &format!("/files/{id}"), None)
        .await;
    assert_eq!(res.status(), 404, "a second delete");
}

#[tokio::test]
async fn a_text_files_text_comes_back_and_types_come_from_content_and_name() {
    let app = spawn_app(&fixture()).await;
    let csv = upload(&app, KEY_A, "rates.csv", b"a,b\n1,2\n").await;
    assert_eq!(csv["type"], "CSV");
    let id = csv["id"].as_str().unwrap();
    let (_, read) = get_json(&app, KEY_A, &format!("/files/{id}?rawText=true")).await;
    assert_eq!(
        read["contents"],
        json!({"rawText": "a,b\n1,2\n", "pages": []})
    );
    let (_, no_text) = get_json(&app, KEY_A, &format!("/files/{id}?html=true")).await;
    assert_eq!(no_text["contents"], json!({"pages": []}));
    let (status, bad) = get_json(&app, KEY_A, &format!("/files/{id}?rawText=yes")).await;
    assert_eq!(status, 400);
    assert!(bad["message"].as_str().unwrap().contains("`rawText`"));

    for (name, content, kind) in [
        ("scan.bin", &b"\x89PNG\r\n\x1a\n...."[..], "IMG"),
        ("notes.txt", b"hello", "TXT"),
        ("w2.docx", b"PK\x03\x04", "DOCX"),
        ("book.xlsx", b"PK\x03\x04", "EXCEL"),
        ("feed.xml", b"<?xml version=\"1.0\"?><a/>", "XML"),
        ("page", b"<!DOCTYPE html><html></html>", "HTML"),
    ] {
        let file = upload(&app, KEY_A, name, content).await;
        assert_eq!(file["type"], kind, "{name}");
        assert_eq!(file["metadata"]["pageCount"], 1, "{name}");
    }
    let unknown = upload(&app, KEY_A, "blob", b"PK\x03\x04\xff\xfe").await;
    assert!(unknown.get("type").is_none(), "{unknown}");
}

#[tokio::test]
async fn lists_page_by_creation_and_filter_by_name() {
    let app = spawn_app(&fixture()).await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let name = if i % 2 == 0 {
            format!("Invoice-{i}.pdf")
        } else {
            format!("receipt-{i}.png")
        };
        ids.push(
            upload(&app, KEY_A, &name, PDF).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    upload(&app, KEY_B, "invoice-other-workspace.pdf", PDF).await;
    for dir in ["asc", "desc"] {
        let mut walked = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut query: Vec<(&str, &str)> = vec![("maxPageSize", "3"), ("sortDir", dir)];
            if let Some(t) = &token {
                query.push(("nextPageToken", t));
            }
            let res = app
                .client
                .get(app.url("/files"))
                .bearer_auth(KEY_A)
                .header("x-extend-api-version", VERSION)
                .query(&query)
                .send()
                .await
                .unwrap();
            let page: Value = res.json().await.unwrap();
            assert_eq!(page["object"], "list");
            walked.extend(
                page["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["id"].as_str().unwrap().to_owned()),
            );
            match page["nextPageToken"].as_str() {
                Some(t) => token = Some(t.to_owned()),
                None => break,
            }
        }
        let mut expected = ids.clone();
        if dir == "desc" {
            expected.reverse();
        }
        assert_eq!(walked, expected, "{dir}");
    }
    let (_, invoices) = get_json(&app, KEY_A, "/files?nameContains=INVOICE&maxPageSize=100").await;
    let names: Vec<&str> = invoices["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Invoice-6.pdf",
            "Invoice-4.pdf",
            "Invoice-2.pdf",
            "Invoice-0.pdf"
        ]
    );
    // The processors' tokens do not page files.
    let (_, processors) = get_json(&app, KEY_A, "/processors?maxPageSize=1").await;
    let token: String =
        form_urlencoded::byte_serialize(processors["nextPageToken"].as_str().unwrap().as_bytes())
            .collect();
    let (status, body) = get_json(&app, KEY_A, &format!("/files?nextPageToken={token}")).await;
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("another list"),
        "{body}"
    );
}

#[tokio::test]
async fn another_workspaces_file_is_not_found_and_its_link_is_the_only_way_in() {
    let app = spawn_app(&fixture()).await;
    let id = upload(&app, KEY_A, "a.txt", b"secret").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = get_json(&app, KEY_B, &format!("/files/{id}")).await;
    assert_eq!(status, 404);
    assert_eq!(body["message"], format!("File `{id}` not found"));
    let res = app
        .api(Method::DELETE, KEY_B, &format!("/files/{id}"), None)
        .await;
    assert_eq!(res.status(), 404);
    let (_, listed) = get_json(&app, KEY_B, "/files").await;
    assert_eq!(listed["data"], json!([]));

    let (_, read) = get_json(&app, KEY_A, &format!("/files/{id}")).await;
    let url = read["presignedUrl"].as_str().unwrap().to_owned();
    let tampered = url.replace("expires=", "expires=9");
    let res = app.client.get(&tampered).send().await.unwrap();
    assert_eq!(res.status(), 404, "an edited link leads nowhere");
    let bare = app
        .client
        .get(app.url(&format!("/_download/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 403);
    let res = app.client.get(&url).send().await.unwrap();
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"secret");
}

#[tokio::test]
async fn uploads_past_the_limits_are_refused_and_the_store_keeps_nothing() {
    let settings = extend_mock::Settings {
        file_limits: extend_mock::store::FileLimits {
            max_file_bytes: 1000,
            max_total_bytes: 2500,
        },
        ..extend_mock::Settings::default()
    };
    let app = spawn_app_with_settings(&fixture(), SECRET, settings).await;
    let res = upload_raw(&app, KEY_A, "big.bin", &[b'x'; 1001]).await;
    assert_eq!(res.status(), 413);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("--max-file-size"),
        "{body}"
    );
    // Far past the limit: the body limit stops it before it is read.
    let res = upload_raw(&app, KEY_A, "huge.bin", &vec![b'x'; 200_000]).await;
    assert_eq!(res.status(), 413);
    upload(&app, KEY_A, "one.txt", &[b'x'; 1000]).await;
    upload(&app, KEY_A, "two.txt", &[b'x'; 1000]).await;
    let res = upload_raw(&app, KEY_A, "three.txt", &[b'x'; 1000]).await;
    assert_eq!(res.status(), 413);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("--max-files-size"),
        "{body}"
    );
    let (_, listed) = get_json(&app, KEY_A, "/files").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 2);
    // Deleting makes room again.
    let first = listed["data"][0]["id"].as_str().unwrap();
    app.api(Method::DELETE, KEY_A, &format!("/files/{first}"), None)
        .await;
    upload(&app, KEY_A, "three.txt", &[b'x'; 1000]).await;

    // Not multipart, or no `file` part: a 400 that says what to send.
    let (status, message) =
        refusal(post_upload(&app, KEY_A).body("plain").send().await.unwrap()).await;
    assert_eq!(status, 400);
    assert!(message.contains("multipart/form-data"), "{message}");
    let form = Form::new().text("other", "x");
    let (status, message) = refusal(
        post_upload(&app, KEY_A)
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(message.contains("part `file` is required"), "{message}");
}

#[tokio::test]
async fn fixture_files_load_export_and_reset() {
    let mut doc = fixture();
    doc["files"] = json!([
        {"id": "file_text", "workspaceId": "ws_a", "name": "notes.txt", "content": "hello there",
         "createdAt": minutes(1)},
        {"id": "file_pdf", "workspaceId": "ws_a", "name": "scan.pdf",
         "contentBase64": base64_of(PDF), "createdAt": minutes(2)}
    ]);
    let app = spawn_app(&doc).await;
    let (_, listed) = get_json(&app, KEY_A, "/files").await;
    let ids: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["file_pdf", "file_text"]);
    assert_eq!(listed["data"][0]["metadata"]["pageCount"], 3);
    let (_, text) = get_json(&app, KEY_A, "/files/file_text?rawText=true").await;
    assert_eq!(text["contents"]["rawText"], "hello there");
    let exported = app.state_document().await;
    assert_eq!(
        exported["files"][0]["contentBase64"],
        base64_of(b"hello there")
    );
    assert_eq!(exported["files"][1]["type"], "PDF");
    app.mock_ok(Method::PUT, "/fixtures", Some(&exported)).await;
    assert_eq!(app.state_document().await, exported);
    // An upload is gone after a reset; the fixture files are back.
    upload(&app, KEY_A, "new.txt", b"x").await;
    app.mock_ok(Method::POST, "/reset", None).await;
    let (_, listed) = get_json(&app, KEY_A, "/files").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 2);

    let mut bad = fixture();
    bad["files"] = json!([{"id": "file_x", "workspaceId": "ws_a", "name": "x", "contentBase64": "!!",
                           "createdAt": minutes(1)}]);
    let res = app.mock(Method::PUT, "/fixtures", Some(&bad)).await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("files[0]: contentBase64"),
        "{body}"
    );
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
