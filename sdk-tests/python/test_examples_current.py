"""The current-API examples that docs/ quotes (examples/extract.sh,
examples/classify-split.sh, examples/parse.sh, examples/edit.sh and
examples/python/: extract_invoice.py, classify_and_split.py,
parse_document.py, batch_invoices.py, fill_form.py) run as they are, against
the server."""

import json
import os
import subprocess
import sys

from conftest import MOCK, ROOT


def run_example(*command):
    return subprocess.run(
        list(command), capture_output=True, text=True, check=True, cwd=ROOT,
        env={**os.environ, "EXTEND_MOCK_URL": MOCK},
    ).stdout.splitlines()


def test_the_python_extraction_example_runs(builtin):
    out = run_example(sys.executable, os.path.join("examples", "python", "extract_invoice.py"))
    assert len(out) == 5, out
    assert out[0].startswith("run: exr_") and out[0].endswith(" PROCESSED")
    number, date, *vendor = out[1].removeprefix("invoice: ").split(" ")
    assert number.startswith("INV-") and len(date) == 10 and vendor
    amount, currency = out[2].removeprefix("total: ").split(" ")
    assert float(amount) > 0 and currency == "USD"
    assert out[3] == "sync: PROCESSED Invoices"
    # The built-in fixtures' extract runs of ws_acme, and the two just made.
    assert out[4].startswith("extract runs: ") and int(out[4].split(": ")[1]) >= 2


def test_the_curl_extraction_example_runs(builtin):
    run, listed = (json.loads(line) for line in run_example("sh", os.path.join("examples", "extract.sh")))
    assert run["object"] == "extract_run" and run["status"] == "PROCESSED"
    assert run["output"]["value"]["total"]["iso_4217_currency_code"] == "USD"
    assert isinstance(run["output"]["value"]["invoice_number"], str)
    assert listed["object"] == "list" and len(listed["data"]) == 5
    assert all(r["status"] == "PROCESSED" and r["object"] == "extract_run" for r in listed["data"])


def check_splits(lines):
    """`split: <start> <end> <type> <identifier>` lines that cover pages 1..n in order."""
    assert lines, "no split"
    page = 1
    for line in lines:
        start, end, kind, identifier = line.removeprefix("split: ").split(" ")
        assert int(start) == page and int(end) >= page, lines
        page = int(end) + 1
        if kind == "loan_application":
            assert identifier.startswith("LN-"), line
        else:
            assert kind == "paystub" and identifier == "-", line


def test_the_python_classify_and_split_example_runs(builtin):
    out = run_example(sys.executable, os.path.join("examples", "python", "classify_and_split.py"))
    classify, status, kind, confidence = out[0].removeprefix("classify: ").split(" ")
    assert classify.startswith("clr_") and status == "PROCESSED" and kind == "invoice"
    assert 0 < float(confidence) <= 1
    check_splits(out[1:])


def test_the_curl_classify_and_split_example_runs(builtin):
    classified, split = (json.loads(line) for line in run_example("sh", os.path.join("examples", "classify-split.sh")))
    assert classified["object"] == "classify_run" and classified["status"] == "PROCESSED"
    assert classified["output"]["type"] == "bank_statement"
    assert split["object"] == "split_run" and split["status"] == "PROCESSED"
    pages = [(s["startPage"], s["endPage"]) for s in split["output"]["splits"]]
    assert pages[0][0] == 1 and all(b[0] == a[1] + 1 for a, b in zip(pages, pages[1:])), pages
    assert pages[-1][1] == split["file"]["metadata"]["pageCount"]


def test_the_python_parse_example_runs(builtin):
    out = run_example(sys.executable, os.path.join("examples", "python", "parse_document.py"))
    pages, (run, linked) = out[:-2], out[-2:]
    assert pages[0] == "page 1: # Quarterly Report", out
    assert all(line.startswith(f"page {i + 1}: ## ") for i, line in enumerate(pages[1:], 1)), out
    assert run.startswith("run: pr_") and run.endswith(" PROCESSED 1 chunk"), out
    assert linked == "by link: 200 True"


def test_the_curl_parse_example_runs(builtin):
    run, linked = (json.loads(line) for line in run_example("sh", os.path.join("examples", "parse.sh")))
    assert run["object"] == "parse_run" and run["status"] == "PROCESSED"
    pages = run["file"]["metadata"]["pageCount"]
    assert [c["metadata"]["pageRange"]["start"] for c in run["output"]["chunks"]] == list(range(1, pages + 1))
    assert linked["id"] == run["id"] and linked["output"] is None
    assert "/_parse_output/" + run["id"] + "?" in linked["outputUrl"]


def test_the_python_batch_example_runs(builtin):
    out = run_example(sys.executable, os.path.join("examples", "python", "batch_invoices.py"))
    batch, *runs = out
    assert batch.startswith("batch: bpr_") and batch.endswith(" PENDING 3"), out
    assert runs == [f"run: {n} PROCESSED INV-{n}.pdf" for n in (1, 2, 3)], out


def test_the_python_form_filling_example_runs(builtin):
    out = run_example(sys.executable, os.path.join("examples", "python", "fill_form.py"))
    assert len(out) == 4, out
    assert out[0].startswith("run: edr_") and out[0].endswith(" PROCESSED {'full_name': 'Jane Doe'}"), out
    assert out[1].startswith("edited file: file_") and out[1].endswith(" %PDF-"), out
    assert out[2] == ("fields: address business_name city_state_zip date exempt_payee name "
                      "signature ssn tax_classification")
    assert out[3] == "template run: PROCESSED {'exempt_payee': True, 'name': 'Jane Doe'}"


def test_the_curl_form_filling_example_runs(builtin):
    out = run_example("sh", os.path.join("examples", "edit.sh"))
    run = json.loads(out[0])
    assert run["object"] == "edit_run" and run["status"] == "PROCESSED"
    assert run["output"]["filledValues"] == {"full_name": "Jane Doe"}
    assert out[1] == "%PDF-"
