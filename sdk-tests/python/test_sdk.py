"""The official Python SDK (extend-ai, unmodified) against extend-mock."""

import os
import subprocess
import sys

import httpx
import pytest
from extend_ai import Extend
from extend_ai.core.api_error import ApiError
from extend_ai.errors import BadRequestError, UnauthorizedError
from extend_ai.processor_run.types.processor_run_list_response import ProcessorRunListResponse
from extend_ai.types.legacy_processor_run_summary import LegacyProcessorRunSummary

from conftest import MOCK, ROOT

ALL_A = ["exr_6", "exr_4", "exr_5", "exr_1", "exr_3", "exr_2"]


def client(token="key_a", **kwargs):
    return Extend(token=token, base_url=MOCK, **kwargs)


def strict_page(raw_response):
    """Validates a raw page with the SDK's pydantic models (not the lenient parse the
    SDK itself uses) and refuses fields the models do not declare."""
    body = raw_response.json()
    page = ProcessorRunListResponse.model_validate(body)
    assert set(body) <= {"success", "processorRuns", "nextPageToken"}, body.keys()
    for item in body["processorRuns"]:
        run = LegacyProcessorRunSummary.model_validate(item)
        assert run.model_extra == {}, f"undeclared fields: {run.model_extra}"
        assert run.status.value == item["status"], "a status the SDK does not know"
        assert run.type is None or run.type.value == item["type"], "a type the SDK does not know"
        assert run.created_at.utcoffset().total_seconds() == 0, "timestamps are UTC"
        assert run.updated_at >= run.created_at
    return page


def walk(sdk, **params):
    """Every page through the SDK, each validated strictly; returns ids and page count."""
    ids, token, pages = [], None, 0
    while True:
        raw = sdk.processor_run.with_raw_response.list(next_page_token=token, **params)
        strict_page(raw._response)
        pages += 1
        ids += [run.id for run in raw.data.processor_runs]
        token = raw.data.next_page_token
        if not token:
            return ids, pages


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"status": "PROCESSED"}, ["exr_6", "exr_1"]),
        ({"status": "CANCELLED"}, ["exr_5"]),
        ({"processor_id": "ex_inv"}, ["exr_6", "exr_4", "exr_1"]),
        ({"processor_type": "EXTRACT"}, ["exr_6", "exr_4", "exr_1"]),
        ({"processor_type": "SPLITTER"}, ["exr_3"]),
        ({"source_id": "wf_1"}, ["exr_4", "exr_1"]),
        ({"source": "WORKFLOW_RUN"}, ["exr_4", "exr_1"]),
        ({"source": "API"}, ["exr_2"]),
        ({"file_name_contains": "INVOICE"}, ["exr_4", "exr_1"]),
        ({"file_name_contains": "über"}, ["exr_6"]),
        ({"processor_type": "EXTRACT", "status": "PROCESSED"}, ["exr_6", "exr_1"]),
        ({"status": "PENDING", "source": "API"}, []),
    ],
)
def test_every_filter(seeded, params, expected):
    assert walk(client(), **params)[0] == expected


@pytest.mark.parametrize(
    "sort_by, sort_dir, expected",
    [
        (None, None, ALL_A),
        ("updatedAt", "asc", ["exr_2", "exr_3", "exr_1", "exr_5", "exr_4", "exr_6"]),
        ("createdAt", "asc", ["exr_1", "exr_6", "exr_2", "exr_3", "exr_4", "exr_5"]),
        ("createdAt", "desc", ["exr_5", "exr_4", "exr_3", "exr_2", "exr_6", "exr_1"]),
    ],
)
def test_both_sorts_in_both_directions(seeded, sort_by, sort_dir, expected):
    ids, pages = walk(client(), sort_by=sort_by, sort_dir=sort_dir, max_page_size=4)
    assert ids == expected
    assert pages == 2


def test_paging_through_the_built_in_fixtures(builtin):
    sdk = client("sk_test_acme")
    for size in (1, 7, 10, 40, 1000):
        ids, pages = walk(sdk, max_page_size=size)
        assert len(ids) == 40 and len(set(ids)) == 40, size
        assert pages == max(1, -(-40 // size)), size
    # The default page size is 10 and the last page carries no token.
    first = sdk.processor_run.list()
    assert len(first.processor_runs) == 10 and first.next_page_token


def test_an_organization_key_with_the_workspace_header(seeded):
    org = client("key_org_a")
    assert walk(org, extend_workspace_id="ws_a")[0] == ALL_A
    assert walk(org, extend_workspace_id="ws_b")[0] == ["exr_7"]
    with pytest.raises(BadRequestError) as err:
        org.processor_run.list()
    assert err.value.body["code"] == "INVALID_REQUEST"
    assert "x-extend-workspace-id" in err.value.body["message"]
    with pytest.raises(UnauthorizedError):
        org.processor_run.list(extend_workspace_id="ws_c")


def test_a_legacy_key_without_a_version_header(seeded):
    # The SDK always sends its version; without it a legacy key falls back and others fail.
    headers = {"Authorization": "Bearer key_legacy"}
    legacy = httpx.get(f"{MOCK}/processor_runs", headers=headers)
    assert legacy.status_code == 200
    strict_page(legacy)
    assert [r["id"] for r in legacy.json()["processorRuns"]] == ALL_A
    current = httpx.get(f"{MOCK}/processor_runs", headers={"Authorization": "Bearer key_a"})
    assert current.status_code == 400
    # And through the SDK, a legacy key works like any other.
    assert walk(client("key_legacy"))[0] == ALL_A


def test_the_sdk_error_classes(seeded):
    with pytest.raises(BadRequestError) as err:
        client().processor_run.list(status="BOGUS")
    body = err.value.body
    assert err.value.status_code == 400
    assert body["code"] == "INVALID_REQUEST" and "`status`" in body["message"]
    assert body["success"] is False and body["error"] == body["message"]
    assert body["requestId"] == err.value.headers["x-request-id"]

    with pytest.raises(BadRequestError):
        client().processor_run.list(max_page_size=1001)
    with pytest.raises(BadRequestError):
        client().processor_run.list(next_page_token="forged:token")
    with pytest.raises(UnauthorizedError) as err:
        client("sk_live_nope").processor_run.list()
    assert err.value.status_code == 401 and err.value.body["code"] == "UNAUTHORIZED"


def test_a_token_from_the_sdk_survives_a_round_trip_with_plus_signs(seeded):
    # Tokens are standard base64; the SDK percent-encodes them, so `+` arrives intact.
    sdk = client()
    tokens = []
    token = None
    while True:
        page = sdk.processor_run.list(max_page_size=1, next_page_token=token)
        token = page.next_page_token
        if not token:
            break
        tokens.append(token)
    assert len(tokens) == 5
    assert all(":" in t for t in tokens)


def journal_statuses():
    return [e["status"] for e in httpx.get(f"{MOCK}/_mock/requests").json()["requests"]]


def test_the_sdk_retries_an_injected_429_honouring_retry_after(seeded):
    httpx.post(f"{MOCK}/_mock/faults", json={"path": "/processor_runs", "status": 429}).raise_for_status()
    assert [r.id for r in client().processor_run.list().processor_runs] == ALL_A
    assert journal_statuses() == [429, 200]


def test_the_sdk_retries_an_injected_500(seeded):
    httpx.post(f"{MOCK}/_mock/faults", json={"status": 500, "count": 2}).raise_for_status()
    assert len(client().processor_run.list().processor_runs) == 6
    assert journal_statuses() == [500, 500, 200]


def test_the_sdk_gives_up_after_its_retries(seeded):
    httpx.post(f"{MOCK}/_mock/faults", json={"status": 503, "count": 10, "retryAfter": 0}).raise_for_status()
    with pytest.raises(ApiError) as err:
        client().processor_run.list()
    assert err.value.status_code == 503
    assert err.value.body["code"] == "SERVICE_UNAVAILABLE" and err.value.body["retryable"] is True
    assert journal_statuses() == [503, 503, 503]  # the first try and two retries


def test_the_python_example_runs(builtin):
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, "examples", "python", "list_runs.py")],
        capture_output=True, text=True, check=True, env={**os.environ, "EXTEND_MOCK_URL": MOCK},
    ).stdout.splitlines()
    # ws_acme's processed runs, the rejected call, the organization key's count, a full run,
    # a created run once it is done.
    assert len(out) == 16 + 4
    assert out[-4].startswith("rejected: 400 Invalid query parameter `status`")
    assert out[-3] == "ws_globex runs: 20"
    assert out[-2].startswith("full run: ") and " EXTRACT " in out[-2]
    assert out[-1].startswith("created run: exr_") and out[-1].endswith(" PROCESSED 1.0")


def test_the_curl_example_runs(builtin):
    out = subprocess.run(
        ["sh", os.path.join(ROOT, "examples", "curl.sh")],
        capture_output=True, text=True, check=True, env={**os.environ, "EXTEND_MOCK_URL": MOCK},
    ).stdout.splitlines()
    import json

    first, second, org, full, created = (json.loads(line) for line in out)
    assert created["processorRun"]["status"] == "PROCESSED"
    assert created["processorRun"]["files"][0]["name"] == "Invoice_2024_05.pdf"
    assert full["processorRun"]["id"] == first["processorRuns"][0]["id"]
    assert full["processorRun"]["object"] == "document_processor_run"
    assert len(first["processorRuns"]) == 5 and first["nextPageToken"]
    assert {r["id"] for r in first["processorRuns"]}.isdisjoint(r["id"] for r in second["processorRuns"])
    assert all(r["status"] == "PROCESSED" for r in first["processorRuns"] + second["processorRuns"])
    assert org["success"] is True


def test_an_endpoint_that_is_not_emulated_says_so(builtin):
    with pytest.raises(ApiError) as err:
        client().verify_runs.retrieve("vr_1")
    assert err.value.status_code == 501
    assert err.value.body["code"] == "NOT_IMPLEMENTED"
    assert err.value.body["message"].startswith("`GET /verify_runs/vr_1` is part of the Extend API")
