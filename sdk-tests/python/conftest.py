"""Shared set-up: where the server is, and a known state for each test."""

import os

import httpx
import pytest

MOCK = os.environ.get("EXTEND_MOCK_URL", "http://127.0.0.1:8080")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def run(i, workspace, status, processor, kind, source, source_id, file_name, created, updated):
    """A run for a seed document; times are minutes after 2024-03-01T00:00Z."""
    doc = {
        "id": f"exr_{i}", "workspaceId": workspace, "status": status,
        "processorId": processor, "processorName": f"Processor {processor}",
        "processorVersionId": f"exv_{processor}", "source": source, "fileName": file_name,
        "createdAt": f"2024-03-01T{created // 60:02}:{created % 60:02}:00Z",
        "updatedAt": f"2024-03-01T{updated // 60:02}:{updated % 60:02}:00Z",
    }
    if kind:
        doc["type"] = kind
    if source_id:
        doc["sourceId"] = source_id
    if status in ("PROCESSED", "FAILED") and kind:
        doc["usage"] = {"credits": 1.5}
    return doc


# The same six runs in ws_a that the Rust tests use, with ties on both sort fields.
SEED = {
    "organizations": [
        {"id": "org_a", "name": "A", "workspaces": [{"id": "ws_a", "name": "A"}, {"id": "ws_b", "name": "B"}]},
        {"id": "org_c", "name": "C", "workspaces": [{"id": "ws_c", "name": "C"}]},
    ],
    "apiKeys": [
        {"token": "key_a", "name": "a", "scope": "workspace", "workspaceId": "ws_a"},
        {"token": "key_org_a", "name": "org-a", "scope": "organization", "organizationId": "org_a"},
        {"token": "key_legacy", "name": "legacy", "scope": "workspace", "workspaceId": "ws_a",
         "defaultApiVersion": "2024-12-23"},
    ],
    "processorRuns": [
        run(1, "ws_a", "PROCESSED", "ex_inv", "EXTRACT", "WORKFLOW_RUN", "wf_1", "Invoice_March.pdf", 60, 300),
        run(2, "ws_a", "FAILED", "ex_cls", "CLASSIFY", "API", None, "W-2 2023.pdf", 120, 150),
        run(3, "ws_a", "PENDING", "ex_split", "SPLITTER", "BATCH_PROCESSOR_RUN", "batch_1", "loan packet.PDF", 180, 180),
        run(4, "ws_a", "PROCESSING", "ex_inv", "EXTRACT", "WORKFLOW_RUN", "wf_1", "INVOICE-0042.pdf", 240, 360),
        run(5, "ws_a", "CANCELLED", "ex_old", None, "PLAYGROUND", None, "Rechnung_Müller.pdf", 300, 300),
        run(6, "ws_a", "PROCESSED", "ex_inv", "EXTRACT", "STUDIO", None, "Kontoauszug_ÜBER.pdf", 60, 420),
        run(7, "ws_b", "PROCESSED", "ex_inv", "EXTRACT", "ADMIN", None, "invoice_b.pdf", 10, 20),
        run(8, "ws_c", "FAILED", "ex_c", "CLASSIFY", "WORKFLOW_CONFIGURATION", None, "invoice_c.pdf", 10, 20),
    ],
}


@pytest.fixture()
def seeded():
    """The SEED document as the whole state; the start-up state again afterwards."""
    httpx.put(f"{MOCK}/_mock/fixtures", json=SEED).raise_for_status()
    httpx.delete(f"{MOCK}/_mock/requests").raise_for_status()
    yield
    httpx.delete(f"{MOCK}/_mock/faults").raise_for_status()
    httpx.post(f"{MOCK}/_mock/reset").raise_for_status()


@pytest.fixture()
def builtin():
    """The built-in fixtures, as the server started."""
    httpx.post(f"{MOCK}/_mock/reset").raise_for_status()
    httpx.delete(f"{MOCK}/_mock/requests").raise_for_status()
    yield
    httpx.delete(f"{MOCK}/_mock/faults").raise_for_status()


def strict(model, body):
    """The SDK's model, strictly: every field declared, at every object level."""
    parsed = model.model_validate(body)
    pending = [parsed]
    while pending:
        item = pending.pop()
        if hasattr(item, "model_extra"):
            assert not item.model_extra, f"{type(item).__name__}: undeclared {item.model_extra}"
            pending += [getattr(item, name) for name in type(item).model_fields]
        elif isinstance(item, list):
            pending += item
        elif isinstance(item, dict):
            pending += list(item.values())
    return parsed
