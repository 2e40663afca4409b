//! The README must not drift from what runs: the examples it quotes are the
//! files the SDK suites run, and every flag's variable that `--help` lists is in it.

use std::path::Path;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_readme_quotes_the_examples_verbatim() {
    let readme = read("README.md");
    for example in [
        "examples/curl.sh",
        "examples/extract.sh",
        "examples/python/extract_invoice.py",
        "examples/typescript/extract-invoice.ts",
        "examples/classify-split.sh",
        "examples/python/classify_and_split.py",
        "examples/typescript/classify-and-split.ts",
        "examples/parse.sh",
        "examples/python/batch_invoices.py",
        "examples/python/parse_document.py",
        "examples/typescript/parse-document.ts",
        "examples/python/list_runs.py",
        "examples/python/test_failed_invoices.py",
        "examples/python/test_run_failure.py",
        "examples/python/sandboxes/conftest.py",
        "examples/python/test_webhook_handler.py",
        "examples/python/test_workflow_webhook_handler.py",
        "examples/typescript/list-runs.ts",
        "examples/typescript/failed-invoices.test.ts",
        "examples/docker/compose.yaml",
    ] {
        let code = read(example);
        assert!(
            readme.contains(code.trim_end()),
            "README.md does not quote {example} as it is"
        );
    }
}

#[test]
fn the_readme_documents_every_flag() {
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_extend-mock"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let readme = read("README.md");
    let variables: Vec<&str> = help
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| word.starts_with("EXTEND_MOCK_"))
        .collect();
    assert!(variables.len() >= 15, "--help lists the variables: {help}");
    for variable in variables {
        assert!(
            readme.contains(&format!("`{variable}`")),
            "README.md lacks {variable}"
        );
    }
}
