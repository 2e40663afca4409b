"""A pytest suite that uses extend-mock: seed -> exercise -> assert on the journal -> reset.

Run it against a server: EXTEND_MOCK_URL=http://127.0.0.1:8080 pytest
"""

import os

import httpx
import pytest
from extend_ai import Extend

MOCK = os.environ.get("EXTEND_MOCK_URL", "http://127.0.0.1:8080")


def failed_invoice_run_ids(client: Extend) -> list[str]:
    """The code under test: every failed run on an invoice, oldest first, page by page."""
    ids, token = [], None
    while True:
        page = client.processor_run.list(
            status="FAILED", file_name_contains="invoice", sort_by="createdAt",
            sort_dir="asc", max_page_size=5, next_page_token=token,
        )
        ids += [run.id for run in page.processor_runs]
        token = page.next_page_token
        if not token:
            return ids


def run(i: int, status: str, file_name: str) -> dict:
    return {
        "id": f"exr_test_{i:02}", "workspaceId": "ws_test", "status": status,
        "processorId": "ex_invoices", "processorName": "Invoice Extractor",
        "processorVersionId": "exv_invoices_1", "type": "EXTRACT", "source": "API",
        "fileName": file_name,
        "createdAt": f"2024-05-01T10:{i:02}:00Z", "updatedAt": f"2024-05-01T11:{i:02}:00Z",
    }


@pytest.fixture(autouse=True)
def mock_state():
    # Seed: replace the whole state with exactly what this test needs.
    document = {
        "organizations": [{"id": "org_test", "name": "Test",
                           "workspaces": [{"id": "ws_test", "name": "Test"}]}],
        "apiKeys": [{"token": "sk_test_suite", "name": "suite", "scope": "workspace",
                     "workspaceId": "ws_test"}],
        "processorRuns": [run(i, "FAILED" if i % 2 else "PROCESSED",
                              "Invoice_%02d.pdf" % i if i < 14 else "receipt.png")
                          for i in range(16)],
    }
    httpx.put(f"{MOCK}/_mock/fixtures", json=document).raise_for_status()
    httpx.delete(f"{MOCK}/_mock/requests").raise_for_status()
    yield
    # Reset: leave the server as the next suite expects to find it.
    httpx.delete(f"{MOCK}/_mock/faults").raise_for_status()
    httpx.post(f"{MOCK}/_mock/reset").raise_for_status()


def test_collects_every_failed_invoice_across_pages():
    client = Extend(token="sk_test_suite", base_url=MOCK)

    assert failed_invoice_run_ids(client) == [f"exr_test_{i:02}" for i in (1, 3, 5, 7, 9, 11, 13)]

    journal = httpx.get(f"{MOCK}/_mock/requests", params={"path": "/processor_runs"}).json()
    pages = journal["requests"]
    assert [entry["status"] for entry in pages] == [200, 200]
    assert "nextPageToken=" in pages[1]["query"]
    assert all(entry["keyName"] == "suite" for entry in pages)


def test_retries_through_a_rate_limit():
    httpx.post(f"{MOCK}/_mock/faults", json={"path": "/processor_runs", "status": 429}).raise_for_status()
    client = Extend(token="sk_test_suite", base_url=MOCK)

    assert len(failed_invoice_run_ids(client)) == 7

    statuses = [e["status"] for e in httpx.get(f"{MOCK}/_mock/requests").json()["requests"]]
    assert statuses == [429, 200, 200]  # the SDK honoured Retry-After and tried again
