"""The processor catalogue through the official Python SDK, unmodified:
list, create, clone, update, publish and read versions. Every answer is also
validated strictly with the SDK's own pydantic models (no undeclared fields)."""

import pytest
from extend_ai import Extend
from extend_ai.errors import BadRequestError, NotFoundError
from extend_ai.processor.types.processor_create_response import ProcessorCreateResponse
from extend_ai.processor.types.processor_update_response import ProcessorUpdateResponse
from extend_ai.processor_version.types.processor_version_create_response import ProcessorVersionCreateResponse
from extend_ai.processor_version.types.processor_version_get_response import ProcessorVersionGetResponse
from extend_ai.processor_version.types.processor_version_list_response import ProcessorVersionListResponse
from extend_ai.types.legacy_list_processors_response import LegacyListProcessorsResponse

from conftest import MOCK, strict

SCHEMA = {
    "type": "object",
    "properties": {
        "invoice_number": {"type": "string"},
        "total": {"type": "number"},
        "due_date": {"type": "string", "format": "date"},
    },
    "required": ["invoice_number", "total"],
}


def client(token="key_a"):
    return Extend(token=token, base_url=MOCK)


def test_the_catalogue_derived_from_the_runs_lists_through_the_sdk(seeded):
    sdk = client()
    listed = sdk.processor.list(sort_by="createdAt", sort_dir="asc")
    assert [p.id for p in listed.processors] == ["ex_inv", "ex_cls", "ex_split", "ex_old"]
    assert listed.next_page_token is None
    assert [v.version for v in listed.processors[0].versions] == ["draft", "1.0"]
    raw = sdk.processor.with_raw_response.list(type="CLASSIFY")
    body = raw._response.json()
    strict(LegacyListProcessorsResponse, body)
    assert [p["id"] for p in body["processors"]] == ["ex_cls"]


def test_pages_walk_every_processor_once(seeded):
    sdk = client()
    for n in range(5):
        sdk.processor.create(name=f"Extra {n}", type="EXTRACT", config={"type": "EXTRACT", "schema": SCHEMA})
    everything = [p.id for p in sdk.processor.list(max_page_size=100).processors]
    assert len(everything) == 9
    walked, token = [], None
    while True:
        page = sdk.processor.list(max_page_size=2, next_page_token=token)
        walked += [p.id for p in page.processors]
        token = page.next_page_token
        if not token:
            break
    assert walked == everything


def test_create_update_publish_and_read(seeded):
    sdk = client()
    raw = sdk.processor.with_raw_response.create(
        name="Invoices", type="EXTRACT", config={"type": "EXTRACT", "schema": SCHEMA}
    )
    created = strict(ProcessorCreateResponse, raw._response.json()).processor
    assert created.id.startswith("ex_")
    assert created.draft_version.version == "draft"
    assert created.draft_version.config.schema_ == SCHEMA

    raw = sdk.processor.with_raw_response.update(created.id, name="Invoices v2")
    updated = strict(ProcessorUpdateResponse, raw._response.json()).processor
    assert updated.name == "Invoices v2"
    assert updated.updated_at >= created.updated_at

    numbers = []
    for release in ["major", "minor", "major"]:
        raw = sdk.processor_version.with_raw_response.create(
            created.id, release_type=release, description=f"a {release} release"
        )
        version = strict(ProcessorVersionCreateResponse, raw._response.json()).processor_version
        numbers.append(version.version)
        raw = sdk.processor_version.with_raw_response.get(created.id, version.id)
        got = strict(ProcessorVersionGetResponse, raw._response.json()).version
        assert got == version
    assert numbers == ["1.0", "1.1", "2.0"]

    raw = sdk.processor_version.with_raw_response.list(created.id)
    versions = strict(ProcessorVersionListResponse, raw._response.json()).versions
    assert [v.version for v in versions] == ["draft", "2.0", "1.1", "1.0"]
    assert all(v.processor_name == "Invoices v2" for v in versions)


def test_clone_and_classifier_configs(seeded):
    sdk = client()
    classifications = [
        {"id": "inv", "type": "invoice", "description": "An invoice"},
        {"id": "w2", "type": "w2", "description": "A W-2 form"},
    ]
    source = sdk.processor.create(
        name="Sorter", type="CLASSIFY", config={"type": "CLASSIFY", "classifications": classifications}
    ).processor
    clone = sdk.processor.create(name="Sorter copy", type="CLASSIFY", clone_processor_id=source.id).processor
    assert clone.id != source.id
    assert [c.id for c in clone.draft_version.config.classifications] == ["inv", "w2"]


def test_errors_are_the_sdks_named_errors(seeded):
    sdk = client()
    with pytest.raises(BadRequestError) as bad:
        sdk.processor.create(name="x", type="CLASSIFY", config={"type": "CLASSIFY"})
    assert "config.classifications" in bad.value.body["message"]
    with pytest.raises(NotFoundError) as missing:
        sdk.processor_version.list("ex_missing")
    assert missing.value.body["message"] == "Processor `ex_missing` not found"
    with pytest.raises(NotFoundError):
        sdk.processor_version.get("ex_inv", "exv_missing")
    # Another workspace's processor is missing, word for word.
    with pytest.raises(NotFoundError) as foreign:
        client("key_org_a").processor_version.list("ex_cls", extend_workspace_id="ws_b")
    assert foreign.value.body["message"] == "Processor `ex_cls` not found"
