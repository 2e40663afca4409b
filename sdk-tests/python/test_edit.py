"""Edit runs and form detection of API 2026-02-09 through the official Python SDK, unmodified: the
sync `POST /edit` and `POST /detect_form`, `/edit_runs` (create_and_poll, retrieve, list, delete),
`/form_detection_runs` (create, retrieve), the deprecated `/edit_schemas/generate` and
`/edit_templates` (list, retrieve, edit by `templateId`), and the `edit_run.*` webhooks. The forms
are made here with reportlab's AcroForm; each edited file is downloaded through its presigned link
and its fields read back with pypdf. Every raw answer is validated strictly with the SDK's own
pydantic models, at every object level."""

import io
import json
import time

import httpx
import pytest
from pypdf import PdfReader
from reportlab.pdfgen import canvas

from extend_ai import Extend, PollingOptions
from extend_ai.edit_runs.types.edit_runs_delete_response import EditRunsDeleteResponse
from extend_ai.edit_runs.types.edit_runs_list_response import EditRunsListResponse
from extend_ai.edit_templates.types.edit_templates_list_response import EditTemplatesListResponse
from extend_ai.errors import BadRequestError, NotFoundError
from extend_ai.types.edit_bounding_box import EditBoundingBox
from extend_ai.types.edit_config import EditConfig
from extend_ai.types.edit_json_extend_edit_field_type import EditJsonExtendEditFieldType
from extend_ai.types.edit_root_json import EditRootJson
from extend_ai.types.edit_run import EditRun
from extend_ai.types.edit_schema_generation_response import EditSchemaGenerationResponse
from extend_ai.types.edit_source_acro_form import EditSourceAcroForm
from extend_ai.types.edit_source_acro_form_option import EditSourceAcroFormOption
from extend_ai.types.edit_template import EditTemplate
from extend_ai.types.form_detection_run import FormDetectionRun
from extend_ai.types.webhook_event import (
    WebhookEvent_EditRunFailed,
    WebhookEvent_EditRunProcessed,
    WebhookEvent_FormDetectionRunProcessed,
)

from conftest import MOCK, SEED, strict
from test_webhooks import make_endpoint, receiver  # noqa: F401  (receiver is a fixture)

FAST = PollingOptions(max_wait_ms=30_000, fast_poll_interval_ms=100, jitter_fraction=0)
RUN_KEYS = {"object", "id", "file", "status", "failureReason", "failureMessage", "config", "output",
            "metrics", "usage"}
DEFAULTS = {"tableParsingEnabled": False, "flattenPdf": True, "radioEnumsEnabled": True,
            "nativeFieldsOnly": False, "conditionalGenerationEnabled": False}
TEMPLATES = [
    {"id": "edt_w9", "workspaceId": "ws_a", "name": "W-9 Template", "description": "Fill a W-9 form",
     "fileName": "W-9.pdf",
     "fields": [{"name": "name", "label": "Name", "type": "text"},
                {"name": "exempt", "label": "Exempt payee", "type": "checkbox"},
                {"name": "tax_class", "label": "Tax classification", "type": "radio",
                 "options": ["Individual", "C Corporation"]}],
     "config": {"instructions": "name as Saved Name. leave all other fields blank",
                "advancedOptions": {"flattenPdf": False}},
     "createdAt": "2026-01-01T00:00:00Z"},
    {"id": "edt_nda", "workspaceId": "ws_a", "name": "Mutual NDA", "fileName": "NDA.pdf",
     "fields": [{"name": "counterparty", "type": "text"}], "createdAt": "2026-01-02T00:00:00Z"},
    {"id": "edt_other", "workspaceId": "ws_b", "name": "Other W-9", "fileName": "w9.pdf",
     "fields": [{"name": "name", "type": "text"}]},
]
MEMBERSHIP = ("Fill the member name as Ada Lovelace. Check newsletter. Set the Gold tier. "
              "Leave all other fields blank.")


@pytest.fixture()
def templates():
    """SEED with the edit templates above as the whole state; the start-up state again afterwards."""
    httpx.put(f"{MOCK}/_mock/fixtures", json={**SEED, "editTemplates": TEMPLATES}).raise_for_status()
    httpx.delete(f"{MOCK}/_mock/requests").raise_for_status()
    yield
    httpx.delete(f"{MOCK}/_mock/faults").raise_for_status()
    httpx.post(f"{MOCK}/_mock/reset").raise_for_status()


def client(token="key_a"):
    return Extend(token=token, base_url=MOCK)


def membership_form():
    """A Letter page whose AcroForm has `member_name` (text, tooltip "Member name"), `newsletter`
    (checkbox) and `tier` (radio: Silver, Gold), as reportlab makes them."""
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=(612, 792))
    page.drawString(72, 740, "Membership application")
    form = page.acroForm
    form.textfield(name="member_name", tooltip="Member name", x=100, y=680, width=200, height=20)
    form.checkbox(name="newsletter", tooltip="Newsletter", x=100, y=640, size=12, checked=False)
    form.radio(name="tier", value="Silver", selected=False, x=100, y=600, size=12)
    form.radio(name="tier", value="Gold", selected=False, x=150, y=600, size=12)
    page.showPage()
    page.save()
    return out.getvalue()


def letter():
    """A one-page PDF without a form."""
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=(612, 792))
    page.drawString(72, 740, "Dear reader, this page has no form.")
    page.showPage()
    page.save()
    return out.getvalue()


def read_back(pdf):
    """Each field's fully qualified name: its `/V` as pypdf reads it (a name as `/Yes`) and `/Ff`."""
    fields = PdfReader(io.BytesIO(pdf)).get_fields()
    return {name: (str(f.get("/V", "")), int(f.get("/Ff", 0))) for name, f in fields.items()}


def widget_states(pdf):
    """Each button widget's field and its appearance state, in page order."""
    out = []
    for annot in PdfReader(io.BytesIO(pdf)).pages[0]["/Annots"]:
        annot = annot.get_object()
        if "/AS" in annot:
            name = annot.get("/T") or annot["/Parent"].get_object()["/T"]
            out.append((str(name), str(annot["/AS"])))
    return out


def download(url):
    """The edited file, by its presigned link alone (no API key)."""
    got = httpx.get(url)
    assert (got.status_code, got.headers["content-type"]) == (200, "application/pdf")
    assert got.content.startswith(b"%PDF-")
    return got.content


def check_run(body, status="PROCESSED"):
    """An EditRun, strictly: its keys, its kind, and what its status says is there."""
    run = strict(EditRun, body)
    assert set(body) == RUN_KEYS
    assert (body["object"], body["status"]) == ("edit_run", status) and run.id.startswith("edr_")
    if status == "PROCESSED":
        assert (body["failureReason"], body["failureMessage"]) == (None, None)
        assert body["usage"] == {"credits": 1.0, "totalCredits": 1.0}
    else:
        assert (body["output"], body["metrics"], body["usage"]) == (None, None, None)
    return run


def without_link(run):
    """A run as JSON without its edited file's presigned link, which is minted anew for each answer
    (expiring 15 minutes after it), so two reads of a run may differ by it alone."""
    body = run.model_dump(mode="json", by_alias=True) if isinstance(run, EditRun) else json.loads(json.dumps(run))
    if body.get("output"):
        body["output"]["editedFile"].pop("presignedUrl")
    return body


def check_detection(body, status="PROCESSED"):
    run = strict(FormDetectionRun, body)
    assert set(body) == RUN_KEYS
    assert (body["object"], body["status"]) == ("form_detection_run", status) and run.id.startswith("sgr_")
    return run


def retrieve_until_ended(retrieve, run_id):
    """Polls `retrieve` until the run is no longer PROCESSING (bounded, not a timing assertion)."""
    started = time.monotonic()
    while (run := retrieve(run_id)).status == "PROCESSING":
        assert time.monotonic() - started < 30, f"{run_id} still PROCESSING"
        time.sleep(0.05)
    return run


def test_sync_edit_of_a_url_fills_a_form_of_the_schema_as_instructed(seeded):
    sdk = client()
    schema = {"type": "object", "properties": {
        "patient_name": {"type": ["string", "null"], "description": "Patient name"},
        "insured": {"type": ["boolean", "null"]},
        "visit": {"enum": ["New", "Follow-up"], "extend_edit_field_type": "dropdown"}}}
    instructions = "patient name as Sam Lee. check insured. visit: Follow-up"
    raw = sdk.with_raw_response.edit(file={"url": "https://example.com/forms/intake.pdf"},
                                     config={"schema": schema, "instructions": instructions})
    body = raw._response.json()
    run = check_run(body)
    assert run == raw.data
    assert run.output.filled_values == {"patient_name": "Sam Lee", "insured": True, "visit": "Follow-up"}
    # The SDK sent its snake_case key under the wire name; the run keeps the config as given, defaults added.
    assert body["config"] == {
        "engineVersion": "1.0.0", "instructions": instructions, "advancedOptions": DEFAULTS,
        "schema": {**schema, "properties": {**schema["properties"], "visit": {
            "enum": ["New", "Follow-up"], "extend_edit:field_type": "dropdown"}}}}
    assert run.config.schema_.properties["visit"].extend_edit_field_type is EditJsonExtendEditFieldType.DROPDOWN
    assert (run.file.name, run.file.type, run.file.metadata.page_count) == ("intake.pdf", "PDF", 1)
    assert (run.metrics.page_count, run.metrics.field_count, run.metrics.fields_detected_count) == (1, 3, 3)

    pdf = download(run.output.edited_file.presigned_url)
    values = read_back(pdf)
    assert {name: value for name, (value, _) in values.items()} == {
        "patient_name": "Sam Lee", "insured": "/Yes", "visit": "Follow-up"}
    assert all(flags & 1 for _, flags in values.values())  # flattenPdf by default: read-only
    # The edited file is a file of the workspace; the run reads the same again.
    edited = sdk.files.retrieve(run.output.edited_file.id)
    assert (edited.name, edited.type) == ("intake_edited.pdf", "PDF")
    again = sdk.edit_runs.with_raw_response.retrieve(run.id)._response.json()
    assert check_run(again).output.filled_values == run.output.filled_values
    assert again["output"]["editedFile"]["id"] == body["output"]["editedFile"]["id"]
    with pytest.raises(NotFoundError):
        client("key_org_a").edit_runs.retrieve(run.id, extend_workspace_id="ws_b")


def test_create_and_poll_fills_an_uploaded_reportlab_form_flattened_or_not(seeded):
    sdk = client()
    original = membership_form()
    before = read_back(original)
    assert before == {"member_name": ("", 0), "newsletter": ("/Off", 2), "tier": ("", 49154)}
    upload = sdk.files.upload(file=("membership.pdf", original, "application/pdf"))
    assert (upload.type, upload.metadata.page_count) == ("PDF", 1)
    wanted = {"member_name": "Ada Lovelace", "newsletter": True, "tier": "Gold"}
    read = {"member_name": "Ada Lovelace", "newsletter": "/Yes", "tier": "/Gold"}

    run = sdk.edit_runs.create_and_poll(file={"id": upload.id}, config={"instructions": MEMBERSHIP},
                                        polling_options=FAST)
    body = sdk.edit_runs.with_raw_response.retrieve(run.id)._response.json()
    assert without_link(check_run(body)) == without_link(run)
    assert (run.file.id, run.output.filled_values) == (upload.id, wanted)
    assert body["config"] == {"engineVersion": "1.0.0", "instructions": MEMBERSHIP, "advancedOptions": DEFAULTS}
    pdf = download(run.output.edited_file.presigned_url)
    # Default flattenPdf: the values are there, every field is read-only (/Ff bit 1), its flags kept.
    assert read_back(pdf) == {name: (read[name], flags | 1) for name, (_, flags) in before.items()}
    assert widget_states(pdf) == [("newsletter", "/Yes"), ("tier", "/Off"), ("tier", "/Gold")]
    assert PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/AcroForm"]["/NeedAppearances"].value is True

    kept = sdk.edit_runs.create_and_poll(
        file={"id": upload.id}, config={"instructions": MEMBERSHIP, "advanced_options": {"flatten_pdf": False}},
        polling_options=FAST)
    assert (kept.status, kept.output.filled_values) == ("PROCESSED", wanted)
    assert kept.config.advanced_options.flatten_pdf is False
    assert read_back(download(kept.output.edited_file.presigned_url)) == {
        name: (read[name], flags) for name, (_, flags) in before.items()}
    # The uploaded form itself is as it was.
    assert read_back(httpx.get(sdk.files.retrieve(upload.id).presigned_url).content) == before


def test_detect_form_types_the_schema_and_an_edit_takes_it_back(seeded):
    sdk = client()
    upload = sdk.files.upload(file=("membership.pdf", membership_form(), "application/pdf"))
    raw = sdk.with_raw_response.detect_form(file={"id": upload.id})
    body = raw._response.json()
    run = check_detection(body)
    assert run == raw.data
    assert body["config"] == {"engineVersion": "1.0.0", "advancedOptions": {
        "tableParsingEnabled": False, "radioEnumsEnabled": True, "nativeFieldsOnly": False,
        "conditionalGenerationEnabled": False}}
    assert (body["output"]["annotatedSchema"], body["output"]["mappingResult"]) == (body["output"]["schema"], None)
    schema = run.output.schema_
    assert isinstance(schema, EditRootJson) and (schema.type, schema.required) == ("object", [])
    assert sorted(schema.properties) == ["member_name", "newsletter", "tier"]
    name, news, tier = (schema.properties[k] for k in ("member_name", "newsletter", "tier"))
    # Boxes from the top left of the 792-point page: rect [100 680 300 700] is top 92, bottom 112.
    assert (name.type, name.description, name.extend_edit_field_type, name.extend_edit_page_index) == \
        (["string", "null"], "Member name", EditJsonExtendEditFieldType.TEXT, 0)
    assert name.extend_edit_bbox == EditBoundingBox(left=100, top=92, right=300, bottom=112)
    assert name.extend_edit_source_acroform == EditSourceAcroForm(field_name="member_name", field_type="text")
    assert (news.type, news.description, news.extend_edit_field_type, news.extend_edit_page_index) == \
        (["boolean", "null"], "Newsletter", EditJsonExtendEditFieldType.CHECKBOX, 0)
    assert news.extend_edit_bbox == EditBoundingBox(left=100, top=140, right=112, bottom=152)
    assert (news.extend_edit_source_acroform.field_name, news.extend_edit_source_acroform.field_type,
            news.extend_edit_source_acroform.option_value) == ("newsletter", "checkbox", "Yes")
    assert (tier.type, tier.enum, tier.extend_descriptions, tier.extend_edit_field_type, tier.extend_edit_bbox) == \
        (None, ["Silver", "Gold"], ["Silver", "Gold"], EditJsonExtendEditFieldType.RADIO, None)
    assert tier.extend_edit_bboxes == [EditBoundingBox(left=100, top=180, right=112, bottom=192),
                                       EditBoundingBox(left=150, top=180, right=162, bottom=192)]
    assert tier.extend_edit_source_acroform == EditSourceAcroForm(
        field_name="tier", field_type="radio",
        option_map=[EditSourceAcroFormOption(schema_value=v, export_value=v, display_value=v)
                    for v in ("Silver", "Gold")])
    assert (run.metrics.page_count, run.metrics.field_count, run.metrics.fields_detected_count,
            run.metrics.fields_annotated_count) == (1, 3, 3, 3)
    assert "fieldFillingTimeMs" not in body["metrics"]

    # The typed schema goes back into an edit as it is; its source_acroform binds each property.
    edited = sdk.edit(file={"id": upload.id}, config={"schema": schema, "instructions": MEMBERSHIP})
    assert edited.config.schema_ == schema
    assert edited.output.filled_values == {"member_name": "Ada Lovelace", "newsletter": True, "tier": "Gold"}


def test_form_detection_runs_and_the_deprecated_schema_generation_answer_the_same(seeded):
    sdk = client()
    upload = sdk.files.upload(file=("membership.pdf", membership_form(), "application/pdf"))
    detected = sdk.with_raw_response.detect_form(file={"id": upload.id})._response.json()["output"]["schema"]

    made = sdk.form_detection_runs.with_raw_response.create(file={"id": upload.id})._response.json()
    started = check_detection(made, "PROCESSING")
    assert (made["output"], made["metrics"], made["failureReason"]) == (None, None, None)
    ended = retrieve_until_ended(sdk.form_detection_runs.retrieve, started.id)
    body = sdk.form_detection_runs.with_raw_response.retrieve(started.id)._response.json()
    assert check_detection(body) == ended and body["output"]["schema"] == detected

    # Without radio enums a radio group is one boolean per choice, each bound to its option.
    split = sdk.form_detection_runs.create(file={"id": upload.id},
                                           config={"advanced_options": {"radio_enums_enabled": False}})
    split = retrieve_until_ended(sdk.form_detection_runs.retrieve, split.id)
    assert split.config.advanced_options.radio_enums_enabled is False
    props = split.output.schema_.properties
    assert sorted(props) == ["member_name", "newsletter", "tier_gold", "tier_silver"]
    for key, choice in (("tier_silver", "Silver"), ("tier_gold", "Gold")):
        assert props[key].type == ["boolean", "null"]
        assert props[key].extend_edit_source_acroform == EditSourceAcroForm(
            field_name="tier", field_type="radio", option_value=choice)

    input_schema = {"type": "object", "properties": {
        "member": {"type": "object", "properties": {"name": {"type": "string"}}}, "ssn": {"type": "string"}}}
    bare = sdk.edit_schemas.with_raw_response.generate(file={"id": upload.id})._response.json()
    assert strict(EditSchemaGenerationResponse, bare) == sdk.edit_schemas.generate(file={"id": upload.id})
    assert bare == {"schema": detected, "annotatedSchema": detected, "mappingResult": None}
    mapped = sdk.edit_schemas.generate(file={"id": upload.id}, config={"input_schema": input_schema})
    assert mapped.schema_ == ended.output.schema_
    assert [(m.input_path, m.form_field_key) for m in mapped.mapping_result.matches] == [("member.name", "member_name")]
    assert (mapped.mapping_result.unmatched_input_paths, mapped.mapping_result.unused_form_field_keys) == \
        (["ssn"], ["newsletter", "tier"])


def test_what_is_not_a_pdf_form_fails_as_the_api_says(seeded):
    sdk = client()
    text = sdk.files.upload(file=("notes.txt", b"just text", "text/plain"))
    plain = sdk.files.upload(file=("letter.pdf", letter(), "application/pdf"))
    cases = [
        (text.id, "FILE_TYPE_NOT_SUPPORTED", "File type not supported. Edit runs currently require a PDF."),
        (plain.id, "EMPTY_SCHEMA", "No schema was provided and no fields could be detected."),
    ]
    for file_id, reason, message in cases:
        body = sdk.with_raw_response.edit(file={"id": file_id})._response.json()
        run = check_run(body, "FAILED")
        assert (run.file.id, run.failure_reason, run.failure_message) == (file_id, reason, message)
        polled = sdk.edit_runs.create_and_poll(file={"id": file_id}, polling_options=FAST)
        assert (polled.status, polled.failure_reason, polled.failure_message) == ("FAILED", reason, message)
    detection = check_detection(sdk.with_raw_response.detect_form(file={"id": text.id})._response.json(), "FAILED")
    assert (detection.failure_reason, detection.failure_message) == (
        "FILE_TYPE_NOT_SUPPORTED", "File type not supported. Form schema detection currently requires a PDF.")
    # A form-less PDF with a schema: processed, nothing filled (no filledValues), no form added.
    body = sdk.with_raw_response.edit(file={"id": plain.id}, config={"schema": {"type": "object", "properties": {
        "name": {"type": "string", "extend_edit_value": "X"}}}})._response.json()
    assert set(body["output"]) == {"editedFile"} and check_run(body).output.filled_values is None
    assert PdfReader(io.BytesIO(download(body["output"]["editedFile"]["presignedUrl"]))).get_fields() is None
    with pytest.raises(NotFoundError):
        sdk.edit(file={"id": "file_nope"})
    with pytest.raises(BadRequestError) as refused:
        sdk.edit(file={"id": plain.id}, template_id="edt_w9")
    assert ": templateId:" in refused.value.body["message"]


def test_edit_runs_are_listed_by_status_in_pages_and_deleted(seeded):
    sdk = client()
    ids = []
    for name in ("a.pdf", "b.pdf", "Lease__fail__.pdf"):
        made = sdk.edit_runs.with_raw_response.create(file={"url": f"https://example.com/{name}"})._response.json()
        ids.append(check_run(made, "PROCESSING").id)
        assert (made["output"], made["metrics"]) == (None, None)
    sdk.form_detection_runs.create(file={"url": "https://example.com/c.pdf"})  # not an edit run
    ended = [retrieve_until_ended(sdk.edit_runs.retrieve, i) for i in ids]
    assert [r.status for r in ended] == ["PROCESSED", "PROCESSED", "FAILED"]

    body = sdk.edit_runs.with_raw_response.list(max_page_size=2)._response.json()
    page = strict(EditRunsListResponse, body)
    assert set(body) == {"object", "data", "nextPageToken"} and body["object"] == "list"
    assert [r.id for r in page.data] == [ids[2], ids[1]]
    assert all(set(r) == {"object", "id", "file", "status", "failureReason", "failureMessage", "metrics",
                          "usage", "createdAt", "updatedAt"} for r in body["data"])
    rest = sdk.edit_runs.with_raw_response.list(max_page_size=2, next_page_token=page.next_page_token)._response.json()
    assert [r.id for r in strict(EditRunsListResponse, rest).data] == [ids[0]] and "nextPageToken" not in rest

    failed = sdk.edit_runs.list(status="FAILED").data
    assert [(r.id, r.failure_reason, r.metrics) for r in failed] == [(ids[2], "FILE_TYPE_NOT_SUPPORTED", None)]
    assert [r.id for r in sdk.edit_runs.list(status="PROCESSED").data] == [ids[1], ids[0]]
    assert [r.id for r in sdk.edit_runs.list(file_name_contains="LEASE", sort_dir="asc").data] == [ids[2]]
    assert sdk.edit_runs.list(source="STUDIO").data == []
    with pytest.raises(BadRequestError):
        sdk.edit_runs.list(status="DONE")

    deleted = sdk.edit_runs.with_raw_response.delete(ids[0])._response.json()
    assert strict(EditRunsDeleteResponse, deleted).id == ids[0] and deleted == {"id": ids[0]}
    with pytest.raises(NotFoundError) as missing:
        sdk.edit_runs.retrieve(ids[0])
    assert missing.value.status_code == 404
    with pytest.raises(NotFoundError):
        sdk.edit_runs.delete(ids[0])
    assert [r.id for r in sdk.edit_runs.list().data] == [ids[2], ids[1]]


def test_templates_are_listed_read_and_edit_with_their_saved_config(templates):
    sdk = client()
    body = sdk.edit_templates.with_raw_response.list()._response.json()
    listed = strict(EditTemplatesListResponse, body)
    assert [(t.id, t.name, t.description) for t in listed.data] == [
        ("edt_nda", "Mutual NDA", None), ("edt_w9", "W-9 Template", "Fill a W-9 form")]
    assert set(body["data"][0]) == {"object", "id", "name", "description", "file", "createdAt", "updatedAt"}
    assert [t.id for t in sdk.edit_templates.list(name_contains="w-9").data] == ["edt_w9"]
    assert sdk.edit_templates.list(name_contains="lease").data == []
    first = sdk.edit_templates.list(max_page_size=1, sort_dir="asc")
    assert [t.id for t in first.data] == ["edt_w9"] and first.next_page_token
    rest = sdk.edit_templates.list(max_page_size=1, sort_dir="asc", next_page_token=first.next_page_token)
    assert ([t.id for t in rest.data], rest.next_page_token) == (["edt_nda"], None)
    org = client("key_org_a")
    assert [t.id for t in org.edit_templates.list(extend_workspace_id="ws_b").data] == ["edt_other"]
    assert org.edit_templates.retrieve("edt_other", extend_workspace_id="ws_b").name == "Other W-9"

    raw = sdk.edit_templates.with_raw_response.retrieve("edt_w9")._response.json()
    w9 = strict(EditTemplate, raw)
    assert (w9.object, w9.name, w9.file.name, w9.file.type, w9.schema_config) == (
        "edit_template", "W-9 Template", "W-9.pdf", "PDF", None)
    assert raw["config"] == {"instructions": "name as Saved Name. leave all other fields blank",
                             "advancedOptions": {"flattenPdf": False}}
    assert strict(EditTemplate, sdk.edit_templates.with_raw_response.retrieve("edt_nda")._response.json()).config \
        == EditConfig()
    with pytest.raises(NotFoundError):
        sdk.edit_templates.retrieve("edt_other")  # another workspace's

    # The template's file and saved config; what the request's config sets wins.
    run = sdk.edit(template_id="edt_w9")
    assert (run.status, run.file.id, run.output.filled_values) == ("PROCESSED", w9.file.id, {"name": "Saved Name"})
    assert (run.config.instructions, run.config.advanced_options.flatten_pdf) == (w9.config.instructions, False)
    pdf = download(run.output.edited_file.presigned_url)
    values = read_back(pdf)
    assert {k: v for k, (v, _) in values.items()} == {"name": "Saved Name", "exempt": "/Off", "tax_class": "/Off"}
    assert not any(flags & 1 for _, flags in values.values())  # the template's flattenPdf: false
    mine = sdk.edit_runs.create_and_poll(
        template_id="edt_w9", polling_options=FAST,
        config={"instructions": "name as Mine. check exempt payee. tax classification: C Corporation. "
                                "leave all other fields blank", "advanced_options": {"table_parsing_enabled": True}})
    assert mine.output.filled_values == {"name": "Mine", "exempt": True, "tax_class": "C Corporation"}
    options = mine.config.advanced_options
    assert (options.flatten_pdf, options.table_parsing_enabled) == (False, True)
    values = read_back(download(mine.output.edited_file.presigned_url))
    assert {k: v for k, (v, _) in values.items()} == {"name": "Mine", "exempt": "/Yes", "tax_class": "/C Corporation"}
    with pytest.raises(NotFoundError):
        sdk.edit(template_id="edt_nope")


def test_edit_and_form_detection_runs_arrive_as_typed_webhook_events(seeded, receiver):  # noqa: F811
    sdk = client()
    httpx.delete(f"{MOCK}/_mock/webhooks/deliveries").raise_for_status()  # kept across resets
    endpoint = make_endpoint(sdk, receiver.url, "2026-02-09",
                             ["edit_run.processed", "edit_run.failed", "form_detection_run.processed"])
    # Without a schema the edit detects the form first; that internal detection is announced by no event.
    processed = sdk.edit_runs.create(file={"url": "https://example.com/form.pdf"})
    failed = sdk.edit_runs.create(file={"url": "https://example.com/notes.txt"})
    detection = sdk.form_detection_runs.create(file={"url": "https://example.com/form.pdf"})
    events = {}
    for _ in range(3):
        headers, body = receiver.next()
        event = sdk.webhooks.verify_and_parse(body, headers, endpoint.signing_secret)
        assert not isinstance(event, dict), f"the SDK did not type {body[:300]!r}"
        events[event.event_type] = (event, json.loads(body)["payload"])
    assert sorted(events) == ["edit_run.failed", "edit_run.processed", "form_detection_run.processed"]

    event, payload = events["edit_run.processed"]
    assert isinstance(event, WebhookEvent_EditRunProcessed) and event.payload.id == processed.id
    assert check_run(payload) == event.payload
    # The same run as the API reads it, its link (minted per answer) to the same file.
    now = sdk.edit_runs.with_raw_response.retrieve(processed.id)._response.json()
    assert without_link(payload) == without_link(now)
    links = [body["output"]["editedFile"]["presignedUrl"] for body in (payload, now)]
    assert download(links[0]) == download(links[1])
    event, payload = events["edit_run.failed"]
    assert isinstance(event, WebhookEvent_EditRunFailed) and event.payload.id == failed.id
    assert check_run(payload, "FAILED").failure_reason == "FILE_TYPE_NOT_SUPPORTED"
    event, payload = events["form_detection_run.processed"]
    assert isinstance(event, WebhookEvent_FormDetectionRunProcessed) and event.payload.id == detection.id
    assert check_detection(payload).output.schema_.type == "object"
    kept = httpx.get(f"{MOCK}/_mock/webhooks/deliveries").json()["deliveries"]
    assert sorted((d["eventType"], d["runId"], d["endpointId"]) for d in kept) == [
        ("edit_run.failed", failed.id, endpoint.id), ("edit_run.processed", processed.id, endpoint.id),
        ("form_detection_run.processed", detection.id, endpoint.id)]
