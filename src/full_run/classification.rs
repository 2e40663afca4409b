//! The output makers of classification and splitting, for both views of a
//! CLASSIFY or SPLITTER run: a classify run answers one of its config's
//! `classifications`, the one its document names where it names one; a split
//! run cuts its file's pages into consecutive documents, each typed from the
//! config's `splitClassifications`.
//!
//! "Names" is read loosely and predictably: a classification's `type` or `id`
//! appears at the start of a word of the file's name (`Invoice_2024.pdf` is
//! an `invoice`; `W2 2023.pdf` a `w-2`), else of the document's text where
//! the server has it (a `text` input, an uploaded text file). The
//! longest such name wins, so `bank_statement` beats `statement`. Everything
//! else is drawn from the run's stream: the same run gives the same output.

use rand::RngExt;
use rand::rngs::ChaCha8Rng;
use serde_json::{Map, Value, json};

use super::extraction::DocText;
use super::nano_id;
use crate::configs::MAX_CLASSIFICATIONS;
use crate::domain::JsonObject;

/// A classification of a CLASSIFY or SPLITTER config.
struct Choice<'c> {
    id: &'c str,
    kind: &'c str,
    /// SPLITTER only: the key a split's `identifier` is read under.
    identifier_key: Option<&'c str>,
}

/// The classifications a config lists under `key` (entries without an `id`
/// and a `type` are skipped: a fixture's config was never checked).
fn choices<'c>(config: &'c JsonObject, key: &str) -> Vec<Choice<'c>> {
    config
        .get(key)
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .take(MAX_CLASSIFICATIONS)
                .filter_map(|c| {
                    Some(Choice {
                        id: c.get("id")?.as_str()?,
                        kind: c.get("type")?.as_str()?,
                        identifier_key: c
                            .get("identifierKey")
                            .and_then(Value::as_str)
                            .filter(|k| !k.trim().is_empty()),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Lower case, every run of other characters one `_`: `W-2 2023.pdf` is
/// `w_2_2023_pdf`.
fn words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out
}

/// Whether `name` (already `words`) starts a word of `haystack`, written
/// with its separators (`w_2`) or without (`w2`).
fn names(haystack: &str, name: &str) -> bool {
    let compact: String = name.chars().filter(|c| *c != '_').collect();
    [name.trim_matches('_'), compact.as_str()]
        .into_iter()
        .filter(|n| !n.is_empty())
        .any(|n| {
            haystack
                .match_indices(n)
                .any(|(at, _)| at == 0 || haystack.as_bytes()[at - 1] == b'_')
        })
}

/// The choice whose `type` or `id` `haystack` names, the longest name first.
fn named<'a, 'c>(choices: &'a [Choice<'c>], haystack: &str) -> Option<&'a Choice<'c>> {
    choices
        .iter()
        .flat_map(|c| [(c, words(c.kind)), (c, words(c.id))])
        .filter(|(_, name)| names(haystack, name))
        .max_by_key(|(_, name)| name.len())
        .map(|(c, _)| c)
}

/// `{id, type, confidence, insights}`: the classification the file's name
/// names, else the one its text names, else one drawn; surer of the first
/// than of the last, and the insight says which it was.
pub fn classification(
    config: &JsonObject,
    file_name: &str,
    text: Option<&str>,
    rng: &mut ChaCha8Rng,
) -> JsonObject {
    let choices = choices(config, "classifications");
    let drawn = rng.random_range(0..choices.len().max(1));
    let sureness = f64::from(rng.random_range(0..=1000u32)) / 1000.0;
    let by_name = named(&choices, &words(file_name));
    // A run keeps at most `MAX_TEXT` (16 KiB) of its text: all of it is read.
    let by_text = || named(&choices, &words(text?));
    let (choice, low, high, why) = match (by_name, by_name.is_none().then(by_text).flatten()) {
        (Some(c), _) => (Some(c), 0.95, 0.995, Reason::Name),
        (None, Some(c)) => (Some(c), 0.88, 0.97, Reason::Text),
        (None, None) => (choices.get(drawn), 0.55, 0.85, Reason::Drawn),
    };
    let (id, kind) = choice.map_or(("other", "other"), |c| (c.id, c.kind));
    let confidence = ((low + (high - low) * sureness) * 1000.0).round() / 1000.0;
    let content = match why {
        Reason::Name => format!("The file name `{file_name}` names the `{kind}` classification."),
        Reason::Text => format!("The document's text names the `{kind}` classification."),
        Reason::Drawn => format!(
            "Nothing in `{file_name}` names a classification; its layout and wording fit \
             `{kind}` best."
        ),
    };
    let mut output = Map::new();
    output.insert("id".into(), json!(id));
    output.insert("type".into(), json!(kind));
    output.insert("confidence".into(), json!(confidence));
    output.insert(
        "insights".into(),
        json!([{ "type": "reasoning", "content": content }]),
    );
    output
}

enum Reason {
    Name,
    Text,
    Drawn,
}

/// The most documents one split run finds.
const MOST_SPLITS: u32 = 4;

/// `{splits}`: consecutive page ranges that cover the file's `pages`, in
/// order, each typed from the config's `splitClassifications`, with an
/// `identifier` where the classification has an `identifierKey` (read from
/// the text after that key where the text has it, made up otherwise; `""`
/// where it has none).
pub fn splits(
    config: &JsonObject,
    pages: u32,
    file_id: &str,
    text: Option<&str>,
    rng: &mut ChaCha8Rng,
) -> JsonObject {
    let choices = choices(config, "splitClassifications");
    let pages = pages.max(1);
    let parts = rng.random_range(1..=pages.min(MOST_SPLITS));
    // Cut points: `parts - 1` distinct pages after which a new document starts.
    let mut cuts: Vec<u32> = Vec::new();
    while (cuts.len() as u32) < parts - 1 {
        let cut = rng.random_range(1..pages);
        if !cuts.contains(&cut) {
            cuts.push(cut);
        }
    }
    cuts.sort_unstable();
    cuts.push(pages);
    let document = text.map(DocText::new);
    let mut start = 1;
    let mut splits = Vec::with_capacity(cuts.len());
    for end in cuts {
        let choice = choices.get(rng.random_range(0..choices.len().max(1)));
        let (id, kind) = choice.map_or(("other", "other"), |c| (c.id, c.kind));
        let number = rng.random_range(10_000..100_000u32);
        // The SDKs declare `identifier` a string, always there: empty when
        // the classification names no key to read it under.
        let identifier = match choice.and_then(|c| c.identifier_key) {
            Some(key) => {
                let label = label(key);
                document
                    .as_ref()
                    .and_then(|d| {
                        d.first_word_after(&label)
                            .or_else(|| d.first_word_after(key))
                    })
                    .unwrap_or_else(|| format!("{}-{number}", initials(&label)))
            }
            None => String::new(),
        };
        let observation = match start == end {
            true => format!("Page {start} reads as one {kind}."),
            false => format!("Pages {start} to {end} read as one {kind}."),
        };
        splits.push(json!({
            "type": kind,
            "observation": observation,
            "identifier": identifier,
            "startPage": start,
            "endPage": end,
            "name": kind,
            "classificationId": id,
            "id": nano_id(rng, "splt_"),
            "fileId": file_id,
        }));
        start = end + 1;
    }
    let mut output = Map::new();
    output.insert("splits".into(), Value::Array(splits));
    output
}

/// What an `identifierKey` names: the key itself (`loan_number`), or the
/// thing a rule asks for (`Extract the invoice number from the header` is
/// `invoice number`), as the SDKs document the key.
fn label(key: &str) -> String {
    let lower = key.trim().to_lowercase();
    let Some(rest) = lower.strip_prefix("extract ") else {
        return lower;
    };
    let rest = ["the ", "an ", "a ", "its ", "each "]
        .iter()
        .find_map(|article| rest.strip_prefix(article))
        .unwrap_or(rest);
    let end = [" from ", " in ", " on ", " at ", " for ", " of the "]
        .iter()
        .filter_map(|word| rest.find(word))
        .min()
        .unwrap_or(rest.len());
    let label = rest[..end].trim_end_matches(['.', ' ']);
    if label.is_empty() {
        lower
    } else {
        label.to_owned()
    }
}

/// `loan_number` → `LN`: a made-up identifier's head.
fn initials(key: &str) -> String {
    let head: String = words(key)
        .split('_')
        .filter_map(|w| w.chars().next())
        .flat_map(char::to_uppercase)
        .take(4)
        .collect();
    if head.is_empty() { "ID".into() } else { head }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn config(key: &str, kinds: &[(&str, &str)]) -> JsonObject {
        let list: Vec<Value> = kinds
            .iter()
            .map(|(id, kind)| json!({"id": id, "type": kind, "description": ""}))
            .collect();
        let mut config = JsonObject::new();
        config.insert(key.into(), Value::Array(list));
        config
    }

    #[test]
    fn a_name_or_text_that_names_a_classification_gets_it() {
        let config = config(
            "classifications",
            &[
                ("inv", "invoice"),
                ("stmt", "statement"),
                ("bank", "bank_statement"),
                ("w2", "W-2"),
                ("other", "other"),
            ],
        );
        let made = |name: &str, text: Option<&str>| {
            let mut rng = ChaCha8Rng::seed_from_u64(7);
            classification(&config, name, text, &mut rng)
        };
        let chosen =
            |name: &str, text: Option<&str>| made(name, text)["type"].as_str().unwrap().to_owned();
        assert_eq!(chosen("Invoice_2024_03.pdf", None), "invoice");
        assert_eq!(chosen("March Bank Statement.pdf", None), "bank_statement");
        assert_eq!(chosen("W2 2023.pdf", None), "W-2");
        assert_eq!(chosen("w-2.pdf", None), "W-2");
        assert_eq!(
            chosen("scan.pdf", Some("INVOICE #12345\nTotal: $1")),
            "invoice"
        );
        // A word's start only: `mother` does not name `other`.
        let drawn = made("mother.pdf", None);
        let why = drawn["insights"][0]["content"].as_str().unwrap();
        assert!(why.starts_with("Nothing in `mother.pdf`"), "{why}");
        let confidence = drawn["confidence"].as_f64().unwrap();
        assert!((0.55..=0.85).contains(&confidence), "{confidence}");
        // The name is read before the text.
        assert_eq!(chosen("statement.pdf", Some("an invoice")), "statement");
    }

    #[test]
    fn splits_cover_every_page_in_order() {
        let mut config = config("splitClassifications", &[("a", "a"), ("b", "b")]);
        config["splitClassifications"][1]["identifierKey"] = json!("loan_number");
        for seed in 0..200 {
            for pages in [1, 2, 5, 30] {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                let text = Some("Loan Number: LN-77 for Ann\nother");
                let output = splits(&config, pages, "file_1", text, &mut rng);
                let splits = output["splits"].as_array().unwrap();
                let mut next = 1;
                for split in splits {
                    assert_eq!(split["startPage"], next);
                    let end = split["endPage"].as_u64().unwrap();
                    assert!(end >= next);
                    next = end + 1;
                    assert!(split["id"].as_str().unwrap().starts_with("splt_"));
                    assert_eq!(split["fileId"], "file_1");
                    match split["classificationId"].as_str().unwrap() {
                        "a" => assert_eq!(split["identifier"], ""),
                        _ => assert_eq!(split["identifier"], "LN-77"),
                    }
                }
                assert_eq!(next, u64::from(pages) + 1);
            }
        }
    }

    #[test]
    fn a_rule_for_an_identifier_names_what_it_reads() {
        assert_eq!(
            label("Extract the invoice number from the document header"),
            "invoice number"
        );
        assert_eq!(label("loan_number"), "loan_number");
        assert_eq!(label("Extract policy ID."), "policy id");
        assert_eq!(initials(&label("Extract the loan number")), "LN");
        let mut config = config("splitClassifications", &[("a", "a")]);
        config["splitClassifications"][0]["identifierKey"] =
            json!("Extract the invoice number from the header");
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let text = Some("ACME Corp\nInvoice Number: INV-9 dated today");
        let output = splits(&config, 1, "file_1", text, &mut rng);
        assert_eq!(output["splits"][0]["identifier"], "INV-9");
    }

    #[test]
    fn a_made_up_identifier_starts_with_the_keys_initials() {
        assert_eq!(initials("loan_number"), "LN");
        assert_eq!(initials("Policy ID"), "PI");
        assert_eq!(initials("__"), "ID");
    }
}
