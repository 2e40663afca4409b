//! Files, as the SDKs' `files` client calls them: `POST /files/upload`
//! (multipart, part `file`), `GET /files`, `GET /files/{id}` (with a
//! `presignedUrl` this server answers) and `DELETE /files/{id}`; and the
//! download link itself, `GET /_download/{id}?expires=…&signature=…`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::domain::{FileType, PagedResource, Position, StoredFile, Timestamp};
use crate::http::auth::Caller;
use crate::http::context::Sandbox;
use crate::http::error::ApiError;
use crate::http::query::{page_token, parse_file_query};
use crate::http::wire::catalogue::{write_file_fields, write_file_summary, write_page};
use crate::http::wire::json;

const FILE_PREFIX: &str = "file_";
/// How long a download link works, as the API documents for its own.
const LINK_SECONDS: i64 = 15 * 60;
/// The size the emulator gives a page it does not read (US Letter, in points).
const PAGE_WIDTH: u32 = 612;
const PAGE_HEIGHT: u32 = 792;

/// What the `rawText`, `markdown` and `html` flags can honestly give: a text
/// file's own text, and for a PDF or image one entry per page with its size.
/// The emulator reads no PDF text, writes no markdown and converts nothing.
fn contents_json(f: &StoredFile, raw_text: bool) -> Value {
    let mut contents = Map::new();
    if raw_text && let Some(text) = f.text() {
        contents.insert("rawText".into(), json!(text));
    }
    let pages: Vec<Value> = match f.file_type {
        Some(FileType::Pdf | FileType::Img) => (1..=f.page_count)
            .map(|n| json!({"pageNumber": n, "pageWidth": PAGE_WIDTH, "pageHeight": PAGE_HEIGHT}))
            .collect(),
        _ => Vec::new(),
    };
    contents.insert("pages".into(), Value::Array(pages));
    Value::Object(contents)
}

fn multipart_error(e: MultipartError) -> ApiError {
    let text = e.body_text();
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge(format!("request body: {text} (--max-file-size)"))
    } else {
        ApiError::InvalidRequest(format!("request body: {text}"))
    }
}

pub async fn upload(
    Sandbox(state): Sandbox,
    caller: Caller,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let mut multipart = multipart.map_err(|e| {
        ApiError::InvalidRequest(format!(
            "request body: {}; send multipart/form-data with the file in a part named `file`",
            e.body_text()
        ))
    })?;
    let limit = state.settings.file_limits.max_file_bytes;
    let mut upload: Option<(String, Vec<u8>)> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            // `password` (for protected PDFs) and anything else: read past it.
            while field.chunk().await.map_err(multipart_error)?.is_some() {}
            continue;
        }
        let name = field
            .file_name()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or("upload")
            .to_owned();
        let mut content = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if content.len() + chunk.len() > limit {
                return Err(ApiError::TooLarge(format!(
                    "the file is larger than {limit} bytes, the most this server takes (--max-file-size)"
                )));
            }
            content.extend_from_slice(&chunk);
        }
        upload = Some((name, content));
    }
    let Some((name, content)) = upload else {
        return Err(ApiError::InvalidRequest(
            "request body: the multipart part `file` is required".into(),
        ));
    };
    let file = StoredFile::new(
        state.new_id(FILE_PREFIX),
        caller.workspace_id.clone(),
        name,
        Bytes::from(content),
        state.now(),
    );
    let mut body = Vec::with_capacity(256);
    write_file_summary(&mut body, &file);
    let limits = state.settings.file_limits;
    let (id, size) = (file.id.clone(), file.content.len());
    state
        .change_store(|store| store.add_file(file, Some(limits)))
        .map_err(ApiError::from)?;
    tracing::debug!(key = %caller.key_name, workspace = %caller.workspace_id, file = %id, bytes = size, "uploaded a file");
    Ok(json_response(body))
}

fn json_response(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

pub async fn list(
    Sandbox(state): Sandbox,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = parse_file_query(
        raw.as_deref(),
        &caller.workspace_id,
        &state.signer,
        state.settings.paging,
    )?;
    let paging = &query.paging;
    let body = {
        let store = state.store();
        let (page, more) = store.file_page(
            &caller.workspace_id,
            query.name_contains.as_deref(),
            paging.order.dir,
            paging.after.as_ref(),
            paging.page_size,
        );
        let token = more.then(|| page.last()).flatten().map(|last| {
            page_token(
                &state.signer,
                PagedResource::Files,
                &caller.workspace_id,
                paging.order,
                query.fingerprint(),
                Position {
                    at_nanos: last.created_at.unix_nanos(),
                    id: last.id.clone(),
                },
            )
        });
        write_page(
            b"{\"object\":\"list\",\"data\":[",
            &page,
            |buf, f| write_file_summary(buf, f),
            token,
        )
    };
    Ok(json_response(body))
}

/// A boolean query flag: `true`, `false` or absent.
fn flag(raw: Option<&str>, name: &str) -> Result<bool, ApiError> {
    let mut value = false;
    for (key, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        if key == name {
            value = match v.as_ref() {
                "true" => true,
                "false" => false,
                other => {
                    return Err(ApiError::InvalidRequest(format!(
                        "Invalid query parameter `{name}`: `{other}` is not true or false"
                    )));
                }
            };
        }
    }
    Ok(value)
}

/// Where this server is, as the client reached it (the `Host` it sent).
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https")
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

/// What a download link's signature covers: the file, its sandbox (so a
/// link cannot be pointed at another one) and the expiry.
fn link_payload(sandbox: Option<&str>, id: &str, expires: i64) -> String {
    match sandbox {
        None => format!("download:{id}:{expires}"),
        Some(sandbox) => format!("download:{sandbox}:{id}:{expires}"),
    }
}

pub async fn retrieve(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let raw_text = flag(raw.as_deref(), "rawText")?;
    let markdown = flag(raw.as_deref(), "markdown")?;
    let html = flag(raw.as_deref(), "html")?;
    let store = state.store();
    let file = store
        .file(&caller.workspace_id, &id)
        .ok_or_else(|| ApiError::FileNotFound(id.clone()))?;
    let expires = Timestamp::now().unix_nanos() / 1_000_000_000 + LINK_SECONDS;
    let sandbox = state.sandbox_name();
    let signature = state
        .signer
        .sign_bytes(link_payload(sandbox, &id, expires).as_bytes());
    let in_sandbox = sandbox.map(|s| format!("sandbox={s}&")).unwrap_or_default();
    let mut body = Vec::with_capacity(512);
    write_file_fields(&mut body, file);
    body.extend_from_slice(b",\"presignedUrl\":");
    json::write_str(
        &mut body,
        &format!(
            "{}/_download/{id}?{in_sandbox}expires={expires}&signature={signature}",
            base_url(&headers)
        ),
    );
    if raw_text || markdown || html {
        body.extend_from_slice(b",\"contents\":");
        serde_json::to_writer(&mut body, &contents_json(file, raw_text))
            .expect("writing to a Vec cannot fail");
    }
    body.push(b'}');
    Ok(json_response(body))
}

pub async fn delete(
    Sandbox(state): Sandbox,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    state
        .change_store(|store| store.remove_file(&caller.workspace_id, &id))
        .map_err(ApiError::from)?;
    tracing::debug!(key = %caller.key_name, workspace = %caller.workspace_id, file = %id, "deleted a file");
    Ok(Json(json!({"id": id})))
}

/// The presigned link: no key, as with a real one; the signature (this
/// server's page secret) and the expiry are the only checks.
pub async fn download(
    Sandbox(state): Sandbox,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut expires = None;
    let mut signature = None;
    for (key, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "expires" => expires = value.parse::<i64>().ok(),
            "signature" => signature = Some(value.into_owned()),
            _ => {}
        }
    }
    let (Some(expires), Some(signature)) = (expires, signature) else {
        return Err(ApiError::Forbidden(
            "A download link needs its `expires` and `signature`; get one from GET /files/{id}"
                .into(),
        ));
    };
    if !state.signer.verify_bytes(
        link_payload(state.sandbox_name(), &id, expires).as_bytes(),
        &signature,
    ) {
        return Err(ApiError::Forbidden(
            "This download link was not made by this server, or was changed".into(),
        ));
    }
    if Timestamp::now().unix_nanos() / 1_000_000_000 > expires {
        return Err(ApiError::Forbidden(
            "This download link has expired; get a new one from GET /files/{id}".into(),
        ));
    }
    let (name, content, kind) = {
        let store = state.store();
        let file = store
            .file_by_id(&id)
            .ok_or_else(|| ApiError::FileNotFound(id.clone()))?;
        (file.name.clone(), file.content.clone(), file.file_type)
    };
    let content_type = match kind {
        Some(FileType::Pdf) => "application/pdf",
        Some(FileType::Csv) => "text/csv",
        Some(FileType::Txt) => "text/plain; charset=utf-8",
        Some(FileType::Xml) => "application/xml",
        Some(FileType::Html) => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    };
    let disposition = format!(
        "attachment; filename=\"{}\"",
        name.replace(['"', '\\', '\r', '\n'], "_")
    );
    let mut response = content.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
