"""Writes openapi/openapi.json: the OpenAPI 3.1 document of everything
extend-mock serves.

The API operations' response schemas are the official Python SDK's own
models (extend-ai, the version pinned in sdk-tests/python/requirements.txt),
turned into JSON Schema by pydantic; the request bodies, parameters and the
control plane (`/_mock/`) are written here, from what the server accepts.
`cargo test` holds every response of the HTTP test suite to the document
(tests/api/openapi.rs) and checks the served copy is this file.

    python openapi/generate.py          # rewrite openapi/openapi.json
    python openapi/generate.py --check  # exit 1 if the file is stale
"""

import importlib
import json
import pathlib
import sys

import extend_ai.version

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "openapi.json"
REF = "#/components/schemas/{model}"

# operation response -> the SDK model that reads it
SDK = {
    "ProcessorRunListResponse": "extend_ai.processor_run.types.processor_run_list_response",
    "ProcessorRunCreateResponse": "extend_ai.processor_run.types.processor_run_create_response",
    "ProcessorRunGetResponse": "extend_ai.processor_run.types.processor_run_get_response",
    "ProcessorRunDeleteResponse": "extend_ai.processor_run.types.processor_run_delete_response",
    "ProcessorRunCancelResponse": "extend_ai.processor_run.types.processor_run_cancel_response",
    "LegacyListProcessorsResponse": "extend_ai.types.legacy_list_processors_response",
    "ProcessorCreateResponse": "extend_ai.processor.types.processor_create_response",
    "ProcessorUpdateResponse": "extend_ai.processor.types.processor_update_response",
    "ProcessorVersionListResponse": "extend_ai.processor_version.types.processor_version_list_response",
    "ProcessorVersionCreateResponse": "extend_ai.processor_version.types.processor_version_create_response",
    "ProcessorVersionGetResponse": "extend_ai.processor_version.types.processor_version_get_response",
    "File": "extend_ai.types.file",
    "FilesListResponse": "extend_ai.files.types.files_list_response",
    "FilesDeleteResponse": "extend_ai.files.types.files_delete_response",
    "WebhookEndpoint": "extend_ai.types.webhook_endpoint",
    "WebhookEndpointCreate": "extend_ai.types.webhook_endpoint_create",
    "WebhookEndpointsListResponse": "extend_ai.webhook_endpoints.types.webhook_endpoints_list_response",
    "WebhookEndpointsDeleteResponse": "extend_ai.webhook_endpoints.types.webhook_endpoints_delete_response",
    # The current API's extraction family (2026-02-09)
    "ExtractRunsListResponse": "extend_ai.extract_runs.types.extract_runs_list_response",
    "ExtractRun": "extend_ai.types.extract_run",
    "ExtractRunsDeleteResponse": "extend_ai.extract_runs.types.extract_runs_delete_response",
    "ExtractorsListResponse": "extend_ai.extractors.types.extractors_list_response",
    "Extractor": "extend_ai.types.extractor",
    "ExtractorVersionsListResponse": "extend_ai.extractor_versions.types.extractor_versions_list_response",
    "ExtractorVersion": "extend_ai.types.extractor_version",
    # Classification and splitting (2026-02-09)
    "ClassifyRunsListResponse": "extend_ai.classify_runs.types.classify_runs_list_response",
    "ClassifyRun": "extend_ai.types.classify_run",
    "ClassifyRunsDeleteResponse": "extend_ai.classify_runs.types.classify_runs_delete_response",
    "ClassifiersListResponse": "extend_ai.classifiers.types.classifiers_list_response",
    "Classifier": "extend_ai.types.classifier",
    "ClassifierVersionsListResponse": "extend_ai.classifier_versions.types.classifier_versions_list_response",
    "ClassifierVersion": "extend_ai.types.classifier_version",
    "SplitRunsListResponse": "extend_ai.split_runs.types.split_runs_list_response",
    "SplitRun": "extend_ai.types.split_run",
    "SplitRunsDeleteResponse": "extend_ai.split_runs.types.split_runs_delete_response",
    "SplittersListResponse": "extend_ai.splitters.types.splitters_list_response",
    "Splitter": "extend_ai.types.splitter",
    "SplitterVersionsListResponse": "extend_ai.splitter_versions.types.splitter_versions_list_response",
    "SplitterVersion": "extend_ai.types.splitter_version",
    # Batches of the processor families (2026-02-09)
    "BatchRun": "extend_ai.types.batch_run",
    # Parse runs (2026-02-09)
    "ParseRun": "extend_ai.types.parse_run",
    "ParseRunsListResponse": "extend_ai.parse_runs.types.parse_runs_list_response",
    "ParseRunsDeleteResponse": "extend_ai.parse_runs.types.parse_runs_delete_response",
    # Workflows, their runs and webhook subscriptions (2026-02-09)
    "Workflow": "extend_ai.types.workflow",
    "WorkflowsListResponse": "extend_ai.workflows.types.workflows_list_response",
    "WorkflowVersion": "extend_ai.types.workflow_version",
    "WorkflowVersionsListResponse": "extend_ai.workflow_versions.types.workflow_versions_list_response",
    "WorkflowRun": "extend_ai.types.workflow_run",
    "WorkflowRunsListResponse": "extend_ai.workflow_runs.types.workflow_runs_list_response",
    "WorkflowRunsDeleteResponse": "extend_ai.workflow_runs.types.workflow_runs_delete_response",
    "WorkflowRunsCreateBatchResponse": "extend_ai.workflow_runs.types.workflow_runs_create_batch_response",
    "WebhookSubscription": "extend_ai.types.webhook_subscription",
    "WebhookSubscriptionsListResponse": "extend_ai.webhook_subscriptions.types.webhook_subscriptions_list_response",
    "WebhookSubscriptionsDeleteResponse": "extend_ai.webhook_subscriptions.types.webhook_subscriptions_delete_response",
    # Edit runs, edit templates and form detection (2026-02-09)
    "EditRun": "extend_ai.types.edit_run",
    "EditRunsListResponse": "extend_ai.edit_runs.types.edit_runs_list_response",
    "EditRunsDeleteResponse": "extend_ai.edit_runs.types.edit_runs_delete_response",
    "EditTemplate": "extend_ai.types.edit_template",
    "EditTemplatesListResponse": "extend_ai.edit_templates.types.edit_templates_list_response",
    "FormDetectionRun": "extend_ai.types.form_detection_run",
    "EditSchemaGenerationResponse": "extend_ai.types.edit_schema_generation_response",
}


def family(runs, sync, run, verb, processors, processor, text, package, generate):
    """One run family of the current API, as src/families/mod.rs describes it:
    `family("classify_runs", "classify", "ClassifyRun", "Classify",
    "classifiers", "Classifier", …)` names every path, operation and schema."""
    key = processor[0].lower() + processor[1:]
    run_op = "".join(w.capitalize() for w in runs.split("_"))
    run_op = run_op[0].lower() + run_op[1:]
    return {
        "runs": runs, "sync": sync, "run": run, "verb": verb, "run_op": run_op,
        "noun": runs[:-1].replace("_", " "), "processors": processors, "processor": processor,
        "key": key, "id_key": f"{key}Id", "clone": f"clone{processor}Id",
        "text": text, "package": package, "generate": generate,
    }


# The families served (src/families/mod.rs `FAMILIES`).
FAMILIES = [
    family("extract_runs", "extract", "ExtractRun", "Extract", "extractors", "Extractor",
           text=True, package=True, generate=True),
    family("classify_runs", "classify", "ClassifyRun", "Classify", "classifiers", "Classifier",
           text=True, package=False, generate=False),
    family("split_runs", "split", "SplitRun", "Split", "splitters", "Splitter",
           text=False, package=False, generate=False),
]

# The union branches of a current config (`ExtractRun.config`, and the
# classify, split and parse configs:
# `ExtractorVersion.config`). A config is the client's, written back as it
# was given (less its `type`): its top-level keys stay open, so a config
# with keys of its own, or a legacy one (`parser`, `fields` with `schema`),
# still fits a branch.
CLIENT_CONFIGS = ["ExtractConfigJson", "ExtractConfigLegacy", "ClassifyConfig", "SplitConfig", "ParseConfig"]


def tighten(node):
    """The SDK's models allow undeclared fields (`extra="allow"`); extend-mock
    answers none, and says so: every object closed. pydantic's `title`s say
    nothing the field name does not, so they go."""
    if isinstance(node, dict):
        out = {k: tighten(v) for k, v in node.items() if not (k == "title" and isinstance(v, str))}
        if out.get("additionalProperties") is True and "properties" in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [tighten(v) for v in node]
    return node


def sdk_schemas():
    schemas = {}
    for name, module in SDK.items():
        model = getattr(importlib.import_module(module), name)
        schema = model.model_json_schema(ref_template=REF)
        for def_name, definition in schema.pop("$defs", {}).items():
            definition = tighten(definition)
            if schemas.setdefault(def_name, definition) != definition:
                sys.exit(f"two SDK models define {def_name} differently")
        schemas[name] = tighten(schema)
    for name in CLIENT_CONFIGS:
        schemas[name]["additionalProperties"] = True
    return schemas


def ref(name):
    return {"$ref": REF.format(model=name)}


def obj(properties, required=(), extra=False, description=None):
    schema = {"type": "object", "properties": properties, "additionalProperties": extra}
    if required:
        schema["required"] = list(required)
    if description:
        schema["description"] = description
    return schema


STRING = {"type": "string"}
NONEMPTY = {"type": "string", "minLength": 1}
INT = {"type": "integer", "minimum": 0}
BOOL = {"type": "boolean"}
ANY_OBJECT = {"type": "object"}
NULLABLE_STRING = {"type": ["string", "null"]}
TEXT = {"type": "string", "pattern": "\\S"}
HTTP_URL = {"type": "string", "pattern": "^https?://[^/?#]+/[^?#]*[^/?#]"}
_BAD = "\\s\\u0000-\\u001f\\u007f-\\u009f"
WEBHOOK_URL = {
    "type": "string",
    "pattern": f"^[hH][tT][tT][pP]://[^/?#@:%\\[\\]{_BAD}]+(:[0-9]{{1,5}})?([/?#][^{_BAD}]*)?$",
    "description": "http:// (deliveries are plain HTTP), a host as written (no percent-encoding), "
                   "a port from 1 to 65535, no credentials, spaces or control characters.",
}

RUN_STATUS = ["PENDING", "PROCESSING", "PROCESSED", "FAILED", "CANCELLED"]
PROCESSOR_TYPE = ["EXTRACT", "CLASSIFY", "SPLITTER"]
RUN_SOURCE = [
    "ADMIN", "BATCH_PROCESSOR_RUN", "PLAYGROUND", "WORKFLOW_CONFIGURATION",
    "WORKFLOW_RUN", "STUDIO", "API",
]
API_VERSIONS = ["2024-12-23", "2025-04-21", "2026-02-09"]
WEBHOOK_EVENTS = None  # filled from the SDK's enum below


def kept_list(field, item):
    """A bounded list the server keeps: its items, how many were pushed out, the bound."""
    return obj(
        {field: {"type": "array", "items": ref(item)}, "dropped": INT, "capacity": INT},
        [field, "dropped", "capacity"],
    )


def mock_schemas():
    counts = {
        "success": {"const": True},
        "organizations": INT,
        "workspaces": INT,
        "apiKeys": INT,
        "processorRuns": INT,
        "processors": INT,
        "files": INT,
    }
    api_key = obj(
        {
            "token": STRING,
            "name": STRING,
            "scope": {"enum": ["workspace", "organization"]},
            "workspaceId": STRING,
            "organizationId": STRING,
            "defaultApiVersion": STRING,
        },
        ["token", "scope"],
    )
    fault = obj(
        {
            "method": STRING,
            "path": STRING,
            "status": {"type": "integer", "minimum": 100, "maximum": 599},
            "delayMs": {"type": "integer", "minimum": 0, "maximum": 120000},
            "retryAfter": INT,
            "count": {"type": "integer", "minimum": 1},
        },
    )
    rule = obj(
        {
            "processorId": STRING,
            "fileNameContains": STRING,
            "output": ANY_OBJECT,
            "failureReason": STRING,
            "failureMessage": STRING,
            "hold": BOOL,
        },
        description="One or both matchers (processorId, fileNameContains) and one outcome "
        "(output, failureReason, hold).",
    )
    not_held = {"hold": {"const": False}}
    null = {"type": "null"}
    rule_spec = {
        **rule,
        "anyOf": [given("processorId", "string"), given("fileNameContains", "string")],
        "oneOf": [
            {"required": ["output"], "properties": {"output": {"type": "object"}, **not_held}},
            {"required": ["failureReason"], "properties": {"failureReason": STRING, **not_held}},
            {"required": ["hold"],
             "properties": {"hold": {"const": True}, "output": null, "failureReason": null}},
        ],
        "if": given("failureMessage", "string"),
        "then": given("failureReason", "string"),
    }
    attempt = {"type": "object", "additionalProperties": True}
    delivery = {
        "type": "object",
        "properties": {
            "id": STRING,
            "endpointId": STRING,
            "eventId": STRING,
            "eventType": STRING,
            "runId": NULLABLE_STRING,
            "state": {"enum": ["pending", "delivered", "failed", "dropped"]},
            "attempts": {"type": "array", "items": attempt},
        },
        "required": ["id", "endpointId", "eventId", "eventType", "state", "attempts"],
        "additionalProperties": True,
    }
    journal_entry = {
        "type": "object",
        "properties": {
            "sequence": INT,
            "time": {"type": "string", "format": "date-time"},
            "method": STRING,
            "path": STRING,
            "query": NULLABLE_STRING,
            "status": {"type": "integer"},
            "requestId": STRING,
            "keyName": NULLABLE_STRING,
            "workspaceId": NULLABLE_STRING,
            "durationMs": {"type": "number"},
        },
        "required": ["sequence", "time", "method", "path", "status", "requestId"],
        "additionalProperties": True,
    }
    return {
        "Error": obj(
            {
                "success": {"const": False},
                "error": STRING,
                "code": {
                    "enum": [
                        "INVALID_REQUEST", "UNAUTHORIZED", "FORBIDDEN", "FILE_TOO_LARGE",
                        "NOT_FOUND", "CONFLICT", "METHOD_NOT_ALLOWED", "RATE_LIMIT_EXCEEDED",
                        "SERVICE_UNAVAILABLE", "NOT_IMPLEMENTED", "INTERNAL_ERROR", "TIMEOUT",
                    ]
                },
                "message": STRING,
                "retryable": BOOL,
                "requestId": STRING,
                "runId": {
                    "type": "string",
                    "description": "A sync call's 504 (`POST /extract`): the run it made, which goes on.",
                },
            },
            ["success", "error", "code", "message", "retryable", "requestId"],
            description="Every error extend-mock answers, API and control plane alike.",
        ),
        "MockHealth": obj(
            {"status": {"const": "ok"}, "version": STRING, "processorRuns": INT},
            ["status", "version", "processorRuns"],
        ),
        "MockFixtureDocument": {
            "type": "object",
            "description": "A fixture document (docs/fixtures.md): organizations, apiKeys, "
            "processorRuns, processors, files, webhookEndpoints and workflows.",
            "properties": {
                "organizations": {"type": "array", "items": ANY_OBJECT},
                "apiKeys": {"type": "array", "items": ANY_OBJECT},
                "processorRuns": {"type": "array", "items": ANY_OBJECT},
                "processors": {"type": "array", "items": ANY_OBJECT},
                "files": {"type": "array", "items": ANY_OBJECT},
                "webhookEndpoints": {"type": "array", "items": ANY_OBJECT},
                "workflows": {"type": "array", "items": ANY_OBJECT},
            },
            "additionalProperties": False,
        },
        "MockCounts": obj(counts, list(counts)),
        "MockAdded": obj({**counts, "added": INT}, [*counts, "added"]),
        "MockReset": obj(
            {**counts, "reset": {"type": "array", "items": STRING}}, [*counts, "reset"]
        ),
        "MockCleared": obj({"success": {"const": True}, "cleared": INT}, ["success", "cleared"]),
        "MockApiKey": api_key,
        "MockSandbox": obj(
            {**counts, "sandbox": STRING, "apiKeys": {"type": "array", "items": ref("MockApiKey")}},
            [*counts, "sandbox"],
        ),
        "MockSandboxes": obj(
            {"success": {"const": True}, "sandboxes": {"type": "array", "items": ref("MockSandbox")}},
            ["success", "sandboxes"],
        ),
        "MockSandboxDropped": obj(
            {"success": {"const": True}, "dropped": STRING}, ["success", "dropped"]
        ),
        "MockRuleSpec": rule_spec,
        "MockRule": {
            **rule,
            "properties": {**rule["properties"], "id": STRING},
            "required": ["id"],
        },
        "MockRules": obj(
            {"success": {"const": True}, "rules": {"type": "array", "items": ref("MockRule")}},
            ["success", "rules"],
        ),
        "MockRuleAdded": obj(
            {"success": {"const": True}, "rule": ref("MockRule")}, ["success", "rule"]
        ),
        "MockFaultSpec": fault,
        "MockFault": {
            **fault,
            "properties": {**fault["properties"], "id": INT},
            "required": ["id"],
            "additionalProperties": True,
        },
        "MockFaults": obj(
            {"faults": {"type": "array", "items": ref("MockFault")}}, ["faults"]
        ),
        "MockDelivery": delivery,
        "MockDeliveries": {
            **kept_list("deliveries", "MockDelivery"),
            "properties": {
                **kept_list("deliveries", "MockDelivery")["properties"],
                "pending": INT,
                "overflowed": INT,
                "nextAfter": NONEMPTY,
            },
            "required": ["deliveries", "dropped", "capacity", "pending", "overflowed"],
        },
        "MockTestEvent": obj({"endpointId": NONEMPTY, "runId": NONEMPTY}, ["endpointId"]),
        "MockTestDeliveries": obj(
            {"success": {"const": True}, "deliveries": {"type": "array", "items": ref("MockDelivery")}},
            ["success", "deliveries"],
        ),
        "MockJournalEntry": journal_entry,
        "MockJournal": kept_list("requests", "MockJournalEntry"),
        "MockFinishRun": obj({"output": ANY_OBJECT, "credits": {"type": "number"}}),
        "MockFailRun": obj({"failureReason": NONEMPTY, "failureMessage": STRING}),
        "MockAddRuns": obj(
            {"processorRuns": {"type": "array", "items": ANY_OBJECT}}, ["processorRuns"]
        ),
    }


def request_schemas():
    advanced = {
        "type": "object",
        "properties": {
            "headers": {"type": "object", "additionalProperties": STRING},
            "payload": obj({"format": {"enum": ["json"]}}, ["format"]),
        },
        "additionalProperties": False,
    }
    nullable(advanced)
    events = {"type": "array", "items": ref("WebhookEndpointEventType")}
    return {
        "CreateProcessorRunRequest": {
            **obj(
                {
                    "processorId": NONEMPTY,
                    "version": STRING,
                    "file": {
                        **obj({"fileUrl": HTTP_URL, "fileId": NONEMPTY, "fileName": STRING}, extra=True),
                        "oneOf": [given("fileUrl", "string"), given("fileId", "string")],
                    },
                    "rawText": {"type": "string", "pattern": "\\S"},
                    "sync": BOOL,
                    "priority": {"type": "integer", "minimum": 1, "maximum": 100},
                    "metadata": ANY_OBJECT,
                    "config": ANY_OBJECT,
                },
                ["processorId"],
                extra=True,
                description="`file` or `rawText`. Unknown fields are ignored, as the API does.",
            ),
            "oneOf": [given("file", "object"), given("rawText", "string")],
        },
        "CreateProcessorRequest": {
            **obj(
                {
                    "name": NONEMPTY,
                    "type": {"enum": PROCESSOR_TYPE},
                    "cloneProcessorId": NONEMPTY,
                    "config": ANY_OBJECT,
                },
                ["name", "type"],
                extra=True,
                description="`config` or `cloneProcessorId` (or neither: the type's default), not both.",
            ),
            "not": {"required": ["config", "cloneProcessorId"]},
        },
        "UpdateProcessorRequest": obj({"name": NONEMPTY, "config": ANY_OBJECT}, extra=True),
        "PublishProcessorVersionRequest": obj(
            {"releaseType": {"enum": ["major", "minor"]}, "description": STRING, "config": ANY_OBJECT},
            ["releaseType"],
            extra=True,
        ),
        "CreateWebhookEndpointRequest": obj(
            {
                "url": WEBHOOK_URL,
                "name": NONEMPTY,
                "enabledEvents": events,
                "apiVersion": {"enum": API_VERSIONS},
                "status": ref("WebhookEndpointStatus"),
                "advancedOptions": advanced,
            },
            ["url", "name", "enabledEvents", "apiVersion"],
            extra=True,
        ),
        "UpdateWebhookEndpointRequest": obj(
            {
                "url": WEBHOOK_URL,
                "name": NONEMPTY,
                "enabledEvents": events,
                "status": ref("WebhookEndpointStatus"),
                "advancedOptions": advanced,
            },
            extra=True,
            description="`apiVersion` cannot be changed: give it and the answer is 400.",
        ),
        **{name: schema for f in FAMILIES for name, schema in family_requests(f).items()},
        **parse_requests(),
        **edit_requests(),
    }


def parse_requests():
    """`POST /parse_runs`, `POST /parse` and `POST /parse_runs/batch`."""
    config = {
        **obj({
            "target": {"enum": ["markdown", "spatial"]},
            "chunkingStrategy": obj({"type": {"enum": ["page", "document", "section"]}}, extra=True),
            "engine": STRING,
        }, extra=True),
        "description": "Kept as given; `target` (markdown), `chunkingStrategy.type` (page) and "
        "`engine` (parse_performance) are filled in. `section` chunking with `spatial` is a 400.",
    }
    file = {
        **obj({"url": HTTP_URL, "id": NONEMPTY, "name": STRING}, extra=True,
              description="By `url` or by `id` (an uploaded file's): exactly one."),
        "oneOf": [given("url", "string"), given("id", "string")],
    }
    body = obj(
        {
            "file": file,
            "config": config,
            "metadata": {**ANY_OBJECT, "description": "At most 10 KB as JSON."},
            "dataRetention": obj({"mode": {"enum": ["workspace_default", "zero"]}}, extra=True),
        },
        ["file"],
        extra=True,
        description="A parse run of one file. Unknown fields are ignored, as the API does.",
    )
    batch_file = {
        **obj({"url": HTTP_URL, "id": NONEMPTY, "text": TEXT, "name": STRING}, extra=True),
        "oneOf": [given("url", "string"), given("id", "string"), given("text", "string")],
    }
    return {
        "CreateParseRunRequest": body,
        "ParseRequest": body,
        "CreateParseRunBatchRequest": obj(
            {
                "inputs": {
                    "type": "array", "minItems": 1, "maxItems": 1000,
                    "items": obj({"file": batch_file,
                                  "metadata": {**ANY_OBJECT, "description": "At most 10 KB as JSON."}},
                                 ["file"], extra=True),
                },
                "config": config,
                "priority": {"type": "integer", "minimum": 1, "maximum": 100},
            },
            ["inputs"],
            extra=True,
            description="One parse run per input (1 to 1,000), the config for all. A refusal of an "
            "input names it (`inputs[3].file.url`), and stores nothing.",
        ),
    }


def family_requests(f):
    """A family's request bodies: its run create and sync call, its
    processor's create, update and publish."""
    p, key, clone = f["processor"], f["key"], f["clone"]
    sources = ["config", clone] + (["generate"] if f["generate"] else [])
    create = {
        "name": TEXT,
        "config": ANY_OBJECT,
        clone: NONEMPTY,
    }
    if f["generate"]:
        create["generate"] = obj(
            {
                "files": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "description": "A sample file: by `url` or by `id` (an uploaded "
                        "file's), exactly one of them a string; a string `name` names a "
                        "URL's file.",
                        "oneOf": [given("url", "string"), given("id", "string")],
                    },
                    "minItems": 1,
                    "maxItems": 5,
                },
                "instructions": {"description": "Not read: the config is the one of "
                                 "the document kind the files' names name."},
            },
            ["files"],
            extra=True,
        )
    kinds = {"config": "object", clone: "string", "generate": "object"}
    pairs = [(a, b) for i, a in enumerate(sources) for b in sources[i + 1:]]
    exclusive = [both((a, kinds[a]), (b, kinds[b])) for a, b in pairs]
    none = ("an empty config" if f["generate"]
            else "the built-in config of the document kind its name names")
    batch_file = {"url": HTTP_URL, "id": NONEMPTY, "name": STRING}
    batch_ways = [given("url", "string"), given("id", "string")]
    if f["text"]:
        batch_file["text"] = TEXT
        batch_ways.append(given("text", "string"))
    return {
        f"Create{f['verb']}RunBatchRequest": obj(
            {
                key: obj({"id": NONEMPTY, "version": STRING, "overrideConfig": ANY_OBJECT}, ["id"],
                         extra=True),
                "inputs": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 1000,
                    "items": obj(
                        {
                            "file": {**obj(batch_file, extra=True), "oneOf": batch_ways},
                            "metadata": {**ANY_OBJECT, "description": "At most 10 KB as JSON."},
                        },
                        ["file"],
                        extra=True,
                    ),
                },
                "priority": {"type": "integer", "minimum": 1, "maximum": 100},
            },
            [key, "inputs"],
            extra=True,
            description=f"One {f['noun']} per input (1 to 1,000), each of `{key}`; no inline "
            "`config`. A refusal of an input names it (`inputs[3].file.url`), and stores nothing.",
        ),
        f"Create{f['verb']}RunRequest": run_request(f, sync=False),
        f"{f['verb']}Request": run_request(f, sync=True),
        f"Create{p}Request": {
            **obj(
                create,
                ["name"],
                extra=True,
                description="At most one of "
                + ", ".join(f"`{s}`" for s in sources[:-1]) + f" and `{sources[-1]}`"
                + f" (`{clone}`: the draft config of that {key}"
                + ("; `generate`: one inferred from sample files" if f["generate"] else "")
                + f"); none: {none}.",
            ),
            "not": exclusive[0] if len(exclusive) == 1 else {"anyOf": exclusive},
        },
        f"Update{p}Request": obj(
            {"name": TEXT, "config": ANY_OBJECT},
            extra=True,
            description="`config` replaces the draft's.",
        ),
        f"Create{p}VersionRequest": obj(
            {"releaseType": {"enum": ["major", "minor"]}, "description": STRING, "config": ANY_OBJECT},
            ["releaseType"],
            extra=True,
            description="Publishes `config`, or the draft's, as the next major (`2.0`) or minor "
            "(`1.1`) version.",
        ),
    }


def article(noun):
    """`an extractor`, `a classifier`."""
    return ("an " if noun[0] in "aeiou" else "a ") + noun


def run_request(f, sync):
    """`POST /extract_runs` (and, less `priority`, the sync `POST /extract`),
    and the same for every family."""
    key = f["key"]
    if f["text"]:
        ways = "by `url`, by `id` (an uploaded file's) or as `text` (a `.txt` file)"
        variants = [given("url", "string"), given("id", "string"), given("text", "string")]
        fields = {"url": HTTP_URL, "id": NONEMPTY, "text": TEXT, "name": STRING}
    else:
        ways = "by `url` or by `id` (an uploaded file's); no `text`"
        variants = [given("url", "string"), given("id", "string")]
        fields = {"url": HTTP_URL, "id": NONEMPTY, "name": STRING}
    file = nullable({
        **obj(
            fields,
            extra=True,
            description=f"{ways[0].upper()}{ways[1:]}: exactly one. Other fields (`settings`) "
            "are ignored.",
        ),
        "oneOf": variants,
    })
    reference = nullable(obj(
        {"id": NONEMPTY, "version": STRING, "overrideConfig": ANY_OBJECT},
        ["id"],
        extra=True,
        description=f"{article(key).capitalize()} of the workspace. `version`: `latest` (the default: the newest "
        "published, else the draft), `draft` or a published number. `overrideConfig`: keys that "
        "replace the version config's.",
    ))
    properties = {
        key: reference,
        "config": ANY_OBJECT,
        "file": file,
        "priority": {"type": "integer", "minimum": 1, "maximum": 100},
        "metadata": {**ANY_OBJECT, "description": "At most 10 KB as JSON."},
    }
    if f["package"]:
        properties["package"] = nullable(obj(
            {"files": {"type": "array", "minItems": 1, "maxItems": 50, "items": {
                **obj({"url": HTTP_URL, "id": NONEMPTY, "name": STRING}, extra=True),
                "oneOf": [given("url", "string"), given("id", "string")],
            }}},
            ["files"],
            extra=True,
            description="A run over several files (1 to 50), by `url` or by `id`: its objects "
            "show them as `files`, and no `file`.",
        ))
    if sync:
        del properties["priority"]
    schema = {
        **obj(
            properties,
            [] if f["package"] else ["file"],
            extra=True,
            description=("One `file` or a `package` of files" if f["package"] else "A `file`")
            + f", and `{key}` or an inline `config`"
            + (" (or neither: a config inferred from the file's name)." if f["generate"] else
               " (one of them: the SDKs say so).")
            + (" `priority` is ignored." if sync else "")
            + " Unknown fields are ignored, as the API does.",
        ),
        "not": both((key, "object"), ("config", "object")),
    }
    if f["package"]:
        schema["oneOf"] = [given("file", "object"), given("package", "object")]
    if not f["generate"]:
        schema["anyOf"] = [given(key, "object"), given("config", "object")]
    return schema


def nullable(schema, keep=()):
    """A request body as serde reads it: an optional field (`Option`) may
    also be `null`, which means absent. `keep` names those that may not."""
    required = set(schema.get("required", ()))
    for name, prop in schema.get("properties", {}).items():
        if name in required or name in keep:
            continue
        plain = not any(k in prop for k in ("enum", "const", "oneOf", "anyOf", "not"))
        if isinstance(prop.get("type"), str) and plain:
            schema["properties"][name] = {**prop, "type": [prop["type"], "null"]}
        else:
            schema["properties"][name] = {"anyOf": [prop, {"type": "null"}]}
    return schema


def given(name, kind):
    """`name` is there and not `null` (serde reads `null` as absent)."""
    return {"required": [name], "properties": {name: {"type": kind}}}


def both(*fields):
    """Every one of `fields` (`(name, kind)`) given: what a body may not have."""
    return {"allOf": [given(name, kind) for name, kind in fields]}


def header(name, schema, required, description):
    return {"name": name, "in": "header", "required": required, "schema": schema, "description": description}


def query(name, schema, description=None):
    p = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        p["description"] = description
    return p


def path_param(name, description=None):
    p = {"name": name, "in": "path", "required": True, "schema": NONEMPTY}
    if description:
        p["description"] = description
    return p


API_HEADERS = [
    header("x-extend-api-version", {"enum": API_VERSIONS}, True, "The API version. Keys made before "
           "2025-04-21 carry a default and may leave it out."),
    header("x-extend-workspace-id", STRING, False, "The workspace, for an organization key."),
]
PAGING = [
    query("sortBy", {"enum": ["createdAt", "updatedAt"]}),
    query("sortDir", {"enum": ["asc", "desc"]}),
    query("nextPageToken", NONEMPTY, "The `nextPageToken` of the page before, with the same filters."),
    query("maxPageSize", {"type": "integer", "minimum": 1, "maximum": 1000}),
]


def json_body(schema_name, required=True):
    return {"required": required, "content": {"application/json": {"schema": ref(schema_name)}}}


def answer(schema_name, description="OK"):
    return {"description": description, "content": {"application/json": {"schema": ref(schema_name)}}}


ERRORS = {"default": {"$ref": "#/components/responses/Error"}}


def op(op_id, summary, ok, tags, params=(), body=None, status="200", extra_responses=None):
    operation = {
        "operationId": op_id,
        "summary": summary,
        "tags": tags,
        "responses": {status: ok, **(extra_responses or {}), **ERRORS},
    }
    if params:
        operation["parameters"] = list(params)
    if body:
        operation["requestBody"] = body
    return operation


def api(op_id, summary, schema_name, params=(), body=None, status="200", links=None, extra_responses=None):
    ok = answer(schema_name)
    if links:
        ok["links"] = links
    operation = op(op_id, summary, ok, [op_id.split("_")[0]], [*API_HEADERS, *params], body, status,
                   extra_responses)
    operation["security"] = [{"bearer": []}]
    return operation


def mock(op_id, summary, ok, params=(), body=None, status="200"):
    operation = op(op_id, summary, ok, ["control plane"], params, body, status)
    operation["security"] = [{}, {"admin": []}]
    return operation


def links(pointer, **operations):
    """OpenAPI links: each named one calls its operation with `id` read at `pointer`."""
    return {name: {"operationId": op, "parameters": {"id": pointer}} for name, op in operations.items()}


def paths():
    run_id = path_param("id", "A processor run's id (`exr_…` or `dpr_…`).")
    # A processor run as the legacy API answers it; an edit or form
    # detection run (`edr_…`, `sgr_…`) as its family does.
    steered = {
        "description": "The run as the API now answers it",
        "content": {"application/json": {"schema": {"oneOf": [
            ref("ProcessorRunGetResponse"), ref("EditRun"), ref("FormDetectionRun")]}}},
    }
    proc_id = path_param("id", "A processor's id.")
    link_run = links("$response.body#/processorRun/id", GetCreatedRun="processorRuns_get",
                     CancelCreatedRun="processorRuns_cancel", DeleteCreatedRun="processorRuns_delete")
    link_processor = links("$response.body#/processor/id", UpdateCreatedProcessor="processors_update",
                           PublishCreatedProcessor="processors_publish",
                           ListCreatedProcessorVersions="processors_versions")
    link_file = links("$response.body#/id", GetUploadedFile="files_get", DeleteUploadedFile="files_delete")
    link_endpoint = links("$response.body#/id", GetCreatedEndpoint="webhookEndpoints_get",
                          UpdateCreatedEndpoint="webhookEndpoints_update",
                          DeleteCreatedEndpoint="webhookEndpoints_delete")
    run_filters = [
        query("status", {"enum": RUN_STATUS}),
        query("processorId", NONEMPTY),
        query("processorType", {"enum": PROCESSOR_TYPE}),
        query("sourceId", NONEMPTY),
        query("source", {"enum": RUN_SOURCE}),
        query("fileNameContains", STRING),
    ]
    runs = {
        "get": api("processorRuns_list", "List processor runs", "ProcessorRunListResponse", [*run_filters, *PAGING]),
        "post": api("processorRuns_create", "Create a processor run", "ProcessorRunCreateResponse",
                    body=json_body("CreateProcessorRunRequest"), links=link_run),
    }
    run = {
        "get": api("processorRuns_get", "Get a processor run", "ProcessorRunGetResponse", [run_id]),
        "delete": api("processorRuns_delete", "Delete a processor run", "ProcessorRunDeleteResponse", [run_id]),
    }
    cancel = {"post": api("processorRuns_cancel", "Cancel a processor run", "ProcessorRunCancelResponse", [run_id])}
    out = {
        "/processor_runs": runs,
        "/processor_runs/{id}": run,
        "/processor_runs/{id}/cancel": cancel,
        "/processors": {
            "get": api("processors_list", "List processors", "LegacyListProcessorsResponse",
                       [query("type", {"enum": PROCESSOR_TYPE}), *PAGING]),
            "post": api("processors_create", "Create a processor", "ProcessorCreateResponse",
                        body=json_body("CreateProcessorRequest"), links=link_processor),
        },
        "/processors/{id}": {
            "post": api("processors_update", "Update a processor's draft", "ProcessorUpdateResponse", [proc_id],
                        body=json_body("UpdateProcessorRequest")),
        },
        "/processors/{id}/versions": {
            "get": api("processors_versions", "List a processor's versions", "ProcessorVersionListResponse", [proc_id]),
        },
        "/processors/{id}/publish": {
            "post": api("processors_publish", "Publish a processor version", "ProcessorVersionCreateResponse",
                        [proc_id], body=json_body("PublishProcessorVersionRequest")),
        },
        "/processors/{id}/versions/{versionId}": {
            "get": api("processors_version", "Get a processor version", "ProcessorVersionGetResponse",
                       [proc_id, path_param("versionId", "A version's id, or `draft`.")]),
        },
        "/files/upload": {
            "post": api("files_upload", "Upload a file", "File", body={
                "required": True,
                "content": {"multipart/form-data": {"schema": obj(
                    {"file": {"description": "The file's bytes: any content (its type comes from them "
                              "and its name)"}},
                    ["file"], extra=True)}},
            }, links=link_file),
        },
        "/files": {
            "get": api("files_list", "List files", "FilesListResponse",
                       [query("nameContains", STRING), query("sortDir", {"enum": ["asc", "desc"]}),
                        PAGING[2], PAGING[3]]),
        },
        "/files/{id}": {
            "get": api("files_get", "Get a file", "File", [path_param("id")]),
            "delete": api("files_delete", "Delete a file", "FilesDeleteResponse", [path_param("id")]),
        },
        "/webhook_endpoints": {
            "get": api("webhookEndpoints_list", "List webhook endpoints", "WebhookEndpointsListResponse",
                       [query("status", ref("WebhookEndpointStatus")), query("sortDir", {"enum": ["asc", "desc"]}),
                        PAGING[2], PAGING[3]]),
            "post": api("webhookEndpoints_create", "Create a webhook endpoint", "WebhookEndpointCreate",
                        body=json_body("CreateWebhookEndpointRequest"), links=link_endpoint),
        },
        "/webhook_endpoints/{id}": {
            "get": api("webhookEndpoints_get", "Get a webhook endpoint", "WebhookEndpoint", [path_param("id")]),
            "post": api("webhookEndpoints_update", "Update a webhook endpoint", "WebhookEndpoint", [path_param("id")],
                        body=json_body("UpdateWebhookEndpointRequest")),
            "delete": api("webhookEndpoints_delete", "Delete a webhook endpoint", "WebhookEndpointsDeleteResponse",
                          [path_param("id")]),
        },
    }
    for f in FAMILIES:
        out.update(family_paths(f))
    out.update(parse_paths())
    out.update(edit_paths())
    out.update(workflow_paths())
    out["/batch_runs/{id}"] = {
        "get": api("batchRuns_get", "Get a batch: PENDING when made, PROCESSING while any of its "
                   "runs is, PROCESSED once all have ended", "BatchRun",
                   [path_param("id", "A batch's id (`bpr_…`).")]),
    }
    # The same run operations under /v1/, as older SDKs call them.
    for path in ["/processor_runs", "/processor_runs/{id}", "/processor_runs/{id}/cancel"]:
        out["/v1" + path] = {
            method: {**operation, "operationId": operation["operationId"] + "V1"}
            for method, operation in out[path].items()
        }
        for operation in out["/v1" + path].values():
            operation.pop("responses")
            operation["responses"] = {
                k: {kk: vv for kk, vv in v.items() if kk != "links"} for k, v in out[path][
                    next(m for m in out[path] if out[path][m]["operationId"] + "V1" == operation["operationId"])
                ]["responses"].items()
            }
    out["/_download/{id}"] = {
        "get": {
            "operationId": "download",
            "summary": "A file's bytes, through the signed link in its `presignedUrl`",
            "tags": ["files"],
            "parameters": [path_param("id"), query("expires", {"type": "integer"}), query("signature", NONEMPTY),
                           query("sandbox", NONEMPTY)],
            "responses": {
                "200": {"description": "The file's bytes, with the file's own content type",
                        "content": {"*/*": {"schema": {}}}},
                **ERRORS,
            },
        }
    }
    run_steer = [path_param("id", "A PROCESSING or PENDING run's id.")]
    out.update({
        "/_mock/health": {"get": {**mock("mock_health", "Readiness", answer("MockHealth")), "security": [{}]}},
        "/_mock/openapi.json": {"get": {**mock("mock_openapi", "This document",
                                               {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": ANY_OBJECT}}}),
                                        "security": [{}]}},
        "/_mock/fixtures": {
            "get": mock("mock_fixtures_get", "The state as a fixture document", answer("MockFixtureDocument")),
            "put": mock("mock_fixtures_put", "Replace the state with a fixture document", answer("MockCounts"),
                        body=json_body("MockFixtureDocument")),
        },
        "/_mock/processor_runs": {
            "post": mock("mock_runs_add", "Add runs", answer("MockAdded"), body=json_body("MockAddRuns"), status="201"),
        },
        "/_mock/processor_runs/{id}/finish": {
            "post": mock("mock_run_finish", "Finish a run now (PROCESSED)", steered,
                         run_steer, body=json_body("MockFinishRun", required=False)),
        },
        "/_mock/processor_runs/{id}/fail": {
            "post": mock("mock_run_fail", "Fail a run now", steered, run_steer,
                         body=json_body("MockFailRun", required=False)),
        },
        "/_mock/processor_runs/{id}/hold": {
            "post": mock("mock_run_hold", "Keep a run PROCESSING until ended otherwise",
                         steered, run_steer),
        },
        "/_mock/rules": {
            "get": mock("mock_rules_list", "The rules", answer("MockRules")),
            "post": mock("mock_rules_add", "Add a rule", answer("MockRuleAdded"), body=json_body("MockRuleSpec"),
                         status="201"),
            "delete": mock("mock_rules_clear", "Clear the rules", answer("MockCleared")),
        },
        "/_mock/reset": {
            "post": mock("mock_reset", "Reset", answer("MockReset"), [query("what", STRING,
                         "Comma-separated: state, journal, faults, deliveries, rules, or all.")]),
        },
        "/_mock/webhooks/deliveries": {
            "get": mock("mock_deliveries_list", "Webhook deliveries", answer("MockDeliveries"),
                        [query(n, STRING) for n in ["endpointId", "eventId", "eventType", "runId"]]
                        + [query("state", {"enum": ["pending", "delivered", "failed", "dropped"]}),
                           query("limit", {"type": "integer", "minimum": 1, "maximum": 1000},
                                 "Deliveries on a page, 100 by default."),
                           query("after", {"type": "string", "pattern": "^dlv_[0-9]{1,18}$"},
                                 "The last delivery of the page before: its `nextAfter`.")]),
            "delete": mock("mock_deliveries_clear", "Forget the deliveries", answer("MockCleared")),
        },
        "/_mock/webhooks/deliveries/{id}": {
            "get": mock("mock_delivery_get", "One delivery, with its body", answer("MockDelivery"), [path_param("id")]),
        },
        "/_mock/webhooks/deliveries/{id}/redeliver": {
            "post": mock("mock_delivery_redeliver", "Send a delivery's event again", answer("MockDelivery"),
                         [path_param("id")], status="201"),
        },
        "/_mock/webhooks/test": {
            "post": mock("mock_webhooks_test", "Send an endpoint a run's end event now",
                         answer("MockTestDeliveries"), body=json_body("MockTestEvent"), status="201"),
        },
        "/_mock/sandboxes": {
            "get": mock("mock_sandboxes_list", "The sandboxes", answer("MockSandboxes")),
            "post": mock("mock_sandboxes_create", "Make a sandbox from a fixture document", {
                **answer("MockSandbox"),
                "links": {
                    "GetSandbox": {"operationId": "mock_sandbox_get",
                                   "parameters": {"sandbox": "$response.body#/sandbox"}},
                    "DropSandbox": {"operationId": "mock_sandbox_drop",
                                    "parameters": {"sandbox": "$response.body#/sandbox"}},
                },
            },
                         [query("name", {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"})],
                         body=json_body("MockFixtureDocument", required=False), status="201"),
        },
        "/_mock/sandboxes/{sandbox}": {
            "get": mock("mock_sandbox_get", "One sandbox", answer("MockSandbox"), [path_param("sandbox")]),
            "delete": mock("mock_sandbox_drop", "Drop a sandbox", answer("MockSandboxDropped"),
                           [path_param("sandbox")]),
        },
        "/_mock/requests": {
            "get": mock("mock_requests_list", "The journal of API requests", answer("MockJournal"),
                        [query("method", STRING), query("path", STRING),
                         query("status", {"type": "integer", "minimum": 0, "maximum": 65535}),
                         query("keyName", STRING), query("workspaceId", STRING), query("requestId", STRING)]),
            "delete": mock("mock_requests_clear", "Clear the journal", answer("MockCleared")),
        },
        "/_mock/requests/{requestId}": {
            "get": mock("mock_request_get", "One journal entry, with bodies", answer("MockJournalEntry"),
                        [path_param("requestId")]),
        },
        "/_mock/faults": {
            "get": mock("mock_faults_list", "The faults waiting", answer("MockFaults")),
            "post": mock("mock_faults_add", "Inject a fault", answer("MockFault"), body=json_body("MockFaultSpec"),
                         status="201"),
            "delete": mock("mock_faults_clear", "Clear the faults", answer("MockCleared")),
        },
        "/_mock/ui": {
            "get": {**mock("mock_ui", "The demo page", {"description": "HTML", "content": {"text/html": {"schema": STRING}}}),
                    "security": [{}]},
        },
        "/_mock/ui/{asset}": {
            "get": {**mock("mock_ui_asset", "The demo page's script and style",
                           {"description": "The asset", "content": {
                               "text/javascript": {"schema": STRING}, "text/css": {"schema": STRING}}},
                           [path_param("asset")]),
                    "security": [{}]},
        },
        "/_mock/docs": {
            "get": {**mock("mock_docs", "The docs' contents (docs/README.md), as Markdown",
                           {"description": "Markdown", "content": {"text/plain": {"schema": STRING}}}),
                    "security": [{}]},
        },
        "/_mock/docs/{page}": {
            "get": {**mock("mock_docs_page", "A page of docs/ (`webhooks.md`…), as Markdown",
                           {"description": "Markdown", "content": {"text/plain": {"schema": STRING}}},
                           [path_param("page")]),
                    "security": [{}]},
        },
        "/": {
            "get": {**mock("home", "What this server is: links to the demo page, the OpenAPI document and the docs",
                           {"description": "HTML", "content": {"text/html": {"schema": STRING}}}),
                    "security": [{}]},
        },
    })
    return out


def parse_paths():
    """Parse runs: a resource of their own (no processor, no legacy view)."""
    run_id = path_param("id", "A parse run's id (`pr_…`).")
    response_type = query("responseType", {"enum": ["json", "url"]},
                          "`json` (the default): the output in `output`; `url`: a signed link to "
                          "it in `outputUrl`, served by this server for 15 minutes.")
    link_run = links("$response.body#/id", GetCreatedParseRun="parseRuns_get",
                     CancelCreatedParseRun="parseRuns_cancel", DeleteCreatedParseRun="parseRuns_delete")
    filters = [
        query("status", {"enum": RUN_STATUS}),
        query("batchId", NONEMPTY, "The runs of a parse batch (`POST /parse_runs/batch`)."),
        query("source", {"enum": ["API", "STUDIO", "WORKFLOW_RUN", "ADMIN", "BATCH_PARSER_RUN",
                                  "EDIT_RUN", "DOCUMENT_PROCESSOR_RUN"]},
              "Ignored beside `batchId`, as the API documents."),
        query("sourceId", NONEMPTY),
        query("fileNameContains", STRING),
        PAGING[2],
        PAGING[3],
    ]
    return {
        "/parse_runs": {
            "get": api("parseRuns_list", "List parse runs, newest first", "ParseRunsListResponse", filters),
            "post": api("parseRuns_create", "Create a parse run", "ParseRun",
                        body=json_body("CreateParseRunRequest"), links=link_run),
        },
        "/parse_runs/batch": {
            "post": api("parseRuns_createBatch", "Create a batch of parse runs", "BatchRun",
                        body=json_body("CreateParseRunBatchRequest"),
                        links=links("$response.body#/id", GetCreatedParseBatch="batchRuns_get")),
        },
        "/parse_runs/{id}": {
            "get": api("parseRuns_get", "Get a parse run", "ParseRun", [run_id, response_type]),
            "delete": api("parseRuns_delete", "Delete a parse run", "ParseRunsDeleteResponse", [run_id]),
        },
        "/parse_runs/{id}/cancel": {
            "post": api("parseRuns_cancel", "Cancel a parse run (CANCELLED)", "ParseRun", [run_id]),
        },
        "/parse": {
            "post": api("parseRuns_parse", "Parse: a run, answered once it has ended", "ParseRun",
                        [response_type], body=json_body("ParseRequest"), links=link_run, extra_responses={
                            "504": answer("Error", "The run did not end within --sync-timeout: it goes "
                                          "on, and `runId` names it"),
                        }),
        },
        "/_parse_output/{id}": {
            "get": {
                "operationId": "parseOutput",
                "summary": "A parse run's output, through the signed link in its `outputUrl`",
                "tags": ["parse_runs"],
                "parameters": [path_param("id"), query("expires", {"type": "integer"}),
                               query("signature", NONEMPTY), query("sandbox", NONEMPTY)],
                "responses": {
                    "200": {"description": "The `output` a `responseType=json` retrieve would carry",
                            "content": {"application/json": {"schema": ref("ParseRunOutput")}}},
                    **ERRORS,
                },
                "security": [{}],
            }
        },
    }


def edit_requests():
    """`POST /edit_runs`, `/edit`, `/form_detection_runs`, `/detect_form` and
    `/edit_schemas/generate`."""
    schema = obj(
        {"type": {"const": "object"}, "properties": {"type": "object", "additionalProperties": ANY_OBJECT}},
        ["type", "properties"],
        extra=True,
        description="An edit schema (`EditRootJson`): written back as given.",
    )
    flags = lambda names: obj({n: BOOL for n in names}, extra=True)
    engine = {"enum": ["latest", "1.0.0", "1.0.0-beta", "0.0.1"]}
    edit_config = obj({
        "engineVersion": engine,
        "schema": schema,
        "instructions": STRING,
        "schemaGenerationInstructions": STRING,
        "advancedOptions": flags(["tableParsingEnabled", "flattenPdf", "radioEnumsEnabled",
                                  "nativeFieldsOnly", "conditionalGenerationEnabled"]),
    }, extra=True, description="Kept as given, `engineVersion` resolved (`1.0.0`) and the options' "
       "defaults filled in; a template's saved config fills in what it leaves out.")
    detect_config = obj({
        "engineVersion": engine,
        "inputSchema": schema,
        "instructions": STRING,
        "advancedOptions": flags(["tableParsingEnabled", "radioEnumsEnabled", "nativeFieldsOnly",
                                  "conditionalGenerationEnabled"]),
    }, extra=True)
    file = {
        **obj({"url": HTTP_URL, "id": NONEMPTY, "name": STRING,
               "settings": obj({"password": STRING}, extra=True)}, extra=True,
              description="By `url` (a form the server makes: the schema's fields, else a short "
              "application form) or by `id` (an uploaded file's): exactly one."),
        "oneOf": [given("url", "string"), given("id", "string")],
    }
    edit = {
        **obj({"file": file, "templateId": NONEMPTY, "config": edit_config}, extra=True,
              description="An edit of one PDF: `file` or `templateId` (a fixture's edit template), "
              "not both."),
        "oneOf": [{"required": ["file"], "not": {"required": ["templateId"]}},
                  {"required": ["templateId"], "not": {"required": ["file"]}}],
    }
    detect = obj({"file": file, "config": detect_config}, ["file"], extra=True,
                 description="A form detection of one PDF.")
    return {
        "CreateEditRunRequest": edit,
        "EditRequest": edit,
        "CreateFormDetectionRunRequest": detect,
        "DetectFormRequest": detect,
        "GenerateEditSchemaRequest": detect,
    }


def edit_paths():
    """Edit runs, edit templates and form detection: resources of their own."""
    edit_id = path_param("id", "An edit run's id (`edr_…`).")
    detect_id = path_param("id", "A form detection run's id (`sgr_…`).")
    link_edit = links("$response.body#/id", GetCreatedEditRun="editRuns_get",
                      DeleteCreatedEditRun="editRuns_delete")
    link_detect = links("$response.body#/id", GetCreatedFormDetectionRun="formDetectionRuns_get")
    sync = {"504": answer("Error", "The run did not end within --sync-timeout: it goes on, and "
                          "`runId` names it")}
    return {
        "/edit_runs": {
            "get": api("editRuns_list", "List edit runs", "EditRunsListResponse", [
                query("status", {"enum": ["PROCESSING", "PROCESSED", "FAILED"]}),
                query("source", {"enum": ["API", "STUDIO", "ADMIN"]},
                      "Every run here is made through the API."),
                query("fileNameContains", STRING),
                *PAGING,
            ]),
            "post": api("editRuns_create", "Create an edit run", "EditRun",
                        body=json_body("CreateEditRunRequest"), links=link_edit),
        },
        "/edit_runs/{id}": {
            "get": api("editRuns_get", "Get an edit run", "EditRun", [edit_id]),
            "delete": api("editRuns_delete", "Delete an edit run (its edited file stays)",
                          "EditRunsDeleteResponse", [edit_id]),
        },
        "/edit": {
            "post": api("editRuns_edit", "Edit: a run, answered once it has ended", "EditRun",
                        body=json_body("EditRequest"), links=link_edit, extra_responses=sync),
        },
        "/edit_templates": {
            "get": api("editTemplates_list", "List edit templates", "EditTemplatesListResponse",
                       [query("nameContains", STRING), *PAGING]),
        },
        "/edit_templates/{id}": {
            "get": api("editTemplates_get", "Get an edit template", "EditTemplate",
                       [path_param("id", "An edit template's id (`edt_…`).")]),
        },
        "/form_detection_runs": {
            "post": api("formDetectionRuns_create", "Create a form detection run", "FormDetectionRun",
                        body=json_body("CreateFormDetectionRunRequest"), links=link_detect),
        },
        "/form_detection_runs/{id}": {
            "get": api("formDetectionRuns_get", "Get a form detection run", "FormDetectionRun",
                       [detect_id]),
        },
        "/detect_form": {
            "post": api("formDetectionRuns_detect", "Detect a form: a run, answered once it has ended",
                        "FormDetectionRun", body=json_body("DetectFormRequest"), links=link_detect,
                        extra_responses=sync),
        },
        "/edit_schemas/generate": {
            "post": api("editSchemas_generate", "Generate an edit schema (deprecated in the API)",
                        "EditSchemaGenerationResponse", body=json_body("GenerateEditSchemaRequest")),
        },
    }


STEP_TYPES = ["TRIGGER", "PARSE", "EXTRACT", "CLASSIFY", "SPLIT", "MERGE_EXTRACT", "CONDITIONAL",
              "CONDITIONAL_EXTRACT", "EXTERNAL_DATA_VALIDATION", "WEBHOOK_RESPONSE", "RULE_VALIDATION",
              "HUMAN_REVIEW", "COLLECT", "FILE_CONVERSION", "VALIDATION", "ROUTER"]
WORKFLOW_RUN_STATUS = ["PENDING", "PROCESSING", "NEEDS_REVIEW", "REJECTED", "PROCESSED", "FAILED",
                       "CANCELLED", "CANCELLING"]
SUBSCRIPTION_EVENTS = [
    "extract_run.processed", "extract_run.failed", "classify_run.processed", "classify_run.failed",
    "split_run.processed", "split_run.failed", "batch_processor_run.processed",
    "batch_processor_run.failed", "workflow_run.completed", "workflow_run.failed",
    "workflow_run.needs_review", "workflow_run.rejected", "workflow_run.cancelled",
    "workflow_run.step_run.processed",
]

# A step definition as the server keeps it: checked (a known `type`, a
# unique `name`, `next` naming steps, references naming processors of the
# workspace) and written back as given, so its other keys stay open.
STEP = {
    "type": "object",
    "required": ["type", "name"],
    "properties": {
        "type": {"enum": STEP_TYPES},
        "name": TEXT,
        "config": ANY_OBJECT,
        "next": {"type": "array", "items": obj({"step": NONEMPTY}, ["step"], extra=True)},
    },
    "additionalProperties": True,
}


def workflow_requests():
    """The bodies of `/workflows`, `/workflow_runs` and `/webhook_subscriptions`."""
    # A step's optional keys may be `null`: read as absent, and not kept.
    step = {**STEP, "properties": {**STEP["properties"],
                                   "config": {"anyOf": [ANY_OBJECT, {"type": "null"}]},
                                   "next": {"anyOf": [STEP["properties"]["next"], {"type": "null"}]}}}
    steps = {"type": "array", "maxItems": 100, "items": step,
             "description": "Step names are unique; `next` names steps of the workflow; an "
             "EXTRACT, CLASSIFY or SPLIT config names a processor of the workspace (or is inline)."}
    file = {
        **obj({"url": HTTP_URL, "id": NONEMPTY, "text": TEXT, "name": STRING}, extra=True,
              description="By `url`, `id` (an uploaded file's) or `text` (kept as a file): exactly one."),
        "oneOf": [given("url", "string"), given("id", "string"), given("text", "string")],
    }
    package_file = {
        **obj({"url": HTTP_URL, "id": NONEMPTY, "name": STRING}, extra=True),
        "oneOf": [given("url", "string"), given("id", "string")],
    }
    reference = obj({"id": NONEMPTY, "version": NONEMPTY}, ["id"], extra=True,
                    description="`version`: `draft`, `latest`, a number, or omitted (the newest deployed, "
                    "else the draft).")
    metadata = {**ANY_OBJECT, "description": "At most 10 KB as JSON."}
    return {
        "CreateWorkflowRequest": obj({"name": TEXT, "steps": steps}, ["name"], extra=True,
                                     description="Without `steps`: TRIGGER → PARSE."),
        "UpdateWorkflowRequest": obj({"name": TEXT, "steps": steps}, extra=True,
                                     description="`steps` replace the draft's."),
        "DeployWorkflowVersionRequest": obj(
            {"name": TEXT, "steps": steps}, extra=True,
            description="Deploys the steps given, else the draft's; a step that needs a config and "
            "has none is a 400 naming it."),
        "CreateWorkflowRunRequest": obj(
            {
                "workflow": reference,
                "file": file,
                "package": obj({"files": {"type": "array", "minItems": 2, "maxItems": 50,
                                          "items": package_file}}, ["files"], extra=True),
                "outputs": {"type": "array", "items": obj({"processorId": NONEMPTY, "output": ANY_OBJECT},
                                                         ["processorId", "output"], extra=True)},
                "priority": {"type": "integer", "minimum": 1, "maximum": 100},
                "metadata": metadata,
                "secrets": {**ANY_OBJECT, "description": "For the steps; never kept or shown."},
            },
            ["workflow"],
            extra=True,
            description="One of `file` or `package`. `outputs` name an extractor, classifier or "
            "splitter of the workspace, and its step ends with that output.",
        ),
        "UpdateWorkflowRunRequest": obj({"name": STRING, "metadata": metadata}, extra=True,
                                        description="`metadata` is merged into the run's."),
        "CreateWorkflowRunBatchRequest": obj(
            {
                "workflow": reference,
                "inputs": {"type": "array", "minItems": 1, "maxItems": 1000,
                           "items": obj({"file": file, "metadata": metadata, "secrets": ANY_OBJECT},
                                        ["file"], extra=True)},
                "priority": {"type": "integer", "minimum": 1, "maximum": 100},
            },
            ["workflow", "inputs"],
            extra=True,
        ),
        "CreateWebhookSubscriptionRequest": obj(
            {
                "webhookEndpointId": NONEMPTY,
                "resourceType": {"enum": ["extractor", "classifier", "splitter", "workflow"]},
                "resourceId": NONEMPTY,
                "enabledEvents": {"type": "array", "items": {"enum": SUBSCRIPTION_EVENTS}},
            },
            ["webhookEndpointId", "resourceType", "resourceId", "enabledEvents"],
            extra=True,
            description="The endpoint and the resource must exist in the workspace, and each event "
            "be one the resource type sends. Upserts per endpoint and resource.",
        ),
        "UpdateWebhookSubscriptionRequest": obj(
            {"enabledEvents": {"type": "array", "items": {"enum": SUBSCRIPTION_EVENTS}}},
            ["enabledEvents"], extra=True),
    }


def workflow_paths():
    """Workflows, their versions and runs, and webhook subscriptions."""
    wf_id = path_param("id", "A workflow's id (`workflow_…`).")
    run_id = path_param("id", "A workflow run's id (`workflow_run_…`).")
    sub_id = path_param("id", "A webhook subscription's id (`whes_…`).")
    link_wf = links("$response.body#/id", GetCreatedWorkflow="workflows_get",
                    ListCreatedWorkflowVersions="workflowVersions_list")
    link_run = links("$response.body#/id", GetCreatedWorkflowRun="workflowRuns_get",
                     CancelCreatedWorkflowRun="workflowRuns_cancel",
                     DeleteCreatedWorkflowRun="workflowRuns_delete")
    return {
        "/workflows": {
            "get": api("workflows_list", "List workflows", "WorkflowsListResponse", PAGING),
            "post": api("workflows_create", "Create a workflow", "Workflow",
                        body=json_body("CreateWorkflowRequest"), links=link_wf),
        },
        "/workflows/{id}": {
            "get": api("workflows_get", "Get a workflow, with its draft", "Workflow", [wf_id]),
            "post": api("workflows_update", "Change a workflow's name or draft steps", "Workflow", [wf_id],
                        body=json_body("UpdateWorkflowRequest")),
        },
        "/workflows/{id}/versions": {
            "get": api("workflowVersions_list", "List a workflow's versions, the draft too",
                       "WorkflowVersionsListResponse", [wf_id, *PAGING[1:]]),
            "post": api("workflowVersions_create", "Deploy a version (\"1\", \"2\", …)", "WorkflowVersion",
                        [wf_id], body=json_body("DeployWorkflowVersionRequest", required=False)),
        },
        "/workflows/{id}/versions/{versionId}": {
            "get": api("workflowVersions_get", "Get a version: `draft`, `latest`, a number or an id",
                       "WorkflowVersion", [wf_id, path_param("versionId")]),
        },
        "/workflow_runs": {
            "get": api("workflowRuns_list", "List workflow runs", "WorkflowRunsListResponse", [
                query("status", {"enum": WORKFLOW_RUN_STATUS}),
                query("workflowId", NONEMPTY),
                query("batchId", NONEMPTY, "The runs of a batch (`POST /workflow_runs/batch`)."),
                query("fileNameContains", STRING),
                *PAGING,
            ]),
            "post": api("workflowRuns_create", "Run a workflow: PROCESSING, its steps running", "WorkflowRun",
                        body=json_body("CreateWorkflowRunRequest"), links=link_run),
        },
        "/workflow_runs/batch": {
            "post": api("workflowRuns_createBatch", "Run a workflow once per input",
                        "WorkflowRunsCreateBatchResponse", body=json_body("CreateWorkflowRunBatchRequest")),
        },
        "/workflow_runs/{id}": {
            "get": api("workflowRuns_get", "Get a workflow run, with its step runs", "WorkflowRun", [run_id]),
            "post": api("workflowRuns_update", "Change a run's name or metadata (merged)", "WorkflowRun",
                        [run_id], body=json_body("UpdateWorkflowRunRequest")),
            "delete": api("workflowRuns_delete", "Delete a workflow run", "WorkflowRunsDeleteResponse",
                          [run_id]),
        },
        "/workflow_runs/{id}/cancel": {
            "post": api("workflowRuns_cancel", "Cancel a PENDING or PROCESSING workflow run, and its "
                        "unfinished steps", "WorkflowRun", [run_id]),
        },
        "/webhook_subscriptions": {
            "get": api("webhookSubscriptions_list", "List webhook subscriptions",
                       "WebhookSubscriptionsListResponse",
                       [query("webhookEndpointId", NONEMPTY), query("resourceId", NONEMPTY), *PAGING[1:]]),
            "post": api("webhookSubscriptions_create", "Subscribe an endpoint to a resource's events "
                        "(an upsert per endpoint and resource)", "WebhookSubscription",
                        body=json_body("CreateWebhookSubscriptionRequest"),
                        links=links("$response.body#/id", GetCreatedSubscription="webhookSubscriptions_get")),
        },
        "/webhook_subscriptions/{id}": {
            "get": api("webhookSubscriptions_get", "Get a webhook subscription", "WebhookSubscription",
                       [sub_id]),
            "post": api("webhookSubscriptions_update", "Change a subscription's events", "WebhookSubscription",
                        [sub_id], body=json_body("UpdateWebhookSubscriptionRequest")),
            "delete": api("webhookSubscriptions_delete", "Delete a webhook subscription",
                          "WebhookSubscriptionsDeleteResponse", [sub_id]),
        },
        "/_mock/workflow_runs/{id}/approve": {
            "post": mock("mock_approveWorkflowRun", "Approve a NEEDS_REVIEW workflow run: it goes on past "
                         "its review step", answer("WorkflowRun"), [run_id],
                         body=json_body("MockReview", required=False)),
        },
        "/_mock/workflow_runs/{id}/reject": {
            "post": mock("mock_rejectWorkflowRun", "Reject a NEEDS_REVIEW workflow run: REJECTED, with the "
                         "note", answer("WorkflowRun"), [run_id],
                         body=json_body("MockReview", required=False)),
        },
    }


def family_paths(f):
    """A family of the current API: views of the same runs and processors
    (an extractor is an EXTRACT processor, a classifier a CLASSIFY one, a
    splitter a SPLITTER one)."""
    runs, op, p, key, procs = f["runs"], f["run_op"], f["processor"], f["key"], f["processors"]
    noun = f["noun"]
    a_noun = article(noun)
    versions = f"{key}Versions"
    run_id = path_param("id", f"{a_noun.capitalize()}'s id: a run of {article(key)}, "
                        "made here or through /processor_runs.")
    processor_id = path_param("id", f"{article(key).capitalize()}'s id.")
    version_id = path_param("versionId", "A version's id, its number (`1.0`), `draft` or `latest`.")
    name = f["verb"]
    link_run = links("$response.body#/id", **{f"GetCreated{name}Run": f"{op}_get",
                                              f"CancelCreated{name}Run": f"{op}_cancel",
                                              f"DeleteCreated{name}Run": f"{op}_delete"})
    link_processor = {
        **links("$response.body#/id", **{f"GetCreated{p}": f"{procs}_get",
                                         f"UpdateCreated{p}": f"{procs}_update",
                                         f"ListCreated{p}Versions": f"{versions}_list",
                                         f"PublishCreated{p}Version": f"{versions}_create"}),
        f"GetCreated{p}Draft": {"operationId": f"{versions}_get",
                                "parameters": {"id": "$response.body#/id",
                                               "versionId": "$response.body#/draftVersion/id"}},
    }
    link_version = {
        "GetPublishedVersion": {"operationId": f"{versions}_get",
                                "parameters": {"id": f"$response.body#/{f['id_key']}",
                                               "versionId": "$response.body#/id"}},
    }
    filters = [
        query("status", {"enum": RUN_STATUS}),
        query(f["id_key"], NONEMPTY),
        query("batchId", NONEMPTY, "The runs of a batch (`POST …/batch`): those with the "
              "batch's id as `sourceId` and `source` `BATCH_PROCESSOR_RUN`."),
        query("sourceId", NONEMPTY),
        query("source", {"enum": RUN_SOURCE}),
        query("fileNameContains", STRING),
    ]
    run, plural = f["run"], f"{p}s"
    an_p = article(key)
    return {
        f"/{runs}": {
            "get": api(f"{op}_list", f"List {noun}s", f"{run}sListResponse", [*filters, *PAGING]),
            "post": api(f"{op}_create", f"Create {a_noun}", run,
                        body=json_body(f"Create{f['verb']}RunRequest"), links=link_run),
        },
        f"/{runs}/{{id}}": {
            "get": api(f"{op}_get", f"Get {a_noun}", run, [run_id]),
            "delete": api(f"{op}_delete", f"Delete {a_noun}", f"{run}sDeleteResponse", [run_id]),
        },
        f"/{runs}/batch": {
            "post": api(f"{op}_createBatch", f"Create a batch of {noun}s", "BatchRun",
                        body=json_body(f"Create{f['verb']}RunBatchRequest"),
                        links=links("$response.body#/id", GetCreatedBatch="batchRuns_get")),
        },
        f"/{runs}/{{id}}/cancel": {
            "post": api(f"{op}_cancel", f"Cancel {a_noun}", run, [run_id]),
        },
        f"/{f['sync']}": {
            "post": api(f"{op}_{f['sync']}", f"{f['verb']}: a run, answered once it has ended", run,
                        body=json_body(f"{f['verb']}Request"), links=link_run, extra_responses={
                            "504": answer("Error", "The run did not end within --sync-timeout: it goes "
                                          "on, and `runId` names it"),
                        }),
        },
        f"/{procs}": {
            "get": api(f"{procs}_list", f"List {key}s", f"{plural}ListResponse", PAGING),
            "post": api(f"{procs}_create", f"Create {an_p}", p,
                        body=json_body(f"Create{p}Request"), links=link_processor),
        },
        f"/{procs}/{{id}}": {
            "get": api(f"{procs}_get", f"Get {an_p}", p, [processor_id]),
            "post": api(f"{procs}_update", f"Update {an_p} and its draft", p, [processor_id],
                        body=json_body(f"Update{p}Request")),
        },
        f"/{procs}/{{id}}/versions": {
            "get": api(f"{versions}_list", f"List {an_p}'s versions", f"{p}VersionsListResponse",
                       [processor_id, *PAGING[1:]]),
            "post": api(f"{versions}_create", f"Publish {an_p} version", f"{p}Version",
                        [processor_id], body=json_body(f"Create{p}VersionRequest"), links=link_version),
        },
        f"/{procs}/{{id}}/versions/{{versionId}}": {
            "get": api(f"{versions}_get", f"Get {an_p} version", f"{p}Version",
                       [processor_id, version_id]),
        },
    }


def document():
    schemas = sdk_schemas()
    # Endpoints pinned before 2026-02-09 subscribe to the legacy run events,
    # which the SDK's enum no longer lists (SPEC, webhooks).
    events = schemas["WebhookEndpointEventType"]
    events["enum"] = [*events["enum"], "processor_run.processed", "processor_run.failed"]
    # A cancelled parse run is CANCELLED (SPEC Part 6): the SDKs' enums are
    # open, their lists lack it.
    for name in ["ParseRunStatusEnum", "ParseRunSummaryStatus"]:
        if name in schemas and "CANCELLED" not in schemas[name]["enum"]:
            schemas[name]["enum"] = [*schemas[name]["enum"], "CANCELLED"]
    # An edit's config is the client's, written back with its defaults: its
    # keys, options and schema stay open (the schemas the server writes,
    # `output.schema`, are checked closed).
    for name in ["EditConfig", "EditConfigAdvancedOptions", "EditSchemaGenerationConfig",
                 "EditSchemaGenerationConfigAdvancedOptions"]:
        if name in schemas:
            schemas[name]["additionalProperties"] = True
    schemas["EditConfig"]["properties"]["schema"] = ANY_OBJECT
    schemas["EditSchemaGenerationConfig"]["properties"]["inputSchema"] = ANY_OBJECT
    mock = mock_schemas()
    for name in ["MockFixtureDocument", "MockFinishRun", "MockFailRun", "MockTestEvent"]:
        nullable(mock[name])
    nullable(mock["MockRuleSpec"], keep=["hold"])
    nullable(mock["MockFaultSpec"], keep=["count"])
    mock["MockReview"] = obj({"reviewer": STRING, "note": STRING},
                             description="`reviewer`: `reviewedByUser` (a made-up address when absent); "
                             "`note`: a rejection's `rejectionNote`.")
    schemas.update(mock)
    # Steps are written back as given (checked, not rewritten).
    for name in ["WorkflowVersion"]:
        schemas[name]["properties"]["steps"] = {"type": "array", "items": STEP}
    requests = request_schemas()
    requests.update(workflow_requests())
    for schema in requests.values():
        nullable(schema)

    nullable(requests["CreateProcessorRunRequest"]["properties"]["file"]["anyOf"][0])
    schemas.update(requests)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "extend-mock",
            "version": "0.1.0",
            "summary": "A local, stateful emulator of the Extend API",
            "description": "Everything extend-mock serves: the Extend API operations it emulates "
            f"(response schemas from the official Python SDK, extend-ai {extend_ai.version.__version__}) "
            "and its control plane under /_mock/. Generated by openapi/generate.py.\n\n"
            "A control-plane call is for the default state, or for the sandbox its "
            "`x-extend-mock-sandbox` header names (docs/sandboxes.md); an API call finds its "
            "sandbox by its key.",
            "license": {"name": "MIT OR Apache-2.0", "identifier": "MIT OR Apache-2.0"},
        },
        "servers": [{"url": "http://127.0.0.1:8080"}],
        "paths": paths(),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "responses": {"Error": answer("Error", "An error, in the API's error shape")},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "An API key of the fixtures."},
                "admin": {"type": "http", "scheme": "bearer",
                          "description": "The --admin-token, when the server has one."},
            },
        },
    }


def main():
    text = json.dumps(document(), indent=2, sort_keys=False) + "\n"
    if "--check" in sys.argv:
        if OUT.read_text() != text:
            sys.exit("openapi/openapi.json is stale: run python openapi/generate.py")
        return
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(HERE.parent)} ({len(text)} bytes)")


if __name__ == "__main__":
    main()
