//! Page counting, type detection and a PDF's text on any bytes: never a
//! panic, a count from 1 to `MAX_PAGES` whatever the file claims (a 49 MiB
//! file of `/Type /Page` once claimed 4,670,929), and at most `MAX_TEXT`
//! bytes of text however much its streams inflate to.
#![no_main]

use extend_mock::domain::pdf_text::pdf_text;
use extend_mock::domain::{FileType, MAX_PAGES, MAX_TEXT, detect_type, page_count};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = detect_type("fuzz", data);
    let _ = detect_type("fuzz.pdf", data);
    let pages = page_count(Some(FileType::Pdf), data);
    assert!((1..=MAX_PAGES).contains(&pages), "{pages} pages");
    if let Some(text) = pdf_text(data) {
        assert!(text.len() <= MAX_TEXT, "{} bytes of text", text.len());
    }
});
