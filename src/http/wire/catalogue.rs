//! The list items of the catalogue, written straight into the page's buffer
//! as the runs' summaries are: a processor of `GET /processors` and a file
//! of `GET /files` (also the body of an upload).

use super::json::{write_str, write_timestamp, write_u64};
use crate::domain::{Processor, StoredFile};

/// A list's page: `head` (the body up to the array's `[`), each item, and
/// after the array the next page's token when there is one.
pub fn write_page<T>(
    head: &[u8],
    items: &[T],
    write_item: impl Fn(&mut Vec<u8>, &T),
    next_page_token: Option<String>,
) -> Vec<u8> {
    let mut buf = Vec::with_capacity(256 * items.len() + 256);
    buf.extend_from_slice(head);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        write_item(&mut buf, item);
    }
    buf.push(b']');
    if let Some(token) = next_page_token {
        buf.extend_from_slice(b",\"nextPageToken\":");
        write_str(&mut buf, &token);
    }
    buf.push(b'}');
    buf
}

/// `LegacyListProcessorsProcessor`; versions the draft first, then the
/// published ones newest first (the catalogue keeps them oldest first).
pub fn write_processor_item(buf: &mut Vec<u8>, p: &Processor) {
    buf.extend_from_slice(b"{\"object\":\"document_processor\",\"id\":");
    write_str(buf, &p.id);
    buf.extend_from_slice(b",\"name\":");
    write_str(buf, &p.name);
    buf.extend_from_slice(b",\"type\":");
    write_str(buf, p.processor_type.as_str());
    buf.extend_from_slice(b",\"versions\":[");
    for (i, v) in std::iter::once(&p.draft_version)
        .chain(p.versions.iter().rev())
        .enumerate()
    {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(b"{\"id\":");
        write_str(buf, &v.id);
        buf.extend_from_slice(b",\"version\":");
        write_str(buf, &v.version);
        buf.push(b'}');
    }
    buf.extend_from_slice(b"],\"createdAt\":");
    write_timestamp(buf, p.created_at.unix_nanos());
    buf.extend_from_slice(b",\"updatedAt\":");
    write_timestamp(buf, p.updated_at.unix_nanos());
    buf.push(b'}');
}

/// `FileSummary`'s fields, without the closing brace, so `GET /files/{id}`
/// can add its link and contents.
pub fn write_file_fields(buf: &mut Vec<u8>, f: &StoredFile) {
    buf.extend_from_slice(b"{\"object\":\"file\",\"id\":");
    write_str(buf, &f.id);
    buf.extend_from_slice(b",\"name\":");
    write_str(buf, &f.name);
    if let Some(kind) = f.file_type {
        buf.extend_from_slice(b",\"type\":");
        write_str(buf, kind.as_str());
    }
    buf.extend_from_slice(b",\"metadata\":{\"pageCount\":");
    write_u64(buf, u64::from(f.page_count));
    buf.extend_from_slice(b"},\"createdAt\":");
    write_timestamp(buf, f.created_at.unix_nanos());
    buf.extend_from_slice(b",\"updatedAt\":");
    write_timestamp(buf, f.updated_at.unix_nanos());
}

pub fn write_file_summary(buf: &mut Vec<u8>, f: &StoredFile) {
    write_file_fields(buf, f);
    buf.push(b'}');
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::{Value, json};

    use super::*;
    use crate::domain::{FileType, ProcessorType, ProcessorVersion, Timestamp};

    fn at(raw: &str) -> Timestamp {
        Timestamp::parse(raw).unwrap()
    }

    #[test]
    fn a_processor_item_is_the_json_the_sdk_reads() {
        let version = |id: &str, number: &str| ProcessorVersion {
            id: id.into(),
            version: number.into(),
            description: None,
            config: Arc::new(Default::default()),
            created_at: at("2024-01-01T00:00:00Z"),
            updated_at: at("2024-01-01T00:00:00Z"),
        };
        let p = Processor {
            id: "ex_1".into(),
            workspace_id: "ws".into(),
            name: "Say \"hi\"".into(),
            processor_type: ProcessorType::Classify,
            created_at: at("2024-01-01T00:00:00Z"),
            updated_at: at("2024-01-02T03:04:05.120Z"),
            draft_version: version("exv_d", "draft"),
            versions: vec![version("exv_1", "1.0"), version("exv_2", "1.1")],
            inline: false,
        };
        let mut buf = Vec::new();
        write_processor_item(&mut buf, &p);
        let written: Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(
            written,
            json!({"object": "document_processor", "id": "ex_1", "name": "Say \"hi\"",
                   "type": "CLASSIFY", "versions": [{"id": "exv_d", "version": "draft"},
                   {"id": "exv_2", "version": "1.1"}, {"id": "exv_1", "version": "1.0"}],
                   "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-02T03:04:05.12Z"})
        );
    }

    #[test]
    fn a_file_summary_is_the_json_the_sdk_reads() {
        let mut f = StoredFile::new(
            "file_1".into(),
            "ws".into(),
            "a.pdf".into(),
            bytes::Bytes::from_static(b"%PDF-1.4"),
            at("2024-01-01T00:00:00Z"),
        );
        let mut buf = Vec::new();
        write_file_summary(&mut buf, &f);
        let written: Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(
            written,
            json!({"object": "file", "id": "file_1", "name": "a.pdf", "type": "PDF",
                   "metadata": {"pageCount": 1}, "createdAt": "2024-01-01T00:00:00Z",
                   "updatedAt": "2024-01-01T00:00:00Z"})
        );
        f.file_type = None;
        buf.clear();
        write_file_summary(&mut buf, &f);
        let written: Value = serde_json::from_slice(&buf).unwrap();
        assert!(written.get("type").is_none());
        assert_eq!(f.file_type, None::<FileType>);
    }
}
