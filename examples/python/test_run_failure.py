"""A pytest suite that makes a run fail on purpose and checks that the code
under test handles it. The marker `__fail_<REASON>__` in the file name asks
extend-mock for that failure; nothing else in the code under test changes.

Run it against a server: EXTEND_MOCK_URL=http://127.0.0.1:8080 pytest
"""

import os
import time

import httpx
import pytest
from extend_ai import Extend

MOCK = os.environ.get("EXTEND_MOCK_URL", "http://127.0.0.1:8080")
INVOICES = "ex_z24v9oP5EHPKAuLAeoYsS"  # the built-in fixtures' Invoice Extractor


def extract_invoice(client: Extend, url: str, name: str) -> dict:
    """The code under test: run the extractor, wait, and report the outcome."""
    run = client.processor_run.create(
        processor_id=INVOICES, file={"file_url": url, "file_name": name}
    ).processor_run
    while run.status == "PROCESSING":
        time.sleep(0.2)
        run = client.processor_run.get(run.id).processor_run
    if run.status == "FAILED":
        return {"ok": False, "retry": run.failure_reason == "PROCESSING_TIMEOUT"}
    return {"ok": True, "fields": sorted(run.output.value)}


@pytest.fixture(autouse=True)
def fresh_state():
    httpx.post(f"{MOCK}/_mock/reset").raise_for_status()
    yield
    httpx.post(f"{MOCK}/_mock/reset").raise_for_status()


@pytest.fixture()
def client() -> Extend:
    return Extend(token="sk_test_acme", base_url=MOCK)


def test_a_processed_invoice_has_its_fields(client):
    outcome = extract_invoice(client, "https://example.com/a.pdf", "INV-1001.pdf")
    assert outcome["ok"] and "invoice_number" in outcome["fields"]


def test_a_timed_out_run_is_retried(client):
    outcome = extract_invoice(client, "https://example.com/b.pdf", "INV-1002__fail_PROCESSING_TIMEOUT__.pdf")
    assert outcome == {"ok": False, "retry": True}


def test_an_unreadable_file_is_not_retried(client):
    outcome = extract_invoice(client, "https://example.com/c.pdf", "INV-1003__fail__.pdf")
    assert outcome == {"ok": False, "retry": False}
