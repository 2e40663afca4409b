"""A pytest recipe for a workflow webhook handler: extend-mock runs the
built-in "Invoice intake" workflow for real (parse, classify, extract per
class, a human review for invoices) and sends its workflow_run.* events to
the handler under test through a webhook subscription, signed.

Run it against a server: EXTEND_MOCK_URL=http://127.0.0.1:8080 pytest
"""

import os
import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from extend_ai import Extend

MOCK = os.environ.get("EXTEND_MOCK_URL", "http://127.0.0.1:8080")
# Where the handler listens, and the name extend-mock reaches it by: loopback
# here; in compose, every interface and the service's name (compose.yaml).
RECEIVER_BIND = os.environ.get("RECEIVER_BIND", "127.0.0.1")
RECEIVER_HOST = os.environ.get("RECEIVER_HOST", "127.0.0.1")
INTAKE = "workflow_Inv0iceIntake7Rq2Lm9x"  # the built-in fixtures' "Invoice intake"
client = Extend(token="sk_test_acme", base_url=MOCK)


def handle_event(body: bytes, headers: dict, secret: str) -> str:
    """The code under test: verify, then act on the workflow run's outcome."""
    event = client.webhooks.verify_and_parse(body, headers, secret)
    run = event.payload
    if event.event_type == "workflow_run.needs_review":
        return f"queued {run.id} for review"
    if event.event_type == "workflow_run.completed":
        extracted = [s.result.extract_run for s in run.step_runs if s.step_type == "EXTRACT"]
        return f"booked {extracted[0].output.value}"
    if event.event_type in ("workflow_run.failed", "workflow_run.rejected"):
        return f"flagged {run.id}: {run.failure_reason or run.rejection_note}"
    return "ignored"


@pytest.fixture()
def handler():
    """The handler, served on a free port and subscribed to the workflow's
    runs; what it did goes into `results`."""
    results, secret = queue.Queue(), {}

    class Endpoint(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["content-length"]))
            results.put(handle_event(body, dict(self.headers), secret["value"]))
            self.send_response(200)
            self.end_headers()

    server = ThreadingHTTPServer((RECEIVER_BIND, 0), Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = client.webhook_endpoints.create(
        url=f"http://{RECEIVER_HOST}:{server.server_address[1]}/webhooks",
        name="workflow handler under test", api_version="2026-02-09", enabled_events=[],
    )
    secret["value"] = endpoint.signing_secret  # shown once, on create
    client.webhook_subscriptions.create(
        webhook_endpoint_id=endpoint.id, resource_type="workflow", resource_id=INTAKE,
        enabled_events=["workflow_run.completed", "workflow_run.failed",
                        "workflow_run.needs_review", "workflow_run.rejected"],
    )
    yield results
    server.shutdown()
    httpx.post(f"{MOCK}/_mock/reset").raise_for_status()  # drops the endpoint too


def test_an_invoice_waits_for_review_then_is_booked(handler):
    run = client.workflow_runs.create(workflow={"id": INTAKE},
                                      file={"text": "Invoice #1042\nTotal: $1,250.00"})
    assert handler.get(timeout=30) == f"queued {run.id} for review"
    httpx.post(f"{MOCK}/_mock/workflow_runs/{run.id}/approve").raise_for_status()
    assert handler.get(timeout=30).startswith("booked {")


def test_a_receipt_is_booked_without_review(handler):
    client.workflow_runs.create(workflow={"id": INTAKE},
                                file={"text": "Receipt: paid in full, thank you"})
    assert handler.get(timeout=30).startswith("booked {")


def test_a_rejected_invoice_is_flagged(handler):
    run = client.workflow_runs.create(workflow={"id": INTAKE}, file={"text": "Invoice #7"})
    assert handler.get(timeout=30) == f"queued {run.id} for review"
    httpx.post(f"{MOCK}/_mock/workflow_runs/{run.id}/reject",
               json={"note": "Duplicate of INV-7"}).raise_for_status()
    assert handler.get(timeout=30) == f"flagged {run.id}: Duplicate of INV-7"


def test_an_unreadable_file_is_flagged(handler):
    run = client.workflow_runs.create(workflow={"id": INTAKE},
                                      file={"url": "https://files.example.com/scan__fail__.pdf"})
    assert handler.get(timeout=30) == f"flagged {run.id}: FILE_TYPE_NOT_SUPPORTED"
