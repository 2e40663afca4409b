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

use crate::domain::{FileType, PagedResource, Position, StoredFile, Timestamp, check_file_name};
use crate::http::auth::Caller;
use crate::http::context::Sandbox;
use crate::http::error::ApiError;
use crate::http::json_response;
use crate::http::query::{page_token, parse_file_query};
use crate::http::wire::catalogue::{write_file_fields, write_file_summary, write_page};
use crate::http::wire::json;
use crate::links::LinkScope;
use crate::state::AppState;
use std::sync::atomic::Ordering;

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
    let patience = state.settings.header_timeout;
    // What this upload has received so far counts against the sandbox's
    // `--max-files-size` together with what is stored, until it is stored
    // or refused (hostile-inputs F3: 30 stalled uploads once held 1.9 GB
    // against a 512 MiB limit).
    let mut arriving = Arriving::new(&state);
    let mut upload: Option<(String, Vec<u8>)> = None;
    while let Some(mut field) = within(patience, multipart.next_field()).await? {
        if field.name() != Some("file") {
            // `password` (for protected PDFs) and anything else: read past it.
            while within(patience, field.chunk()).await?.is_some() {}
            continue;
        }
        let name = field
            .file_name()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or("upload")
            .to_owned();
        check_file_name(&name)
            .map_err(|e| ApiError::InvalidRequest(format!("request body: the file's name {e}")))?;
        let mut content = Vec::new();
        while let Some(chunk) = within(patience, field.chunk()).await? {
            if content.len() + chunk.len() > limit {
                return Err(ApiError::TooLarge(format!(
                    "the file is larger than {limit} bytes, the most this server takes (--max-file-size)"
                )));
            }
            arriving.add(chunk.len())?;
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
        .change_store(|store| {
            let added = store.add_file(file, Some(limits));
            // Stored: its bytes count as stored from here on, not twice.
            if added.is_ok() {
                arriving.release();
            }
            added
        })
        .map_err(ApiError::from)?;
    tracing::debug!(key = %caller.key_name, workspace = %caller.workspace_id, file = %id, bytes = size, "uploaded a file");
    Ok(json_response(body))
}

/// A piece of a multipart body, or a 400 when none comes for `patience`
/// (`--header-timeout`): a body that stops arriving holds neither the
/// connection nor the bytes it reserved for ever.
async fn within<T>(
    patience: std::time::Duration,
    next: impl std::future::Future<Output = Result<T, MultipartError>>,
) -> Result<T, ApiError> {
    match tokio::time::timeout(patience, next).await {
        Ok(piece) => piece.map_err(multipart_error),
        Err(_) => Err(ApiError::InvalidRequest(format!(
            "request body: nothing arrived for {} s (--header-timeout); an upload must keep \
             coming",
            patience.as_secs_f64()
        ))),
    }
}

/// The bytes an upload in progress has reserved in its sandbox's file
/// budget; given back when it is dropped (stored, refused or abandoned).
struct Arriving<'a> {
    state: &'a AppState,
    bytes: usize,
}

impl<'a> Arriving<'a> {
    fn new(state: &'a AppState) -> Self {
        Arriving { state, bytes: 0 }
    }

    /// Reserves `more` bytes, or a 413 when the stored files, the uploads
    /// in progress and these would pass `--max-files-size`.
    fn add(&mut self, more: usize) -> Result<(), ApiError> {
        let max = self.state.settings.file_limits.max_total_bytes;
        let arriving = self.state.arriving_bytes.fetch_add(more, Ordering::SeqCst) + more;
        self.bytes += more;
        let stored = self.state.store().total_file_bytes();
        if stored.saturating_add(arriving) > max {
            return Err(ApiError::TooLarge(format!(
                "the server holds {stored} bytes of files and is receiving {arriving}, and takes \
                 at most {max} in all (--max-files-size); delete files or retry later"
            )));
        }
        Ok(())
    }
}

impl Arriving<'_> {
    /// Gives the reserved bytes back now.
    fn release(&mut self) {
        self.state
            .arriving_bytes
            .fetch_sub(self.bytes, Ordering::SeqCst);
        self.bytes = 0;
    }
}

impl Drop for Arriving<'_> {
    fn drop(&mut self) {
        self.state
            .arriving_bytes
            .fetch_sub(self.bytes, Ordering::SeqCst);
    }
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
pub(crate) fn base_url(headers: &HeaderMap) -> String {
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

/// What a download link of `file` signs, in this state (see `links`).
fn link_scope<'a>(state: &'a AppState, file: &'a StoredFile, expires: i64) -> LinkScope<'a> {
    scope_of(state, &file.workspace_id, &file.id, expires)
}

fn scope_of<'a>(
    state: &'a AppState,
    workspace_id: &'a str,
    id: &'a str,
    expires: i64,
) -> LinkScope<'a> {
    LinkScope {
        kind: "download",
        sandbox: state.sandbox_name(),
        life: state.life(),
        workspace_id,
        id,
        expires,
    }
}

/// A signed download link of a file (`/_download/{id}?…`), good for
/// `seconds`, at `base` (where the client reached this server).
pub(crate) fn download_link(
    state: &AppState,
    base: &str,
    workspace_id: &str,
    id: &str,
    seconds: i64,
) -> String {
    let expires = Timestamp::now().unix_nanos() / 1_000_000_000 + seconds;
    let signature = state
        .signer
        .sign_bytes(&scope_of(state, workspace_id, id, expires).payload());
    let in_sandbox = state
        .sandbox_name()
        .map(|s| format!("sandbox={s}&"))
        .unwrap_or_default();
    format!("{base}/_download/{id}?{in_sandbox}expires={expires}&signature={signature}")
}

/// Every link this server did not make, or made for a state, workspace,
/// sandbox or file that is gone, is the same 404: it leads to nothing, and
/// which sandboxes or files exist is not for a link to tell
/// (hostile-inputs F6, F13). Only an expired link, and one missing its
/// `expires` or `signature`, say so (403).
pub fn link_refused() -> ApiError {
    ApiError::Missing(
        "This download link leads to nothing: it was changed, made by another server, or made \
         before a reset, or its file is gone; get a new one from GET /files/{id}"
            .into(),
    )
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
    let mut body = Vec::with_capacity(512);
    write_file_fields(&mut body, file);
    body.extend_from_slice(b",\"presignedUrl\":");
    json::write_str(
        &mut body,
        &download_link(
            &state,
            &base_url(&headers),
            &file.workspace_id,
            &file.id,
            LINK_SECONDS,
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
    state.change_store(|store| {
        // An edit template's form is its file: the template needs it.
        if let Some(t) = store
            .edits
            .templates
            .iter()
            .find(|t| t.file_id == id && t.workspace_id == caller.workspace_id)
        {
            return Err(ApiError::Conflict(format!(
                "File `{id}` is the form of edit template `{}`; it cannot be deleted",
                t.id
            )));
        }
        store
            .remove_file(&caller.workspace_id, &id)
            .map_err(ApiError::from)
    })?;
    tracing::debug!(key = %caller.key_name, workspace = %caller.workspace_id, file = %id, "deleted a file");
    Ok(Json(json!({"id": id})))
}

/// `Content-Disposition: attachment` for any name (RFC 6266): an ASCII
/// `filename` with anything a quoted string cannot hold replaced, and the
/// name itself percent-encoded in `filename*` (RFC 8187). A name the header
/// could not carry once dropped the header, and an HTML file then rendered
/// on this server's origin (hostile-inputs F9).
fn attachment(name: &str) -> HeaderValue {
    let fallback: String = name
        .chars()
        .map(|c| match c {
            ' ' | '!' | '#'..='[' | ']'..='~' => c,
            _ => '_',
        })
        .collect();
    let mut encoded = String::with_capacity(name.len() * 3);
    for byte in name.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => encoded.push(byte as char),
            b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~' => {
                encoded.push(byte as char)
            }
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    ))
    .expect("printable ASCII is a valid header value")
}

/// The presigned link: no key, as with a real one; the signature (this
/// server's page secret) and the expiry are the only checks.
pub async fn download(
    Sandbox(state): Sandbox,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let Some((expires, signature)) = crate::links::read_query(raw.as_deref()) else {
        return Err(ApiError::Forbidden(
            "A download link needs its `expires` and `signature`; get one from GET /files/{id}"
                .into(),
        ));
    };
    let (name, content, kind) = {
        let store = state.store();
        let file = store.file_by_id(&id).ok_or_else(link_refused)?;
        if !state
            .signer
            .verify_bytes(&link_scope(&state, file, expires).payload(), &signature)
        {
            return Err(link_refused());
        }
        (file.name.clone(), file.content.clone(), file.file_type)
    };
    if crate::links::expired(expires) {
        return Err(ApiError::Forbidden(
            "This download link has expired; get a new one from GET /files/{id}".into(),
        ));
    }
    let content_type = match kind {
        Some(FileType::Pdf) => "application/pdf",
        Some(FileType::Csv) => "text/csv",
        Some(FileType::Txt) => "text/plain; charset=utf-8",
        Some(FileType::Xml) => "application/xml",
        Some(FileType::Html) => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    };
    let mut response = content.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_DISPOSITION, attachment(&name));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Opened in a browser anyway (a link typed in), an HTML file runs in a
    // sandbox of its own: no script, no access to this origin's pages.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    Ok(response)
}
