//! A stored file: what `POST /files/upload` keeps, what `GET /files/{id}`
//! describes and the download link serves, and how a fixture spells one.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::{FileType, Timestamp, check_id};

#[derive(Clone, Debug, PartialEq)]
pub struct StoredFile {
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    pub file_type: Option<FileType>,
    pub page_count: u32,
    pub content: Bytes,
    /// A PDF's own text, read once when stored (`pdf_text`).
    pub pdf_text: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A PDF's text, for a PDF.
fn text_of(file_type: Option<FileType>, content: &[u8]) -> Option<String> {
    match file_type {
        Some(FileType::Pdf) => super::pdf_text::pdf_text(content),
        _ => None,
    }
}

impl StoredFile {
    /// A file as an upload makes it: type and page count read from the bytes.
    pub fn new(
        id: String,
        workspace_id: String,
        name: String,
        content: Bytes,
        at: Timestamp,
    ) -> Self {
        let file_type = detect_type(&name, &content);
        let page_count = page_count(file_type, &content);
        StoredFile {
            id,
            workspace_id,
            name,
            file_type,
            page_count,
            pdf_text: text_of(file_type, &content),
            content,
            created_at: at,
            updated_at: at,
        }
    }

    /// The text the emulator can honestly give back: a text file's own, a
    /// PDF's where its streams show it (`pdf_text`).
    pub fn text(&self) -> Option<&str> {
        match self.file_type {
            Some(FileType::Txt | FileType::Csv | FileType::Xml | FileType::Html) => {
                std::str::from_utf8(&self.content).ok()
            }
            Some(FileType::Pdf) => self.pdf_text.as_deref(),
            _ => None,
        }
    }
}

/// The type from the content where it says (magic bytes), else from the name.
pub fn detect_type(name: &str, content: &[u8]) -> Option<FileType> {
    const MAGIC: &[(&[u8], FileType)] = &[
        (b"%PDF-", FileType::Pdf),
        (b"\x89PNG\r\n\x1a\n", FileType::Img),
        (b"\xff\xd8\xff", FileType::Img),
        (b"GIF87a", FileType::Img),
        (b"GIF89a", FileType::Img),
        (b"II*\x00", FileType::Img),
        (b"MM\x00*", FileType::Img),
        (b"BM", FileType::Img),
    ];
    if let Some((_, kind)) = MAGIC.iter().find(|(magic, _)| content.starts_with(magic)) {
        return Some(*kind);
    }
    if content.len() >= 12 && &content[..4] == b"RIFF" && &content[8..12] == b"WEBP" {
        return Some(FileType::Img);
    }
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let by_name = match extension.as_deref() {
        Some("pdf") => Some(FileType::Pdf),
        Some(
            "png" | "jpg" | "jpeg" | "gif" | "tif" | "tiff" | "bmp" | "webp" | "heic" | "heif",
        ) => Some(FileType::Img),
        Some("csv") => Some(FileType::Csv),
        Some("txt" | "text" | "md") => Some(FileType::Txt),
        Some("docx" | "doc") => Some(FileType::Docx),
        Some("xlsx" | "xls" | "xlsm") => Some(FileType::Excel),
        Some("xml") => Some(FileType::Xml),
        Some("html" | "htm") => Some(FileType::Html),
        _ => None,
    };
    if by_name.is_some() {
        return by_name;
    }
    // Content with no telling name: a zip is an Office file we cannot tell
    // apart cheaply; text is text, markup is markup.
    let text = std::str::from_utf8(content).ok()?;
    let head = text
        .trim_start()
        .get(..64.min(text.trim_start().len()))?
        .to_ascii_lowercase();
    if head.starts_with("<!doctype html") || head.starts_with("<html") {
        Some(FileType::Html)
    } else if head.starts_with("<?xml") {
        Some(FileType::Xml)
    } else {
        Some(FileType::Txt)
    }
}

/// The most pages a file is taken to have, whatever it claims: what is made
/// per page (a `contents` entry, a parse chunk, a split) stays bounded. A
/// 49 MiB upload of nothing but `/Type /Page` once claimed 4,670,929 pages
/// and each read built an object per page (hostile-inputs F2).
pub const MAX_PAGES: u32 = 2000;

/// Pages: a PDF's page objects counted (`/Type /Page`, not `/Pages`), in
/// the file as written and in its compressed object streams (where pdf-lib
/// and most PDF 1.5+ writers keep them), which is cheap and right for the
/// PDFs test suites upload; 1 for anything else or a PDF whose pages cannot
/// be found that way. At most `MAX_PAGES`; the count stops there, so a read
/// of the file costs the same past it (and inflating is bounded as for its
/// text, `pdf_text::MAX_INFLATED`).
pub fn page_count(file_type: Option<FileType>, content: &[u8]) -> u32 {
    if file_type != Some(FileType::Pdf) {
        return 1;
    }
    let mut pages = count_page_objects(content, 0);
    if pages < MAX_PAGES {
        super::pdf_text::object_streams(content, |objects| {
            pages = count_page_objects(objects, pages);
            pages < MAX_PAGES
        });
    }
    pages.max(1)
}

/// `pages` plus the page objects in `bytes`, at most `MAX_PAGES`.
fn count_page_objects(bytes: &[u8], mut pages: u32) -> u32 {
    for at in memchr::memmem::find_iter(bytes, b"/Type") {
        if pages >= MAX_PAGES {
            break;
        }
        let rest = &bytes[at + 5..];
        let rest = &rest[rest.iter().take_while(|b| b.is_ascii_whitespace()).count()..];
        if rest.starts_with(b"/Page") && !rest[5..].starts_with(b"s") {
            pages += 1;
        }
    }
    pages
}

/// The longest file name taken, in bytes: a name goes into a download's
/// `Content-Disposition` header, which clients refuse past a few KB
/// (hostile-inputs F12). The same bound as most file systems'.
pub const MAX_FILE_NAME: usize = 255;

/// A file name as an upload, a run's input or a fixture gives it: at most
/// `MAX_FILE_NAME` bytes, no control characters.
pub fn check_file_name(name: &str) -> Result<(), String> {
    if name.len() > MAX_FILE_NAME {
        return Err(format!(
            "is {} bytes long; file names may be at most {MAX_FILE_NAME} bytes",
            name.len()
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("must not hold control characters".into());
    }
    Ok(())
}

/// A file in a fixture document: the content as text (`content`) or as
/// base64 (`contentBase64`, what the export writes); type and page count
/// are read from it unless given.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FixtureFile {
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub file_type: Option<FileType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_base64: Option<String>,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
}

impl TryFrom<FixtureFile> for StoredFile {
    type Error = (String, String);

    fn try_from(f: FixtureFile) -> Result<Self, Self::Error> {
        check_id(&f.id).map_err(|e| ("id".to_owned(), e))?;
        let content = match (f.content, f.content_base64) {
            (Some(_), Some(_)) => {
                return Err((
                    "content".into(),
                    "give `content` or `contentBase64`, not both".into(),
                ));
            }
            (Some(text), None) => Bytes::from(text.into_bytes()),
            (None, Some(encoded)) => Bytes::from(
                STANDARD
                    .decode(encoded.trim())
                    .map_err(|e| ("contentBase64".to_owned(), e.to_string()))?,
            ),
            (None, None) => Bytes::new(),
        };
        check_file_name(&f.name).map_err(|e| ("name".to_owned(), e))?;
        if let Some(pages) = f.page_count
            && !(1..=MAX_PAGES).contains(&pages)
        {
            return Err((
                "pageCount".into(),
                format!("{pages} is not from 1 to {MAX_PAGES}, the most pages a file may have"),
            ));
        }
        let detected = detect_type(&f.name, &content);
        let file_type = f.file_type.or(detected);
        Ok(StoredFile {
            page_count: f
                .page_count
                .unwrap_or_else(|| page_count(file_type, &content)),
            id: f.id,
            workspace_id: f.workspace_id,
            name: f.name,
            file_type,
            pdf_text: text_of(file_type, &content),
            content,
            created_at: f.created_at,
            updated_at: f.updated_at.unwrap_or(f.created_at),
        })
    }
}

impl From<&StoredFile> for FixtureFile {
    fn from(f: &StoredFile) -> Self {
        FixtureFile {
            id: f.id.clone(),
            workspace_id: f.workspace_id.clone(),
            name: f.name.clone(),
            file_type: f.file_type,
            page_count: Some(f.page_count),
            content: None,
            content_base64: Some(STANDARD.encode(&f.content)),
            created_at: f.created_at,
            updated_at: Some(f.updated_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_content_then_the_name() {
        assert_eq!(detect_type("x.bin", b"%PDF-1.7\n"), Some(FileType::Pdf));
        assert_eq!(
            detect_type("scan.pdf", b"\x89PNG\r\n\x1a\nrest"),
            Some(FileType::Img)
        );
        assert_eq!(detect_type("a.CSV", b"a,b\n1,2\n"), Some(FileType::Csv));
        assert_eq!(detect_type("a.xlsx", b"PK\x03\x04"), Some(FileType::Excel));
        assert_eq!(detect_type("a.docx", b"PK\x03\x04"), Some(FileType::Docx));
        assert_eq!(
            detect_type("page", b"<!DOCTYPE html><html>"),
            Some(FileType::Html)
        );
        assert_eq!(
            detect_type("feed", b"<?xml version=\"1.0\"?>"),
            Some(FileType::Xml)
        );
        assert_eq!(detect_type("notes", b"hello"), Some(FileType::Txt));
        assert_eq!(detect_type("blob", b"PK\x03\x04\xff\xfe"), None);
    }

    #[test]
    fn a_pdf_counts_its_page_objects() {
        let pdf = b"%PDF-1.4\n1 0 obj << /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>\n\
            2 0 obj << /Type /Page >>\n3 0 obj <</Type/Page/Parent 1 0 R>>\n";
        assert_eq!(page_count(Some(FileType::Pdf), pdf), 2);
        assert_eq!(page_count(Some(FileType::Pdf), b"%PDF-1.4 compressed"), 1);
        assert_eq!(page_count(Some(FileType::Txt), b"/Type /Page"), 1);
    }

    /// A PDF whose objects live in a compressed object stream, as pdf-lib
    /// writes by default: its pages are counted from the inflated stream,
    /// beside any written plainly, and the count stops at `MAX_PAGES`.
    #[test]
    fn pages_in_compressed_object_streams_count() {
        use std::io::Write;
        let object_stream = |objects: &str| {
            let mut zipped =
                flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            zipped.write_all(objects.as_bytes()).unwrap();
            let data = zipped.finish().unwrap();
            let mut pdf = format!(
                "5 0 obj\n<< /Type /ObjStm /N 4 /First 20 /Filter /FlateDecode /Length {} >>\nstream\n",
                data.len()
            )
            .into_bytes();
            pdf.extend_from_slice(&data);
            pdf.extend_from_slice(b"\nendstream\nendobj\n");
            pdf
        };
        let mut pdf = b"%PDF-1.7\n".to_vec();
        pdf.extend(object_stream(
            "1 0 2 40 3 80 4 120 << /Type /Pages /Kids [2 0 R 3 0 R 4 0 R] /Count 3 >> \
             << /Type /Page /Parent 1 0 R >> <</Type/Page/Parent 1 0 R>> << /Type /Page >>",
        ));
        assert_eq!(page_count(Some(FileType::Pdf), &pdf), 3);
        // A page written plainly beside them (an incremental update) counts too.
        pdf.extend_from_slice(b"6 0 obj << /Type /Page /Parent 1 0 R >> endobj\n");
        assert_eq!(page_count(Some(FileType::Pdf), &pdf), 4);
        // Not compressed: counted once, from the file as written.
        let plain = b"%PDF-1.7\n5 0 obj << /Type /ObjStm /N 1 /First 4 >>\nstream\n\
            2 0 << /Type /Page >>\nendstream\nendobj\n";
        assert_eq!(page_count(Some(FileType::Pdf), plain), 1);
        // Thousands of pages in object streams stop at the bound.
        let many = "<< /Type /Page >> ".repeat(MAX_PAGES as usize + 10);
        assert_eq!(
            page_count(Some(FileType::Pdf), &object_stream(&many)),
            MAX_PAGES
        );
    }
}
