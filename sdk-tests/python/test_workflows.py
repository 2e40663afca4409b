"""Workflows through the official Python SDK, unmodified: `/workflows` and their versions
(create, update, deploy, list, retrieve by `draft`, `latest`, number or id), `/workflow_runs`
(create_and_poll through parse, classify and the chosen extraction; a human review approved or
rejected through /_mock/; cancel, update, list, delete, batch), `/webhook_subscriptions`, and the
`workflow_run.*` events a subscribed receiver gets, verified and typed by `client.webhooks`. Every
raw answer is validated strictly with the SDK's own pydantic models; the built-in fixtures give
the classifier and the extractors the steps name."""

import json
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from extend_ai import Extend, PollingOptions
from extend_ai.errors import BadRequestError, NotFoundError
from extend_ai.types.step_run import StepRun_Classify, StepRun_Extract, StepRun_Parse
from extend_ai.types.webhook_event import (
    WebhookEvent_WorkflowRunCancelled,
    WebhookEvent_WorkflowRunCompleted,
    WebhookEvent_WorkflowRunFailed,
    WebhookEvent_WorkflowRunStepRunProcessed,
)
from extend_ai.types.webhook_subscription import WebhookSubscription
from extend_ai.types.workflow import Workflow
from extend_ai.types.workflow_run import WorkflowRun
from extend_ai.types.workflow_version import WorkflowVersion
from extend_ai.webhook_subscriptions.types.webhook_subscriptions_delete_response import (
    WebhookSubscriptionsDeleteResponse,
)
from extend_ai.webhook_subscriptions.types.webhook_subscriptions_list_response import (
    WebhookSubscriptionsListResponse,
)
from extend_ai.workflow_runs.types.workflow_runs_create_batch_response import WorkflowRunsCreateBatchResponse
from extend_ai.workflow_runs.types.workflow_runs_delete_response import WorkflowRunsDeleteResponse
from extend_ai.workflow_runs.types.workflow_runs_list_response import WorkflowRunsListResponse
from extend_ai.workflow_versions.types.workflow_versions_list_response import WorkflowVersionsListResponse
from extend_ai.workflows.types.workflows_list_response import WorkflowsListResponse
from extend_ai.wrapper.errors import WebhookSignatureVerificationError

from conftest import MOCK, strict

FAST = PollingOptions(max_wait_ms=60_000, fast_poll_interval_ms=100, jitter_fraction=0)
CLASSIFIER = "cl_s0mUeVeH93a2SgSZ_C7Sd"  # built-in "Document Classifier": invoice, receipt, ...
INVOICES = "ex_z24v9oP5EHPKAuLAeoYsS"  # built-in "Invoice Extractor"
RECEIPTS = "ex_BjP1H0vkDAEfs8yuDIxlq"  # built-in "Receipt Extractor"
INTAKE = "workflow_Inv0iceIntake7Rq2Lm9x"  # built-in "Invoice intake", version "1" deployed, made 2024-03-01
INVOICE_TEXT = "Invoice #12345\nTotal: $1,234.56"
RECEIPT_TEXT = "Receipt for your payment. Paid in full."
HELD = "https://files.example.com/{}__hold__.pdf"
SCHEMA = {"type": "object", "properties": {"total": {"type": ["number", "null"]}}, "required": ["total"]}
# Parse, classify, then the extraction of the chosen classification.
ROUTED = [
    {"type": "TRIGGER", "name": "Trigger", "next": [{"step": "Parse"}]},
    {"type": "PARSE", "name": "Parse", "next": [{"step": "Classify"}]},
    {"type": "CLASSIFY", "name": "Classify", "config": {"classifier": {"id": CLASSIFIER, "version": "draft"}},
     "next": [{"step": "Extract invoice", "classificationId": "invoice"},
              {"step": "Extract receipt", "classificationId": "receipt"}]},
    {"type": "EXTRACT", "name": "Extract invoice", "config": {"extractor": {"id": INVOICES, "version": "latest"}}},
    {"type": "EXTRACT", "name": "Extract receipt", "config": {"extractor": {"id": RECEIPTS, "version": "latest"}}},
]
DEFAULT = [{"type": "TRIGGER", "name": "Trigger", "next": [{"step": "Parse"}]}, {"type": "PARSE", "name": "Parse"}]
UNCONFIGURED = [DEFAULT[0], {"type": "PARSE", "name": "Parse", "next": [{"step": "Extract"}]},
                {"type": "EXTRACT", "name": "Extract"}]
REVIEWED = [DEFAULT[0], {"type": "PARSE", "name": "Parse", "next": [{"step": "Review"}]},
            {"type": "HUMAN_REVIEW", "name": "Review", "next": [{"step": "Extract"}]},
            {"type": "EXTRACT", "name": "Extract", "config": {"extractorConfig": {"schema": SCHEMA}}}]
STEP_MODELS = {"PARSE": StepRun_Parse, "CLASSIFY": StepRun_Classify, "EXTRACT": StepRun_Extract}
SUMMARY_KEYS = {"object", "id", "status", "workflow", "workflowVersion", "dashboardUrl", "reviewedByUser",
                "reviewedAt", "initialRunAt", "startTime", "endTime", "batchId", "rejectionNote", "files",
                "createdAt", "updatedAt", "usage"}


def client(token="sk_test_acme"):
    return Extend(token=token, base_url=MOCK)


def raw(response):
    return response._response.json()


def wait_done(sdk, run_id):
    """The run once it is neither PENDING nor PROCESSING."""
    started = time.monotonic()
    while (run := sdk.workflow_runs.retrieve(run_id)).status in ("PENDING", "PROCESSING"):
        assert time.monotonic() - started < 60, f"{run_id} still {run.status}"
        time.sleep(0.1)
    return run


def check_run(body, status):
    """A WorkflowRun body, strictly, its step runs each of the model of their type."""
    run = strict(WorkflowRun, body)
    assert (body["object"], body["status"]) == ("workflow_run", status)
    assert run.id.startswith("workflow_run_") and run.dashboard_url.endswith(run.id)
    for step, item in zip(run.step_runs, body["stepRuns"]):
        assert type(step) is STEP_MODELS[item["stepType"]]
        assert (step.workflow_run_id, step.step.type, step.files) == (run.id, item["stepType"], run.files)
        assert step.id.startswith("workflow_step_run_") and step.step.id.startswith("step_")
    return run


def steps_of(run):
    return [(s.step_type, s.step.name, s.status) for s in run.step_runs]


def review(run_id, decision, **body):
    """Approves or rejects a run in review through the control plane."""
    return httpx.post(f"{MOCK}/_mock/workflow_runs/{run_id}/{decision}", json=body)


def test_workflows_are_made_changed_deployed_and_read_by_version(builtin):
    sdk = client()
    body = raw(sdk.workflows.with_raw_response.create(name="Routing", steps=ROUTED))
    routing = strict(Workflow, body)
    assert (routing.object, routing.name, routing.created_by) == ("workflow", "Routing", None)
    assert routing.id.startswith("workflow_") and routing.draft_version.version == "draft"
    assert body["draftVersion"]["steps"] == ROUTED, "steps are answered as given"
    assert raw(sdk.workflows.with_raw_response.retrieve(routing.id)) == body

    # No steps: a trigger, then a parse.
    plain = strict(Workflow, raw(sdk.workflows.with_raw_response.create(name="Plain")))
    assert raw(sdk.workflow_versions.with_raw_response.retrieve(plain.id, "draft"))["steps"] == DEFAULT
    body = raw(sdk.workflows.with_raw_response.update(plain.id, name="Unfinished", steps=UNCONFIGURED))
    changed = strict(Workflow, body)
    assert (changed.id, changed.name, changed.created_at) == (plain.id, "Unfinished", plain.created_at)
    assert body["draftVersion"]["steps"] == UNCONFIGURED and changed.updated_at >= plain.updated_at
    assert changed.draft_version.id == plain.draft_version.id

    # The draft has an extraction without config: no deploy, and the refusal names the step.
    with pytest.raises(BadRequestError) as refused:
        sdk.workflow_versions.create(plain.id)
    assert refused.value.status_code == 400
    assert refused.value.body["message"] == ("request body: steps[2]: step `Extract` (EXTRACT) is not "
                                             "configured: give its `config` before deploying")
    # Steps given: deployed as "1", the draft untouched; then the draft, fixed, as "2".
    one = strict(WorkflowVersion, raw(sdk.workflow_versions.with_raw_response.create(
        plain.id, name="first", steps=ROUTED)))
    assert (one.object, one.version, one.name) == ("workflow_version", "1", "first")
    assert one.id.startswith("workflow_version_") and one.id != plain.draft_version.id
    assert [s.name for s in one.steps] == [s["name"] for s in ROUTED]
    assert raw(sdk.workflow_versions.with_raw_response.retrieve(plain.id, "draft"))["steps"] == UNCONFIGURED
    sdk.workflows.update(plain.id, steps=DEFAULT)
    body = raw(sdk.workflow_versions.with_raw_response.create(plain.id))
    two = strict(WorkflowVersion, body)
    assert (two.version, two.name, body["steps"]) == ("2", None, DEFAULT)

    listed = raw(sdk.workflow_versions.with_raw_response.list(plain.id))
    versions = strict(WorkflowVersionsListResponse, listed)
    assert listed["object"] == "list" and all("steps" not in v for v in listed["data"])
    assert [(v.id, v.version) for v in versions.data] == [
        (two.id, "2"), (one.id, "1"), (plain.draft_version.id, "draft")]
    for asked, expected in (("latest", two), ("1", one), (one.id, one)):
        assert strict(WorkflowVersion, raw(sdk.workflow_versions.with_raw_response.retrieve(plain.id, asked))) == expected
    assert sdk.workflow_versions.retrieve(routing.id, "latest").version == "draft", "nothing deployed: the draft"
    with pytest.raises(NotFoundError):
        sdk.workflow_versions.retrieve(plain.id, "3")

    listed = raw(sdk.workflows.with_raw_response.list(sort_by="createdAt", sort_dir="asc"))
    page = strict(WorkflowsListResponse, listed)
    assert [(w.id, w.name) for w in page.data] == [
        (INTAKE, "Invoice intake"), (routing.id, "Routing"), (plain.id, "Unfinished")]
    assert all("draftVersion" not in w for w in listed["data"])
    assert [w.id for w in sdk.workflows.list(sort_by="updatedAt", sort_dir="desc").data] == [plain.id, routing.id, INTAKE]
    # The built-in workflow, deployed once.
    intake = strict(WorkflowVersion, raw(sdk.workflow_versions.with_raw_response.retrieve(INTAKE, "latest")))
    assert (intake.version, intake.name, [s.type for s in intake.steps][-1]) == ("1", "First release", "HUMAN_REVIEW")
    with pytest.raises(NotFoundError):
        sdk.workflows.retrieve("workflow_nope")


def test_a_run_parses_classifies_and_extracts_along_the_chosen_branch(builtin):
    sdk = client()
    workflow = sdk.workflows.create(name="Routing", steps=ROUTED)
    # A receipt, on its way meanwhile.
    receipt = sdk.workflow_runs.create(workflow={"id": workflow.id}, file={"text": RECEIPT_TEXT})
    run = sdk.workflow_runs.create_and_poll(workflow={"id": workflow.id}, polling_options=FAST, metadata={"customer": "acme"},
                                            file={"text": INVOICE_TEXT, "name": "march.txt"})
    assert run.status == "PROCESSED"
    assert (run.workflow.id, run.workflow_version.version, run.metadata) == (workflow.id, "draft", {"customer": "acme"})
    assert [(f.name, f.type) for f in run.files] == [("march.txt", "TXT")]
    assert steps_of(run) == [("PARSE", "Parse", "PROCESSED"), ("CLASSIFY", "Classify", "PROCESSED"),
                             ("EXTRACT", "Extract invoice", "PROCESSED")]
    assert (run.reviewed, run.failure_reason, run.end_time is not None) == (False, None, True)
    parse, classify, extract = run.step_runs
    parsed = parse.result.parse_run
    assert (parsed.status, parsed.file.id) == ("PROCESSED", run.files[0].id)
    assert parsed.output.chunks[0].content.startswith("Invoice #12345")
    classified = classify.result.classify_run
    assert (classified.classifier.id, classified.output.id, classified.output.type) == (CLASSIFIER, "invoice", "invoice")
    extracted = extract.result.extract_run
    assert (extracted.extractor.id, extracted.status, extracted.file.id) == (INVOICES, "PROCESSED", run.files[0].id)
    assert extracted.output.value["invoice_number"] == "12345"
    assert extracted.output.value["total"] == 1234.56

    body = raw(sdk.workflow_runs.with_raw_response.retrieve(run.id))
    assert check_run(body, "PROCESSED") == run
    targets = [parsed.id, classified.id, extracted.id]
    assert [(b.object, b.id) for b in run.usage.breakdown] == list(zip(("parse_run", "classify_run", "extract_run"), targets))
    assert run.usage.credits == run.usage.total_credits == sum(b.credits for b in run.usage.breakdown) > 0
    # The steps' runs are their families' own, made by this workflow run.
    by_source = dict(source="WORKFLOW_RUN", source_id=run.id)
    assert [r.id for r in sdk.parse_runs.list(**by_source).data] == [parsed.id]
    assert [r.id for r in sdk.classify_runs.list(**by_source).data] == [classified.id]
    assert [r.id for r in sdk.extract_runs.list(**by_source).data] == [extracted.id]

    # The receipt took the other branch, to the receipt extractor.
    receipt = wait_done(sdk, receipt.id)
    check_run(raw(sdk.workflow_runs.with_raw_response.retrieve(receipt.id)), "PROCESSED")
    assert [s.step.name for s in receipt.step_runs] == ["Parse", "Classify", "Extract receipt"]
    assert receipt.step_runs[1].result.classify_run.output.id == "receipt"
    assert receipt.step_runs[2].result.extract_run.extractor.id == RECEIPTS


def test_a_review_holds_the_run_until_approved_or_rejected(builtin):
    sdk = client()
    workflow = sdk.workflows.create(name="Reviewed", steps=REVIEWED)
    second = sdk.workflow_runs.create(workflow={"id": workflow.id}, file={"text": "Receipt #2\nTotal: $5.00"})
    first = sdk.workflow_runs.create_and_poll(workflow={"id": workflow.id}, file={"text": INVOICE_TEXT},
                                              polling_options=FAST)
    # NEEDS_REVIEW ends the polling; the review step has no step run.
    assert first.status == "NEEDS_REVIEW"
    assert (first.reviewed, first.reviewed_by_user, first.reviewed_at, first.end_time) == (False, None, None, None)
    assert steps_of(first) == [("PARSE", "Parse", "PROCESSED")]
    check_run(raw(sdk.workflow_runs.with_raw_response.retrieve(first.id)), "NEEDS_REVIEW")
    with pytest.raises(BadRequestError):
        sdk.workflow_runs.cancel(first.id)

    approved = review(first.id, "approve", reviewer="ana@acme.test")
    assert approved.status_code == 200
    check_run(approved.json(), "PROCESSING")
    assert (approved.json()["reviewed"], approved.json()["reviewedByUser"]) == (True, "ana@acme.test")
    done = wait_done(sdk, first.id)
    assert check_run(raw(sdk.workflow_runs.with_raw_response.retrieve(first.id)), "PROCESSED") == done
    assert (done.reviewed, done.reviewed_by_user, done.rejection_note) == (True, "ana@acme.test", None)
    assert done.reviewed_at is not None and done.end_time >= done.reviewed_at
    assert steps_of(done) == [("PARSE", "Parse", "PROCESSED"), ("EXTRACT", "Extract", "PROCESSED")]
    assert done.step_runs[1].result.extract_run.output.value == {"total": 1234.56}
    assert review(first.id, "approve").status_code == 400, "approved once only"

    assert wait_done(sdk, second.id).status == "NEEDS_REVIEW"
    rejected = review(second.id, "reject", note="Total does not match")
    assert rejected.status_code == 200
    check_run(rejected.json(), "REJECTED")
    second = sdk.workflow_runs.retrieve(second.id)
    assert (second.status, second.rejection_note, second.reviewed) == ("REJECTED", "Total does not match", True)
    assert second.reviewed_by_user == "reviewer@extend-mock.test" and second.end_time is not None
    assert steps_of(second) == [("PARSE", "Parse", "PROCESSED")]
    assert [r.id for r in sdk.workflow_runs.list(status="REJECTED").data] == [second.id]
    assert sdk.workflow_runs.list(status="NEEDS_REVIEW").data == []
    assert review("workflow_run_nope", "approve").status_code == 404


def test_runs_are_cancelled_updated_listed_deleted_and_batched(builtin):
    sdk = client()
    workflow = sdk.workflows.create(name="Routing", steps=ROUTED)
    other = sdk.workflows.create(name="Other")
    held = sdk.workflow_runs.create(workflow={"id": workflow.id}, file={"url": HELD.format("big")}, metadata={"n": 1})
    theirs = sdk.workflow_runs.create(workflow={"id": other.id}, file={"url": HELD.format("theirs")})
    running = sdk.workflow_runs.retrieve(held.id)
    assert running.status == "PROCESSING" and steps_of(running) == [("PARSE", "Parse", "PROCESSING")]
    parse_id = running.step_runs[0].result.parse_run.id

    # Cancelled: its unfinished step and the parse run it made.
    cancelled = check_run(raw(sdk.workflow_runs.with_raw_response.cancel(held.id)), "CANCELLED")
    assert steps_of(cancelled) == [("PARSE", "Parse", "CANCELLED")] and cancelled.end_time is not None
    # CANCELLED is no member of the SDK's ParseRunStatusEnum: its open enum keeps the raw string.
    assert cancelled.step_runs[0].result.parse_run.status.value == "CANCELLED"
    assert sdk.parse_runs.retrieve(parse_id).status.value == "CANCELLED"
    with pytest.raises(BadRequestError):
        sdk.workflow_runs.cancel(held.id)
    # Metadata merged, the given keys winning.
    updated = check_run(raw(sdk.workflow_runs.with_raw_response.update(
        held.id, metadata={"n": 2, "checked": True})), "CANCELLED")
    assert updated.metadata == {"n": 2, "checked": True}

    body = raw(sdk.workflow_runs.with_raw_response.list(workflow_id=workflow.id, status="CANCELLED"))
    page = strict(WorkflowRunsListResponse, body)
    assert body["object"] == "list" and all(set(item) == SUMMARY_KEYS for item in body["data"])
    assert [(r.id, r.workflow.id, r.status) for r in page.data] == [(held.id, workflow.id, "CANCELLED")]
    assert [r.id for r in sdk.workflow_runs.list(workflow_id=other.id, status="PROCESSING").data] == [theirs.id]
    assert sdk.workflow_runs.list(workflow_id=other.id, status="CANCELLED").data == []
    assert [r.id for r in sdk.workflow_runs.list(file_name_contains="THEIRS").data] == [theirs.id]

    # A batch: one run per input, found by its batch id.
    inputs = [{"file": {"text": INVOICE_TEXT}, "metadata": {"n": 1}}, {"file": {"url": HELD.format("batched")}}]
    created = raw(sdk.workflow_runs.with_raw_response.create_batch(workflow={"id": workflow.id}, inputs=inputs))
    batch = strict(WorkflowRunsCreateBatchResponse, created)
    assert set(created) == {"batchId"} and batch.batch_id.startswith("batch_")
    body = raw(sdk.workflow_runs.with_raw_response.list(batch_id=batch.batch_id, sort_by="createdAt", sort_dir="asc"))
    runs = strict(WorkflowRunsListResponse, body).data
    assert [(r.batch_id, r.workflow.id, r.files[0].name) for r in runs] == [
        (batch.batch_id, workflow.id, "raw_text.txt"), (batch.batch_id, workflow.id, "batched__hold__.pdf")]
    assert sdk.workflow_runs.retrieve(runs[0].id).metadata == {"n": 1}
    assert sdk.workflow_runs.list(batch_id="batch_nope").data == []

    deleted = raw(sdk.workflow_runs.with_raw_response.delete(held.id))
    assert strict(WorkflowRunsDeleteResponse, deleted).id == held.id and deleted == {"id": held.id}
    with pytest.raises(NotFoundError) as missing:
        sdk.workflow_runs.retrieve(held.id)
    assert held.id in missing.value.body["message"]
    with pytest.raises(NotFoundError):
        sdk.workflow_runs.delete(held.id)
    for run_id in (theirs.id, runs[1].id):
        sdk.workflow_runs.cancel(run_id)


class Receiver:
    """A webhook handler on 127.0.0.1:0 that keeps what it got."""

    def __init__(self):
        self.got = got = queue.Queue()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                got.put((dict(self.headers), self.rfile.read(int(self.headers["content-length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self, timeout=60):
        return self.got.get(timeout=timeout)


@pytest.fixture()
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


def endpoint(sdk, url):
    """An endpoint that takes no event of its own: what it gets comes through subscriptions."""
    return sdk.webhook_endpoints.create(url=url, name="workflow hooks", enabled_events=[], api_version="2026-02-09")


def test_subscriptions_are_made_upserted_listed_changed_and_deleted(builtin):
    sdk = client()
    hooks = endpoint(sdk, "http://127.0.0.1:9/hooks")
    workflow = sdk.workflows.create(name="W")
    body = raw(sdk.webhook_subscriptions.with_raw_response.create(
        webhook_endpoint_id=hooks.id, resource_type="workflow", resource_id=workflow.id,
        enabled_events=["workflow_run.completed"]))
    made = strict(WebhookSubscription, body)
    assert set(body) == {"object", "id", "webhookEndpointId", "resourceType", "resourceId", "enabledEvents", "createdAt"}
    assert made.id.startswith("whes_") and body["object"] == "webhook_subscription"
    assert (made.webhook_endpoint_id, made.resource_type, made.resource_id) == (hooks.id, "workflow", workflow.id)
    # The same endpoint and resource again: the same subscription, its events replaced.
    events = ["workflow_run.failed", "workflow_run.step_run.processed"]
    again = strict(WebhookSubscription, raw(sdk.webhook_subscriptions.with_raw_response.create(
        webhook_endpoint_id=hooks.id, resource_type="workflow", resource_id=workflow.id, enabled_events=events)))
    assert (again.id, again.created_at, again.enabled_events) == (made.id, made.created_at, events)
    extractor = sdk.webhook_subscriptions.create(webhook_endpoint_id=hooks.id, resource_type="extractor",
                                                 resource_id=RECEIPTS, enabled_events=["extract_run.processed"])

    body = raw(sdk.webhook_subscriptions.with_raw_response.list(sort_dir="asc"))
    page = strict(WebhookSubscriptionsListResponse, body)
    assert body["object"] == "list" and [s.id for s in page.data] == [made.id, extractor.id]
    assert [s.id for s in sdk.webhook_subscriptions.list(resource_id=RECEIPTS).data] == [extractor.id]
    assert len(sdk.webhook_subscriptions.list(webhook_endpoint_id=hooks.id).data) == 2
    assert sdk.webhook_subscriptions.list(webhook_endpoint_id="wh_nope").data == []
    changed = raw(sdk.webhook_subscriptions.with_raw_response.update(made.id, enabled_events=["workflow_run.completed"]))
    assert strict(WebhookSubscription, changed).enabled_events == ["workflow_run.completed"]
    assert raw(sdk.webhook_subscriptions.with_raw_response.retrieve(made.id)) == changed

    # A workflow's events are not an extractor's.
    with pytest.raises(BadRequestError) as refused:
        sdk.webhook_subscriptions.create(webhook_endpoint_id=hooks.id, resource_type="extractor",
                                         resource_id=RECEIPTS, enabled_events=["workflow_run.completed"])
    assert refused.value.body["message"].startswith(
        "request body: enabledEvents[0]: `workflow_run.completed` is not sent through `resourceType` `extractor`")
    deleted = raw(sdk.webhook_subscriptions.with_raw_response.delete(made.id))
    assert strict(WebhookSubscriptionsDeleteResponse, deleted).id == made.id and deleted == {"id": made.id}
    with pytest.raises(NotFoundError):
        sdk.webhook_subscriptions.retrieve(made.id)
    assert [s.id for s in sdk.webhook_subscriptions.list().data] == [extractor.id]


def test_workflow_run_events_arrive_signed_and_typed(builtin, receiver):
    sdk = client()
    hooks = endpoint(sdk, receiver.url)
    workflow = sdk.workflows.create(name="Routing", steps=ROUTED)
    sdk.webhook_subscriptions.create(
        webhook_endpoint_id=hooks.id, resource_type="workflow", resource_id=workflow.id,
        enabled_events=["workflow_run.completed", "workflow_run.failed", "workflow_run.cancelled",
                        "workflow_run.step_run.processed"])
    run = sdk.workflow_runs.create(workflow={"id": workflow.id}, file={"text": INVOICE_TEXT})
    failing = sdk.workflow_runs.create(workflow={"id": workflow.id}, file={"url": "https://files.example.com/scan__fail__.pdf"})
    held = sdk.workflow_runs.create(workflow={"id": workflow.id}, file={"url": HELD.format("held")})
    sdk.workflow_runs.cancel(held.id)

    got, ids = {}, set()
    for _ in range(6):  # a step event per step and `completed`, `failed`, `cancelled`
        headers, body = receiver.next()
        event = sdk.webhooks.verify_and_parse(body, headers, hooks.signing_secret)
        assert not isinstance(event, dict), f"the SDK did not type {body[:300]!r}"
        strict(type(event), json.loads(body))
        with pytest.raises(WebhookSignatureVerificationError):
            sdk.webhooks.verify_and_parse(body, headers, "wss_not_the_secret")
        assert event.event_type == json.loads(body)["eventType"] and event.event_id not in ids
        ids.add(event.event_id)
        run_id = getattr(event.payload, "workflow_run_id", None) or event.payload.id
        got.setdefault(run_id, []).append((event, body))

    events = got.pop(run.id)
    assert [type(e) for e, _ in events] == [WebhookEvent_WorkflowRunStepRunProcessed] * 3 + [WebhookEvent_WorkflowRunCompleted]
    steps = [e.payload for e, _ in events[:3]]
    assert [(s.step_type, s.step.name, s.status) for s in steps] == [
        ("PARSE", "Parse", "PROCESSED"), ("CLASSIFY", "Classify", "PROCESSED"), ("EXTRACT", "Extract invoice", "PROCESSED")]
    assert steps[0].result.parse_run.status == "PROCESSED"
    assert steps[1].result.classify_run.output.id == "invoice"
    assert steps[2].result.extract_run.output.value["invoice_number"] == "12345"
    completed, body = events[3]
    assert (completed.payload.id, completed.payload.status) == (run.id, "PROCESSED")
    assert [s.step_type for s in completed.payload.step_runs] == ["PARSE", "CLASSIFY", "EXTRACT"]
    assert [s.id for s in completed.payload.step_runs] == [s.id for s in steps]
    assert json.loads(body)["payload"] == raw(sdk.workflow_runs.with_raw_response.retrieve(run.id))

    [(failed, _)] = got.pop(failing.id)
    assert isinstance(failed, WebhookEvent_WorkflowRunFailed)
    assert (failed.payload.status, failed.payload.failure_reason) == ("FAILED", "FILE_TYPE_NOT_SUPPORTED")
    assert failed.payload.failure_message.startswith("Step `Parse` (PARSE) failed: ")
    assert [(s.step_type, s.status) for s in failed.payload.step_runs] == [("PARSE", "FAILED")]
    [(cancelled, _)] = got.pop(held.id)
    assert isinstance(cancelled, WebhookEvent_WorkflowRunCancelled)
    assert [(s.step_type, s.status) for s in cancelled.payload.step_runs] == [("PARSE", "CANCELLED")]
    assert cancelled.payload.status == "CANCELLED" and got == {}
