//! A PDF's own text, where it can be read without a rendering engine: the
//! strings its page content streams show (`Tj`, `TJ`, `'`, `"`), from plain
//! or Flate-compressed streams, in the order the file holds them, a line
//! per text line (`Td`, `TD`, `T*`, `ET`). Strings in fonts with their own
//! encodings (hex glyph ids of CID fonts) say nothing readable and are left
//! out: such a PDF has no text here, as if it were a scan.
//!
//! Any bytes are read safely and cheaply: the text stops at `MAX_TEXT`
//! bytes, inflating stops at `MAX_INFLATED` bytes in all (a zip bomb costs
//! no more), and nothing recurses.
//!
//! The same walk of the file's streams hands `file::page_count` the
//! inflated object streams, where a PDF 1.5+ writer keeps its page objects.

use std::io::Read;

use memchr::memmem;

use super::MAX_TEXT;

/// The most bytes inflated from one file's streams, in all.
pub const MAX_INFLATED: usize = 8 * 1024 * 1024;

/// How far before `stream` its dictionary is looked for.
const DICTIONARY_REACH: usize = 2048;

/// The most streams looked at in one file: a file of a million empty
/// streams costs no more than a few thousand.
pub const MAX_STREAMS: usize = 4096;

/// A stream of the file: the dictionary before it (from its `obj`) and its
/// bytes as written.
struct Stream<'a> {
    dictionary: &'a [u8],
    data: &'a [u8],
}

impl Stream<'_> {
    fn has(&self, word: &[u8]) -> bool {
        memmem::find(self.dictionary, word).is_some()
    }
}

/// The file's streams in the order it holds them, at most `MAX_STREAMS`.
fn streams(content: &[u8]) -> impl Iterator<Item = Stream<'_>> {
    let mut at = 0;
    let mut count = 0;
    // Where the last stream ended: a dictionary is looked for after it.
    let mut previous_end = 0;
    std::iter::from_fn(move || {
        while count < MAX_STREAMS {
            let found = memmem::find(&content[at..], b"stream")?;
            let keyword = at + found;
            at = keyword + b"stream".len();
            // `endstream` ends a stream; it does not start one.
            if keyword >= 3 && &content[keyword - 3..keyword] == b"end" {
                continue;
            }
            let mut start = at;
            if content.get(start) == Some(&b'\r') {
                start += 1;
            }
            if content.get(start) != Some(&b'\n') {
                continue;
            }
            start += 1;
            let length = memmem::find(&content[start..], b"endstream")?;
            count += 1;
            let data = &content[start..start + length];
            at = start + length;
            let from = keyword.saturating_sub(DICTIONARY_REACH).max(previous_end);
            previous_end = at;
            let dictionary = &content[from..keyword];
            let dictionary = match memmem::rfind(dictionary, b"obj") {
                Some(obj) => &dictionary[obj..],
                None => dictionary,
            };
            return Some(Stream { dictionary, data });
        }
        None
    })
}

/// A Flate stream's bytes, at most `budget` of them (taken from it); `None`
/// when nothing inflates.
fn inflate(data: &[u8], budget: &mut usize) -> Option<Vec<u8>> {
    let mut inflated = Vec::new();
    let read = flate2::read::ZlibDecoder::new(data)
        .take(*budget as u64)
        .read_to_end(&mut inflated);
    *budget -= inflated.len();
    (read.is_ok() || !inflated.is_empty()).then_some(inflated)
}

/// The file's text, if any stream shows some.
pub fn pdf_text(content: &[u8]) -> Option<String> {
    let mut out = String::new();
    let mut budget = MAX_INFLATED;
    for stream in streams(content) {
        if out.len() >= MAX_TEXT {
            break;
        }
        // Images, fonts and metadata show no page text.
        if stream.has(b"/Image")
            || stream.has(b"/Length1")
            || stream.has(b"/Metadata")
            || stream.has(b"/XRef")
        {
            continue;
        }
        if stream.has(b"/FlateDecode") {
            if budget == 0 {
                break;
            }
            if let Some(inflated) = inflate(stream.data, &mut budget) {
                shown_text(&inflated, &mut out);
            }
        } else if !stream.has(b"/Filter") {
            shown_text(stream.data, &mut out);
        }
    }
    let text = out.trim();
    text.chars()
        .any(char::is_alphanumeric)
        .then(|| clip(text).to_owned())
}

/// The bytes of the file's compressed object streams (`/Type /ObjStm`,
/// Flate), where a PDF written with them (pdf-lib's default, most PDF 1.5+
/// writers) keeps its page objects, each handed to `read` in turn until it
/// answers false. Inflating stops at `MAX_INFLATED` bytes in all.
pub fn object_streams(content: &[u8], mut read: impl FnMut(&[u8]) -> bool) {
    if memmem::find(content, b"/ObjStm").is_none() {
        return;
    }
    let mut budget = MAX_INFLATED;
    for stream in streams(content) {
        if budget == 0 {
            break;
        }
        if !stream.has(b"/ObjStm") || !stream.has(b"/FlateDecode") {
            continue;
        }
        if let Some(inflated) = inflate(stream.data, &mut budget)
            && !read(&inflated)
        {
            break;
        }
    }
}

fn clip(text: &str) -> &str {
    let mut end = text.len().min(MAX_TEXT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Appends what a content stream shows.
fn shown_text(stream: &[u8], out: &mut String) {
    let mut i = 0;
    // Strings read since the last operator, and whether an array holds them.
    let mut pending: Vec<u8> = Vec::new();
    let mut line_has_text = !(out.is_empty() || out.ends_with('\n'));
    while i < stream.len() && out.len() < MAX_TEXT {
        let byte = stream[i];
        match byte {
            b'(' => {
                let (string, next) = literal(stream, i + 1);
                pending.extend_from_slice(&string);
                i = next;
            }
            b'<' if stream.get(i + 1) != Some(&b'<') => {
                // A hex string: glyph ids, most likely. Skipped.
                i = memchr::memchr(b'>', &stream[i..]).map_or(stream.len(), |end| i + end + 1);
            }
            b'%' => {
                i = memchr::memchr(b'\n', &stream[i..]).map_or(stream.len(), |end| i + end + 1);
            }
            b'[' | b']' => i += 1,
            b'-' | b'0'..=b'9' | b'.' => {
                // A number: in a `TJ` array, a wide gap is a space.
                let end = stream[i..]
                    .iter()
                    .position(|b| !matches!(b, b'-' | b'0'..=b'9' | b'.'))
                    .map_or(stream.len(), |n| i + n);
                if let Ok(n) = std::str::from_utf8(&stream[i..end])
                    .unwrap_or("")
                    .parse::<f64>()
                    && n < -200.0
                    && !pending.is_empty()
                {
                    pending.push(b' ');
                }
                i = end.max(i + 1);
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'\'' | b'"' | b'*' => {
                let end = stream[i..]
                    .iter()
                    .position(|b| !(b.is_ascii_alphabetic() || matches!(b, b'*' | b'\'' | b'"')))
                    .map_or(stream.len(), |n| i + n);
                let operator = &stream[i..end];
                match operator {
                    b"Tj" | b"TJ" | b"'" | b"\"" => {
                        if matches!(operator, b"'" | b"\"") && line_has_text {
                            out.push('\n');
                        }
                        // PDFDocEncoding is Latin-1 where text is.
                        out.extend(
                            pending
                                .iter()
                                .map(|&b| b as char)
                                .filter(|c| !c.is_control() || *c == '\n' || *c == '\t'),
                        );
                        line_has_text = line_has_text || !pending.is_empty();
                    }
                    b"Td" | b"TD" | b"T*" | b"ET" if line_has_text => {
                        out.push('\n');
                        line_has_text = false;
                    }
                    _ => {}
                }
                pending.clear();
                i = end.max(i + 1);
            }
            _ => i += 1,
        }
    }
    if line_has_text {
        out.push('\n');
    }
}

/// A literal string's bytes from after its `(`, escapes read, nested
/// parentheses kept; and where it ends.
fn literal(stream: &[u8], mut i: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut depth = 0usize;
    while i < stream.len() {
        let byte = stream[i];
        i += 1;
        match byte {
            b'\\' => {
                let Some(&next) = stream.get(i) else { break };
                i += 1;
                match next {
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'b' | b'f' => {}
                    b'0'..=b'7' => {
                        let mut value = u32::from(next - b'0');
                        for _ in 0..2 {
                            match stream.get(i) {
                                Some(&d @ b'0'..=b'7') => {
                                    value = value * 8 + u32::from(d - b'0');
                                    i += 1;
                                }
                                _ => break,
                            }
                        }
                        out.push((value & 0xff) as u8);
                    }
                    b'\r' | b'\n' => {}
                    other => out.push(other),
                }
            }
            b'(' => {
                depth += 1;
                out.push(byte);
            }
            b')' if depth == 0 => return (out, i),
            b')' => {
                depth -= 1;
                out.push(byte);
            }
            _ => out.push(byte),
        }
    }
    (out, i)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn pdf(streams: &[(&str, &[u8])]) -> Vec<u8> {
        let mut pdf = b"%PDF-1.4\n".to_vec();
        for (n, (dictionary, data)) in streams.iter().enumerate() {
            pdf.extend_from_slice(
                format!(
                    "{} 0 obj << {dictionary} /Length {} >>\nstream\n",
                    n + 1,
                    data.len()
                )
                .as_bytes(),
            );
            pdf.extend_from_slice(data);
            pdf.extend_from_slice(b"\nendstream\nendobj\n");
        }
        pdf.extend_from_slice(b"%%EOF\n");
        pdf
    }

    #[test]
    fn shown_strings_plain_and_compressed_in_order() {
        let page1: &[u8] = b"BT /F1 12 Tf 72 720 Td (Invoice #12345) Tj 0 -14 Td \
            [(Total: ) -50 ($1,234.56)] TJ ET";
        let mut zipped =
            flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zipped
            .write_all(b"BT (Page two \\(of two\\)) Tj T* (Thank you.) Tj ET")
            .unwrap();
        let page2 = zipped.finish().unwrap();
        let file = pdf(&[("", page1), ("/Filter /FlateDecode", &page2)]);
        assert_eq!(
            pdf_text(&file).as_deref(),
            Some("Invoice #12345\nTotal: $1,234.56\nPage two (of two)\nThank you.")
        );
    }

    #[test]
    fn images_hex_glyphs_and_garbage_give_no_text() {
        let image = pdf(&[("/Subtype /Image", b"(not text) Tj")]);
        assert_eq!(pdf_text(&image), None);
        let glyphs = pdf(&[("", b"BT <00410042> Tj ET")]);
        assert_eq!(pdf_text(&glyphs), None);
        let broken = pdf(&[("/Filter /FlateDecode", b"not zlib at all")]);
        assert_eq!(pdf_text(&broken), None);
        assert_eq!(pdf_text(b"stream\n(unterminated"), None);
        assert_eq!(pdf_text(b""), None);
    }

    #[test]
    fn a_bomb_inflates_no_further_than_its_budget() {
        let mut zipped = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..64 {
            zipped.write_all(&chunk).unwrap();
        }
        zipped.write_all(b"(late) Tj").unwrap();
        let bomb = zipped.finish().unwrap();
        let file = pdf(&[("/Filter /FlateDecode", &bomb)]);
        assert_eq!(
            pdf_text(&file),
            None,
            "64 MiB of spaces: read 8 MiB, no text"
        );
    }

    #[test]
    fn a_million_streams_are_not_all_read() {
        let mut file = b"%PDF-1.4\n".to_vec();
        for _ in 0..20_000 {
            file.extend_from_slice(b"1 0 obj << /Filter /FlateDecode >>\nstream\nx\nendstream\n");
        }
        // A stream past the bound shows text that is never reached.
        file.extend_from_slice(b"2 0 obj << >>\nstream\nBT (late) Tj ET\nendstream\n");
        assert_eq!(pdf_text(&file), None);
        // A dictionary is its own stream's: a plain stream after a Flate one reads.
        let two = pdf(&[("/Filter /FlateDecode", b"junk"), ("", b"BT (plain) Tj ET")]);
        assert_eq!(pdf_text(&two).as_deref(), Some("plain"));
    }

    #[test]
    fn the_text_stops_at_its_bound() {
        let long = format!("BT ({}) Tj ET", "a".repeat(MAX_TEXT * 2));
        let file = pdf(&[("", long.as_bytes())]);
        assert_eq!(pdf_text(&file).unwrap().len(), MAX_TEXT);
    }
}
