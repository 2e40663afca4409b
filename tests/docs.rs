//! The user's guide must not drift from what runs: the examples the README
//! and docs/ quote are the files the SDK suites run, every flag's variable that
//! `--help` lists is in the configuration page, every relative link and
//! `#anchor` leads somewhere, and the README stays short enough to finish.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// The most lines README.md may have (issue #27: a README people finish).
const README_MAX_LINES: usize = 300;

/// Each example file the guide quotes whole, and the page that quotes it.
/// The test accepts the quote on any page (README.md or docs/*.md); the page
/// named here is where a reader looks for it.
const QUOTED: &[(&str, &str)] = &[
    ("examples/parse.sh", "README.md"),
    ("examples/python/parse_document.py", "README.md"),
    ("examples/typescript/parse-document.ts", "README.md"),
    ("examples/python/sandboxes/conftest.py", "docs/sandboxes.md"),
    ("examples/python/plugin/test_invoices.py", "README.md"),
    ("examples/extract.sh", "docs/extraction.md"),
    ("examples/python/extract_invoice.py", "docs/extraction.md"),
    (
        "examples/typescript/extract-invoice.ts",
        "docs/extraction.md",
    ),
    (
        "examples/classify-split.sh",
        "docs/classification-and-splitting.md",
    ),
    (
        "examples/python/classify_and_split.py",
        "docs/classification-and-splitting.md",
    ),
    (
        "examples/typescript/classify-and-split.ts",
        "docs/classification-and-splitting.md",
    ),
    ("examples/python/batch_invoices.py", "docs/batches.md"),
    ("examples/edit.sh", "docs/editing.md"),
    ("examples/python/fill_form.py", "docs/editing.md"),
    ("examples/typescript/fill-form.ts", "docs/editing.md"),
    ("examples/curl.sh", "docs/processor-runs.md"),
    ("examples/python/list_runs.py", "docs/processor-runs.md"),
    ("examples/typescript/list-runs.ts", "docs/processor-runs.md"),
    (
        "examples/python/test_failed_invoices.py",
        "docs/test-suites.md",
    ),
    (
        "examples/typescript/failed-invoices.test.ts",
        "docs/test-suites.md",
    ),
    (
        "examples/python/test_run_failure.py",
        "docs/markers-and-rules.md",
    ),
    (
        "examples/python/test_webhook_handler.py",
        "docs/webhooks.md",
    ),
    (
        "examples/python/test_workflow_webhook_handler.py",
        "docs/workflows.md",
    ),
    ("examples/docker/compose.yaml", "docs/docker.md"),
];

/// Where the flags table is: every `EXTEND_MOCK_*` variable is there.
const CONFIGURATION: &str = "docs/configuration.md";

/// The Markdown files whose links are checked, besides docs/*.md.
const LINKED: &[&str] = &["README.md", "CONTRIBUTING.md", "BENCHMARKS.md"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// docs/*.md, as paths from the repository's root, in name order.
fn docs_pages() -> Vec<String> {
    let mut pages: Vec<String> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .map(|entry| entry.expect("docs/ entry").file_name())
        .filter_map(|name| name.to_str().map(str::to_owned))
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    pages.sort();
    pages
}

/// README.md and every docs/*.md page, with their text.
fn guide() -> Vec<(String, String)> {
    std::iter::once("README.md".to_owned())
        .chain(docs_pages())
        .map(|page| {
            let text = read(&page);
            (page, text)
        })
        .collect()
}

fn markdown(text: &str) -> Parser<'_> {
    Parser::new_ext(text, Options::ENABLE_TABLES)
}

/// GitHub's anchor for a heading's text: lower-case; every character that
/// is not a letter, digit, space, hyphen or underscore dropped; each space a
/// hyphen.
fn slug(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown text's headings, as GitHub makes them: a slug
/// seen before gets `-1`, `-2`… in order.
fn anchors(text: &str) -> Vec<String> {
    let mut anchors = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut heading: Option<String> = None;
    for event in markdown(text) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                let base = slug(&heading.take().unwrap_or_default());
                let count = seen.entry(base.clone()).or_insert(0);
                anchors.push(match *count {
                    0 => base.clone(),
                    n => format!("{base}-{n}"),
                });
                *count += 1;
            }
            _ => {}
        }
    }
    anchors
}

/// Every link and image target in a Markdown text (code blocks and code
/// spans are not links), with the line it is on.
fn links(text: &str) -> Vec<(usize, String)> {
    markdown(text)
        .into_offset_iter()
        .filter_map(|(event, range)| match event {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                let line = text[..range.start].matches('\n').count() + 1;
                Some((line, dest_url.into_string()))
            }
            _ => None,
        })
        .collect()
}

/// A link to somewhere else than this repository: a scheme before any `/`.
fn is_external(target: &str) -> bool {
    match target.find(':') {
        Some(colon) => !target[..colon].contains(['/', '#']),
        None => false,
    }
}

/// `target` as a path from the repository's root, read from `page`'s folder;
/// `None` when it climbs out of the repository.
fn resolve(page: &str, target: &str) -> Option<PathBuf> {
    let from = if let Some(absolute) = target.strip_prefix('/') {
        PathBuf::from(absolute)
    } else {
        Path::new(page)
            .parent()
            .unwrap_or(Path::new(""))
            .join(target)
    };
    let mut path = PathBuf::new();
    for part in from.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !path.pop() {
                    return None;
                }
            }
            Component::Normal(name) => path.push(name),
            _ => return None,
        }
    }
    Some(path)
}

#[test]
fn the_guide_quotes_the_examples_verbatim() {
    let guide = guide();
    let missing: Vec<String> = QUOTED
        .iter()
        .filter(|(example, page)| {
            let code = read(example);
            !guide
                .iter()
                .any(|(name, text)| name == page && text.contains(code.trim_end()))
        })
        .map(|(example, page)| {
            format!(
                "  {example}: expected in {page}, as a fenced code block holding the file's \
                 text exactly as it is now (copy the file in again after editing it)"
            )
        })
        .collect();
    assert!(
        missing.is_empty(),
        "README.md and docs/*.md do not quote these examples as they are; CI runs the files, \
         so the guide must show them unchanged:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_configuration_page_documents_every_flag() {
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_extend-mock"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let page = read(CONFIGURATION);
    let variables: Vec<&str> = help
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| word.starts_with("EXTEND_MOCK_"))
        .collect();
    assert!(variables.len() >= 15, "--help lists the variables: {help}");
    let missing: Vec<&str> = variables
        .into_iter()
        .filter(|variable| !page.contains(&format!("`{variable}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "{CONFIGURATION} lacks these variables that `extend-mock --help` lists: {}. Add a row \
         to its flags table for each (flag, `VARIABLE` in backticks, default, meaning)",
        missing.join(", ")
    );
}

#[test]
fn every_relative_link_and_anchor_leads_somewhere() {
    let pages: Vec<String> = LINKED
        .iter()
        .map(|page| (*page).to_owned())
        .chain(docs_pages())
        .collect();
    let mut headings: HashMap<PathBuf, Vec<String>> = HashMap::new();
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in &pages {
        let text = read(page);
        for (line, target) in links(&text) {
            if is_external(&target) {
                continue;
            }
            checked += 1;
            let (path, anchor) = match target.split_once('#') {
                Some((path, anchor)) => (path, Some(anchor)),
                None => (target.as_str(), None),
            };
            let file = if path.is_empty() {
                PathBuf::from(page)
            } else {
                match resolve(page, path) {
                    Some(file) => file,
                    None => {
                        broken.push(format!(
                            "  {page}:{line}: `{target}` leads out of the repository"
                        ));
                        continue;
                    }
                }
            };
            if !root().join(&file).exists() {
                broken.push(format!(
                    "  {page}:{line}: `{target}`: there is no {} (paths are relative to {page}'s \
                     folder)",
                    file.display()
                ));
                continue;
            }
            let Some(anchor) = anchor else { continue };
            if file.extension().is_none_or(|ext| ext != "md") {
                continue;
            }
            let known = headings.entry(file.clone()).or_insert_with(|| {
                anchors(&std::fs::read_to_string(root().join(&file)).unwrap_or_default())
            });
            if !known.iter().any(|known| known == anchor) {
                broken.push(format!(
                    "  {page}:{line}: `{target}`: {} has no heading whose anchor is `#{anchor}`; \
                     its anchors are: {}",
                    file.display(),
                    known.join(", ")
                ));
            }
        }
    }
    assert!(checked > 100, "only {checked} relative links found");
    assert!(
        broken.is_empty(),
        "links that lead nowhere (an anchor is the heading's text lower-cased, without \
         punctuation, spaces as hyphens, as GitHub makes it):\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_readme_is_short_enough_to_finish() {
    let lines = read("README.md").lines().count();
    assert!(
        lines <= README_MAX_LINES,
        "README.md has {lines} lines, more than {README_MAX_LINES} (issue #27): move the detail \
         to the page under docs/ it belongs to (docs/README.md lists them) and link it"
    );
}

#[test]
fn every_docs_page_is_in_the_contents_and_links_back() {
    let contents = read("docs/README.md");
    let listed: Vec<PathBuf> = links(&contents)
        .into_iter()
        .filter_map(|(_, target)| resolve("docs/README.md", target.split('#').next()?))
        .collect();
    let mut problems = Vec::new();
    for page in docs_pages() {
        if page == "docs/README.md" {
            continue;
        }
        if !listed.contains(&PathBuf::from(&page)) {
            problems.push(format!(
                "  {page} is not listed in docs/README.md: add one line for it"
            ));
        }
        let back = links(&read(&page))
            .into_iter()
            .any(|(_, target)| resolve(&page, &target) == Some(PathBuf::from("docs/README.md")));
        if !back {
            problems.push(format!(
                "  {page} has no link back to the contents: add `[Contents](README.md)` under its \
                 summary"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn slugs_are_githubs() {
    assert_eq!(
        slug("The full run: `GET /processor_runs/{id}`"),
        "the-full-run-get-processor_runsid"
    );
    assert_eq!(slug("What is emulated"), "what-is-emulated");
    assert_eq!(
        anchors("# A\n\n## A\n\n```\n# not a heading\n```\n\n### a"),
        ["a", "a-1", "a-2"]
    );
    assert!(links("[x](y.md) `[z](w.md)`\n\n```\n[v](u.md)\n```").len() == 1);
}

/// `GET /_mock/docs/{page}` serves every page of docs/ (src/home.rs lists
/// them, compiled in), so a new page cannot be left out of the server.
#[test]
fn the_server_serves_every_docs_page() {
    let served: Vec<&str> = extend_mock::home::DOCS
        .iter()
        .map(|(name, _)| *name)
        .collect();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".md") && !served.contains(&name.as_str()) {
            missing.push(name);
        }
    }
    assert!(missing.is_empty(), "src/home.rs DOCS lacks {missing:?}");
}
