"""The full run (get) and delete through the official Python SDK, unmodified."""

import httpx
import pytest
from extend_ai import Extend
from extend_ai.errors import NotFoundError
from extend_ai.processor_run.types.processor_run_delete_response import ProcessorRunDeleteResponse
from extend_ai.processor_run.types.processor_run_get_response import ProcessorRunGetResponse
from extend_ai.types.legacy_classifier_output import LegacyClassifierOutput
from extend_ai.types.legacy_json_output import LegacyJsonOutput
from extend_ai.types.legacy_processor_run import LegacyProcessorRun
from extend_ai.types.legacy_splitter_output import LegacySplitterOutput

from conftest import MOCK

OUTPUT_MODELS = {
    "EXTRACT": LegacyJsonOutput,
    "CLASSIFY": LegacyClassifierOutput,
    "SPLITTER": LegacySplitterOutput,
}


def client(token):
    return Extend(token=token, base_url=MOCK)


def strict_run(body):
    """Validates a raw full run with the SDK's pydantic model (not the SDK's
    lenient parse), refusing undeclared fields, and its output with the
    model its type calls for."""
    run = LegacyProcessorRun.model_validate(body)
    assert run.model_extra == {}, f"undeclared fields: {run.model_extra}"
    assert run.status.value == body["status"]
    if body["status"] == "PROCESSED":
        output = OUTPUT_MODELS[body["type"]].model_validate(body["output"])
        assert output.model_extra == {}, output.model_extra
    else:
        assert body["output"] == {}
    if body["status"] == "FAILED":
        assert run.failure_reason and run.failure_message
    return run


def every_run(sdk):
    ids, token = [], None
    while True:
        page = sdk.processor_run.list(max_page_size=1000, next_page_token=token)
        ids += [r for r in page.processor_runs]
        token = page.next_page_token
        if not token:
            return ids


@pytest.mark.parametrize("key", ["sk_test_acme", "sk_test_globex", "sk_test_initech"])
def test_every_built_in_run_validates_strictly(builtin, key):
    sdk = client(key)
    summaries = every_run(sdk)
    assert summaries
    for summary in summaries:
        raw = sdk.processor_run.with_raw_response.get(summary.id)
        body = raw._response.json()
        assert body["success"] is True
        envelope = ProcessorRunGetResponse.model_validate(body)
        assert envelope.model_extra == {}, envelope.model_extra
        run = strict_run(body["processorRun"])
        # The fields the summary and the full run share are equal.
        assert run.id == summary.id
        assert run.status == summary.status
        assert run.processor_id == summary.processor_id
        assert run.processor_name == summary.processor_name
        assert run.processor_version_id == summary.processor_version_id
        assert summary.type is None or run.type.value == summary.type.value
        assert run.usage == summary.usage
        assert run.files[0].name and run.files[0].id.startswith("file_")
        assert run.url == f"https://dashboard.extend.ai/runs/{run.id}"
        # What the SDK itself parses agrees.
        assert raw.data.processor_run.id == summary.id


def test_an_unknown_run_is_the_sdks_not_found_error(builtin):
    sdk = client("sk_test_acme")
    for run_id in ["exr_does_not_exist", globex_run()]:
        with pytest.raises(NotFoundError) as err:
            sdk.processor_run.get(run_id)
        assert err.value.body["code"] == "NOT_FOUND"
        assert err.value.body["message"] == f"Processor run `{run_id}` not found"
        with pytest.raises(NotFoundError):
            sdk.processor_run.delete(run_id)


def globex_run():
    return client("sk_test_globex").processor_run.list(max_page_size=1).processor_runs[0].id


def test_delete_then_get(builtin):
    sdk = client("sk_test_acme")
    victim = sdk.processor_run.list(max_page_size=1).processor_runs[0].id
    raw = sdk.processor_run.with_raw_response.delete(victim)
    strict = ProcessorRunDeleteResponse.model_validate(raw._response.json())
    assert strict.model_extra == {}, strict.model_extra
    answer = raw.data
    assert answer.success is True
    assert answer.document_processor_run_id == victim
    assert answer.message == "Document processor run data has been successfully deleted."
    with pytest.raises(NotFoundError):
        sdk.processor_run.get(victim)
    assert victim not in [r.id for r in every_run(sdk)]
    httpx.post(f"{MOCK}/_mock/reset").raise_for_status()
    assert sdk.processor_run.get(victim).processor_run.id == victim


def test_an_organization_key_reads_a_run_of_the_workspace_it_names(builtin):
    run_id = globex_run()
    org = client("sk_test_org")
    assert org.processor_run.get(run_id, extend_workspace_id="ws_globex").processor_run.id == run_id
    with pytest.raises(NotFoundError):
        org.processor_run.get(run_id, extend_workspace_id="ws_acme")


def test_the_v1_alias(builtin):
    sdk = client("sk_test_acme")
    run_id = sdk.processor_run.list(max_page_size=1).processor_runs[0].id
    headers = {"Authorization": "Bearer sk_test_acme", "x-extend-api-version": "2026-02-09"}
    current = httpx.get(f"{MOCK}/processor_runs/{run_id}", headers=headers).json()
    legacy = httpx.get(f"{MOCK}/v1/processor_runs/{run_id}", headers=headers).json()
    assert legacy == current
    strict_run(legacy["processorRun"])
