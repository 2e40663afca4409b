//! The output maker of parse runs (`ParseRunOutput`): the document as
//! chunks of blocks, in reading order, each block with its markdown
//! `content`, its `details`, its page and where it sits on it.
//!
//! Where the run has the document's text (an uploaded text file), the blocks
//! are that text: a page per form feed, a block per paragraph, a short first
//! line a heading, `Key: value` lines a key-value block, `|`-separated lines
//! a table. Otherwise every page of the file is made up, deterministically
//! from the run's id: a title from the file's name on the first page, then
//! sections of plausible business prose, key-value lines and a table. The
//! chunks are one per page, one for the whole document, or one per section,
//! as `config.chunkingStrategy.type` asks.

use rand::RngExt;
use rand::rngs::ChaCha8Rng;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::rng_for;
use crate::domain::JsonObject;

/// A US Letter page, in points: where blocks are placed.
const PAGE_WIDTH: f64 = 612.0;
const PAGE_HEIGHT: f64 = 792.0;
const MARGIN: f64 = 54.0;

/// The pages a text has: one more than its form feeds, at most `MAX_PAGES`.
pub fn text_pages(text: &str) -> u32 {
    let feeds = memchr::memchr_iter(0x0c, text.as_bytes()).count();
    u32::try_from(feeds + 1)
        .unwrap_or(u32::MAX)
        .min(crate::domain::MAX_PAGES)
}

/// What a parse run reads to make its output.
pub struct ParseInput<'a> {
    pub run_id: &'a str,
    pub file_name: &'a str,
    pub page_count: u32,
    pub text: Option<&'a str>,
    pub config: &'a JsonObject,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Heading,
    SectionHeading,
    Text,
    KeyValue,
    Table { rows: usize, columns: usize },
}

struct Block {
    kind: Kind,
    /// The block's markdown.
    content: String,
    page: u32,
}

/// `{chunks}` for the run, as its config's chunking asks.
pub fn parse_output(input: &ParseInput<'_>) -> JsonObject {
    let mut rng = rng_for(input.run_id);
    let blocks = match input.text.filter(|t| !t.trim().is_empty()) {
        Some(text) => blocks_of_text(text),
        None => made_up_blocks(input.file_name, input.page_count.max(1), &mut rng),
    };
    let strategy = input
        .config
        .get("chunkingStrategy")
        .and_then(|c| c.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("page");
    // Blocks grouped into chunks, in order.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        let starts = match (strategy, groups.last()) {
            (_, None) => true,
            ("document", Some(_)) => false,
            ("section", Some(_)) => matches!(block.kind, Kind::Heading | Kind::SectionHeading),
            (_, Some(last)) => blocks[last[0]].page != block.page,
        };
        if starts {
            groups.push(Vec::new());
        }
        groups.last_mut().expect("pushed above").push(i);
    }
    let chunk_type = match strategy {
        "document" | "section" => strategy,
        _ => "page",
    };
    let last_page = blocks.iter().map(|b| b.page).max().unwrap_or(1);
    let mut tops = vec![MARGIN; last_page as usize + 1];
    let chunks: Vec<Value> = groups
        .iter()
        .map(|group| {
            let first = blocks[group[0]].page;
            let last = blocks[*group.last().expect("never empty")].page;
            let content: Vec<&str> = group.iter().map(|&i| blocks[i].content.as_str()).collect();
            let written: Vec<Value> = group
                .iter()
                .map(|&i| block_json(input.run_id, i, &blocks[i], &mut tops))
                .collect();
            json!({
                "object": "chunk",
                "type": chunk_type,
                "content": content.join("\n\n"),
                "metadata": {"pageRange": {"start": first, "end": last}},
                "blocks": written,
            })
        })
        .collect();
    let mut output = Map::new();
    output.insert("chunks".into(), Value::Array(chunks));
    output
}

/// A block as the SDKs' `Block`: placed below the page's last one.
fn block_json(run_id: &str, index: usize, block: &Block, tops: &mut [f64]) -> Value {
    let (kind, details) = match block.kind {
        Kind::Heading => ("heading", json!({"type": "text_details"})),
        Kind::SectionHeading => ("section_heading", json!({"type": "text_details"})),
        Kind::Text => ("text", json!({"type": "text_details"})),
        Kind::KeyValue => ("key_value", json!({"type": "key_value_details"})),
        Kind::Table { rows, columns } => (
            "table",
            json!({"type": "table_details", "rowCount": rows, "columnCount": columns}),
        ),
    };
    let lines = block.content.lines().count().max(1) as f64;
    let height = match block.kind {
        Kind::Heading => 28.0,
        Kind::SectionHeading => 20.0,
        _ => (14.0 * lines).min(PAGE_HEIGHT - 2.0 * MARGIN),
    };
    let slot = &mut tops[block.page as usize];
    if *slot + height > PAGE_HEIGHT - MARGIN {
        *slot = MARGIN;
    }
    let (left, top, right, bottom) = (MARGIN, *slot, PAGE_WIDTH - MARGIN, *slot + height);
    *slot = bottom + 10.0;
    let digest = Sha256::digest(format!("{run_id}\0{index}\0{}", block.content).as_bytes());
    let id: String = digest[..10].iter().map(|b| format!("{b:02x}")).collect();
    json!({
        "object": "block",
        "id": format!("blk_{id}"),
        "type": kind,
        "content": block.content,
        "details": details,
        "metadata": {"page": {"number": block.page, "width": PAGE_WIDTH, "height": PAGE_HEIGHT}},
        "polygon": [
            {"x": left, "y": top}, {"x": right, "y": top},
            {"x": right, "y": bottom}, {"x": left, "y": bottom},
        ],
        "boundingBox": {"left": left, "top": top, "right": right, "bottom": bottom},
    })
}

/// The text's own blocks: pages split at form feeds, blocks at blank lines.
fn blocks_of_text(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut headed = false;
    let last = text_pages(text) as usize;
    for (p, page) in text.split('\u{c}').take(last).enumerate() {
        let page_number = p as u32 + 1;
        for paragraph in page.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
            let lines: Vec<&str> = paragraph.lines().map(str::trim).collect();
            let kind = if lines.len() >= 2 && lines.iter().all(|l| l.contains('|')) {
                let columns = lines
                    .iter()
                    .map(|l| l.trim_matches('|').split('|').count())
                    .max()
                    .unwrap_or(1);
                let rows = lines.iter().filter(|l| !is_rule(l)).count();
                Kind::Table { rows, columns }
            } else if lines.iter().all(|l| is_key_value(l)) {
                Kind::KeyValue
            } else if lines.len() == 1 && lines[0].len() <= 80 && !lines[0].ends_with('.') {
                if headed {
                    Kind::SectionHeading
                } else {
                    headed = true;
                    Kind::Heading
                }
            } else {
                Kind::Text
            };
            let content = match kind {
                Kind::Heading => format!("# {}", lines[0].trim_start_matches('#').trim()),
                Kind::SectionHeading => format!("## {}", lines[0].trim_start_matches('#').trim()),
                _ => lines.join("\n"),
            };
            blocks.push(Block {
                kind,
                content,
                page: page_number,
            });
        }
    }
    if blocks.is_empty() {
        blocks.push(Block {
            kind: Kind::Text,
            content: String::new(),
            page: 1,
        });
    }
    blocks
}

/// `|---|---|`: a markdown table's rule line.
fn is_rule(line: &str) -> bool {
    line.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
}

/// `Total: $1,234.56`: a short label, a colon, a value.
fn is_key_value(line: &str) -> bool {
    match line.split_once(':') {
        Some((key, value)) => {
            let key = key.trim();
            !key.is_empty() && key.len() <= 40 && !value.trim().is_empty()
        }
        None => false,
    }
}

const SECTIONS: &[&str] = &[
    "Summary",
    "Terms and Conditions",
    "Payment Details",
    "Account Activity",
    "Notes",
    "Schedule of Charges",
    "Contact Information",
    "Remittance",
];

const SENTENCES: &[&str] = &[
    "Payment is due within thirty days of the date shown above.",
    "Please reference the document number on all correspondence.",
    "The amounts below are stated in US dollars unless noted otherwise.",
    "Late payments may be subject to a service charge of 1.5% per month.",
    "This statement reflects all activity recorded through the closing date.",
    "Questions about this document should be directed to the contact listed below.",
    "Items marked with an asterisk were adjusted after the previous period.",
    "All services were rendered in accordance with the signed agreement.",
];

const LABELS: &[&str] = &[
    "Document number",
    "Date",
    "Account",
    "Prepared by",
    "Reference",
    "Due date",
];

/// A title from a file name: `Invoice_2024-03.pdf` is `Invoice 2024 03`.
fn title(file_name: &str) -> String {
    let stem = file_name
        .rsplit_once('.')
        .map_or(file_name, |(stem, _)| stem);
    let words: Vec<&str> = stem
        .split(|c: char| c == '_' || c == '-' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        "Document".into()
    } else {
        words.join(" ")
    }
}

fn made_up_blocks(file_name: &str, pages: u32, rng: &mut ChaCha8Rng) -> Vec<Block> {
    let mut blocks = Vec::new();
    let sentence = |rng: &mut ChaCha8Rng| SENTENCES[rng.random_range(0..SENTENCES.len())];
    for page in 1..=pages {
        if page == 1 {
            blocks.push(Block {
                kind: Kind::Heading,
                content: format!("# {}", title(file_name)),
                page,
            });
            let mut lines = Vec::new();
            for label in LABELS.iter().take(3) {
                let value = match *label {
                    "Date" => format!(
                        "2024-{:02}-{:02}",
                        rng.random_range(1..=12u32),
                        rng.random_range(1..=28u32)
                    ),
                    "Account" => format!("ACC-{}", rng.random_range(100_000..1_000_000u32)),
                    _ => format!("DOC-{}", rng.random_range(10_000..100_000u32)),
                };
                lines.push(format!("{label}: {value}"));
            }
            blocks.push(Block {
                kind: Kind::KeyValue,
                content: lines.join("\n"),
                page,
            });
            let rows = rng.random_range(2..=4usize);
            let mut table = vec![
                "| Description | Quantity | Amount |".to_owned(),
                "|---|---|---|".to_owned(),
            ];
            for row in 1..=rows {
                table.push(format!(
                    "| Item {row} | {} | ${}.{:02} |",
                    rng.random_range(1..=10u32),
                    rng.random_range(10..2_000u32),
                    rng.random_range(0..100u32)
                ));
            }
            blocks.push(Block {
                kind: Kind::Table {
                    rows: rows + 1,
                    columns: 3,
                },
                content: table.join("\n"),
                page,
            });
        } else {
            blocks.push(Block {
                kind: Kind::SectionHeading,
                content: format!("## {}", SECTIONS[rng.random_range(0..SECTIONS.len())]),
                page,
            });
        }
        let paragraphs = rng.random_range(1..=2u32);
        for _ in 0..paragraphs {
            let text = [sentence(rng), sentence(rng), sentence(rng)].join(" ");
            blocks.push(Block {
                kind: Kind::Text,
                content: text,
                page,
            });
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(strategy: &str) -> JsonObject {
        let mut config = JsonObject::new();
        config.insert("chunkingStrategy".into(), json!({"type": strategy}));
        config
    }

    fn chunks(input: &ParseInput<'_>) -> Vec<Value> {
        parse_output(input)["chunks"].as_array().unwrap().clone()
    }

    #[test]
    fn one_chunk_per_page_per_document_or_per_section() {
        let page = config("page");
        let input = |config| ParseInput {
            run_id: "pr_1",
            file_name: "Invoice_2024-03.pdf",
            page_count: 3,
            text: None,
            config,
        };
        let pages = chunks(&input(&page));
        assert_eq!(pages.len(), 3);
        for (i, chunk) in pages.iter().enumerate() {
            let n = i as u64 + 1;
            assert_eq!(
                chunk["metadata"]["pageRange"],
                json!({"start": n, "end": n})
            );
            assert_eq!(chunk["type"], "page");
            for block in chunk["blocks"].as_array().unwrap() {
                assert_eq!(block["metadata"]["page"]["number"], n);
                let b = &block["boundingBox"];
                assert!(b["top"].as_f64() < b["bottom"].as_f64());
                assert!(b["bottom"].as_f64().unwrap() <= PAGE_HEIGHT);
            }
        }
        assert_eq!(pages[0]["blocks"][0]["content"], "# Invoice 2024 03");
        assert_eq!(pages[0]["blocks"][2]["details"]["type"], "table_details");
        let document = config("document");
        let whole = chunks(&input(&document));
        assert_eq!(whole.len(), 1);
        assert_eq!(
            whole[0]["metadata"]["pageRange"],
            json!({"start": 1, "end": 3})
        );
        let section = config("section");
        let sections = chunks(&input(&section));
        assert_eq!(sections.len(), 3, "a heading on each page starts a section");
        // The same run, the same output.
        assert_eq!(chunks(&input(&page)), pages);
    }

    #[test]
    fn a_text_is_parsed_into_its_own_blocks() {
        let text = "Invoice\n\nInvoice number: 12345\nTotal: $1,234.56\n\n\
                    | Item | Amount |\n|---|---|\n| Paper | $10 |\n\n\
                    Thank you for your business.\u{c}Terms\n\nPay within 30 days.";
        let config = config("page");
        let pages = chunks(&ParseInput {
            run_id: "pr_2",
            file_name: "invoice.txt",
            page_count: 1,
            text: Some(text),
            config: &config,
        });
        assert_eq!(pages.len(), 2);
        let kinds: Vec<&str> = pages[0]["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["type"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["heading", "key_value", "table", "text"]);
        assert_eq!(pages[0]["blocks"][2]["details"]["rowCount"], 2);
        assert_eq!(pages[0]["blocks"][2]["details"]["columnCount"], 2);
        assert!(
            pages[0]["content"]
                .as_str()
                .unwrap()
                .starts_with("# Invoice\n\nInvoice number: 12345")
        );
        assert_eq!(pages[1]["blocks"][0]["content"], "## Terms");
        // A form feed's page is laid out from its own top.
        assert_eq!(pages[1]["blocks"][0]["boundingBox"]["top"], MARGIN);
        assert_eq!(text_pages(text), 2);
        assert_eq!(pages[1]["metadata"]["pageRange"]["start"], 2);
    }
}
