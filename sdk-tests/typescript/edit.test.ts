// Edit runs and form detection of API 2026-02-09 through the official TypeScript SDK (extend-ai, unmodified): the sync
// POST /edit and /detect_form, /edit_runs (createAndPoll, create, retrieve, delete), /form_detection_runs (create,
// retrieve), POST /edit_schemas/generate and GET /edit_templates/{id}. Forms are made with pdf-lib, uploaded through
// the SDK, and every edited file is downloaded and read back with pdf-lib. Also: an upload's page count for a PDF as
// pdf-lib saves it by default (pages in compressed object streams).
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { PDFDocument, PDFField, PDFHexString, PDFName, PDFString } from "pdf-lib";
import { Extend, ExtendClient } from "extend-ai";

const MOCK = process.env.EXTEND_MOCK_URL ?? "http://127.0.0.1:8080";
const FAST = { initialDelayMs: 100, maxDelayMs: 200, jitterFraction: 0, maxWaitMs: 30_000 };
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

async function mock(method: string, path: string, body?: unknown) {
  const init = { method, headers: { "content-type": "application/json" }, body: body && JSON.stringify(body) };
  const res = await fetch(`${MOCK}/_mock${path}`, init);
  if (!res.ok) throw new Error(`${method} /_mock${path}: ${res.status} ${await res.text()}`);
  return res.json();
}
const SEED = {
  organizations: [{ id: "org_a", name: "A", workspaces: [{ id: "ws_a", name: "A" }, { id: "ws_b", name: "B" }] }],
  apiKeys: [{ token: "key_a", name: "a", scope: "workspace", workspaceId: "ws_a" }],
  // The server makes each template's form (a PDF file of the workspace) from its fields.
  editTemplates: [
    { id: "edt_w9", workspaceId: "ws_a", name: "W-9 Template", description: "Fill a W-9 form", fileName: "W-9.pdf",
      fields: [{ name: "name", label: "Name", type: "text" }, { name: "exempt", label: "Exempt payee", type: "checkbox" },
        { name: "classification", type: "radio", options: ["Individual", "Corporation"] }],
      config: { instructions: "name as Saved Name. leave all other fields blank", advancedOptions: { flattenPdf: false } },
      createdAt: "2026-01-01T00:00:00Z" },
    { id: "edt_nda", workspaceId: "ws_a", name: "Mutual NDA", fileName: "NDA.pdf",
      fields: [{ name: "counterparty", type: "text" }, { name: "term", type: "dropdown", options: ["1 year", "2 years"] }],
      schemaConfig: { instructions: "Name the parties", advancedOptions: { radioEnumsEnabled: false } },
      createdAt: "2026-01-02T00:00:00Z" },
    { id: "edt_other", workspaceId: "ws_b", name: "Other W-9", fileName: "w9.pdf", fields: [{ name: "name", type: "text" }] },
  ],
};
const client = (token = "key_a") => new ExtendClient({ token, baseUrl: MOCK });

/** The TypeScript SDK does not validate answers: every key declared, every required one there, at each level. */
function keys(value: object, required: string[], optional: string[] = []) {
  const present = Object.keys(value);
  for (const key of present) expect([...required, ...optional], `undeclared ${key}`).toContain(key);
  for (const key of required) expect(present, `missing ${key}`).toContain(key);
}
const RUN = ["object", "id", "file", "status", "failureReason", "failureMessage", "config", "output", "metrics", "usage"];
const FILE = ["object", "id", "name", "type", "parentFileId", "metadata", "createdAt", "updatedAt"];
const TEMPLATE = ["object", "id", "name", "description", "file", "config", "schemaConfig", "createdAt", "updatedAt"];
// The server answers `engineVersion` in a run's config (its OpenAPI document declares it); extend-ai 1.17's EditConfig
// and EditSchemaGenerationConfig do not.
const NOT_IN_TS_CONFIG = ["engineVersion"];
const EDIT_CONFIG = ["schema", "instructions", "schemaGenerationInstructions", "advancedOptions", ...NOT_IN_TS_CONFIG];
const DETECT_CONFIG = ["inputSchema", "instructions", "advancedOptions", ...NOT_IN_TS_CONFIG];
const DETECT_OPTIONS = ["tableParsingEnabled", "radioEnumsEnabled", "nativeFieldsOnly", "conditionalGenerationEnabled"];
const EDIT_OPTIONS = ["tableParsingEnabled", "flattenPdf", "radioEnumsEnabled", "nativeFieldsOnly", "conditionalGenerationEnabled"];
const DETECT_METRICS = ["processingTimeMs", "pageCount", "fieldCount", "fieldsDetectedCount", "fieldsAnnotatedCount",
  "fieldDetectionTimeMs", "fieldAnnotationTimeMs"];
const EDIT_METRICS = [...DETECT_METRICS, "fieldFillingTimeMs"];
const ROOT_JSON = ["required", "additionalProperties", "dependentRequired", "if", "then", "else", "allOf", "oneOf", "anyOf", "not"];
const EDIT_JSON = ["type", "description", "extend_edit:field_type", "extend_edit:bbox", "extend_edit:bboxes",
  "extend_edit:page_index", "extend_edit:text_edit_options", "extend_edit:column_width", "extend_edit:value",
  "extend_edit:image", "extend_edit:row_heights", "items", "properties", "enum", "maxItems", "required", "additionalProperties"];
// Detected properties carry the AcroForm field they came from and their choices' texts, as the server's OpenAPI
// document declares (EditSourceAcroForm); extend-ai 1.17's EditJson does not declare either key.
const NOT_IN_TS_EDIT_JSON = ["extend_edit:source_acroform", "extend:descriptions"];
const BOX = ["left", "top", "right", "bottom"];
const DEFAULT_EDIT_OPTIONS = { tableParsingEnabled: false, flattenPdf: true, radioEnumsEnabled: true,
  nativeFieldsOnly: false, conditionalGenerationEnabled: false };
const DEFAULT_DETECT_OPTIONS = { tableParsingEnabled: false, radioEnumsEnabled: true, nativeFieldsOnly: false,
  conditionalGenerationEnabled: false };

/** An EditRootJson and each of its EditJson properties exactly as declared. */
function checkSchema(schema: Record<string, any>) {
  keys(schema, ["type", "properties"], ROOT_JSON);
  expect(schema.type).toBe("object");
  for (const property of Object.values<Record<string, any>>(schema.properties)) {
    keys(property, [], [...EDIT_JSON, ...NOT_IN_TS_EDIT_JSON]);
    if (property["extend_edit:bbox"]) keys(property["extend_edit:bbox"], BOX);
    for (const box of property["extend_edit:bboxes"] ?? []) keys(box, BOX);
  }
  return schema;
}

/** An EditRun or a FormDetectionRun as declared: every key there, the status's own nulls. */
function checkRun<R extends Extend.EditRun | Extend.FormDetectionRun>(run: R, status = "PROCESSED"): R {
  const edit = run.object === "edit_run";
  keys(run, RUN);
  expect(run.status).toBe(status);
  expect(run.id).toMatch(edit ? /^edr_\w+$/ : /^sgr_\w+$/);
  keys(run.file, FILE);
  keys(run.file.metadata, [], ["pageCount", "parentSplit"]);
  expect([run.file.object, RFC3339.test(run.file.createdAt)]).toEqual(["file", true]);
  keys(run.config, [], edit ? EDIT_CONFIG : DETECT_CONFIG);
  keys(run.config.advancedOptions!, [], edit ? EDIT_OPTIONS : DETECT_OPTIONS);
  if (status !== "PROCESSED") {
    expect([run.output, run.metrics, run.usage]).toEqual([null, null, null]);
    if (status === "PROCESSING") expect([run.failureReason, run.failureMessage]).toEqual([null, null]);
    return run;
  }
  expect([run.failureReason, run.failureMessage]).toEqual([null, null]);
  const metrics = run.metrics as Record<string, number>;
  keys(metrics, edit ? EDIT_METRICS : DETECT_METRICS);
  for (const [key, value] of Object.entries(metrics)) expect(Number.isFinite(value) && value >= 0, key).toBe(true);
  expect(metrics.pageCount).toBe(run.file.metadata.pageCount);
  // A credit a page; `totalCredits` equals `credits` for runs that start no other work.
  expect(run.usage).toEqual({ credits: metrics.pageCount, totalCredits: metrics.pageCount });
  if (edit) {
    const output = (run as Extend.EditRun).output!;
    keys(output, ["editedFile"], ["filledValues"]);
    keys(output.editedFile, ["id", "presignedUrl"]);
    expect(output.editedFile.id).toMatch(/^file_\w+$/);
  } else {
    const output = (run as Extend.FormDetectionRun).output!;
    keys(output, ["schema", "annotatedSchema", "mappingResult"]);
    checkSchema(output.schema);
    checkSchema(output.annotatedSchema!);
  }
  return run;
}

async function upload(sdk: ExtendClient, bytes: Uint8Array | string, name: string, type = "application/pdf") {
  return sdk.files.upload(new File([bytes], name, { type }), {});
}

/** A keyless GET of a download link: a PDF, loaded by pdf-lib. */
async function download(link: string) {
  const res = await fetch(link);
  expect([res.status, res.headers.get("content-type")]).toEqual([200, "application/pdf"]);
  return PDFDocument.load(await res.arrayBuffer());
}

/** A widget's box as the API gives it: points from the page's top left, to the hundredth. */
function box(field: PDFField, widget: number, pageHeight: number) {
  const { x, y, width, height } = field.acroField.getWidgets()[widget].getRectangle();
  const r = (v: number) => Math.round(v * 100) / 100;
  return { left: r(x), top: r(pageHeight - y - height), right: r(x + width), bottom: r(pageHeight - y) };
}
const options = (values: string[], exports = values) =>
  values.map((v, i) => ({ schemaValue: v, exportValue: exports[i], displayValue: v }));

/**
 * An application form made with pdf-lib: on a Letter page `applicant.name` (a text field under a parent, labelled
 * "Applicant name"), `subscribe` (a checkbox) and `plan` (a radio group: Basic, Pro); on a taller second page `state`
 * (a dropdown: CA, NY, TX). With the schema form detection reads from it, its boxes from pdf-lib's own rectangles.
 * pdf-lib names a radio group's on-states by index ("0", "1") and keeps the texts in the field's /Opt: the schema's
 * choices are the texts (their export values the on-states), and `getSelected()` turns a state back into its text.
 */
async function applicationForm() {
  const doc = await PDFDocument.create();
  const one = doc.addPage([612, 792]);
  const two = doc.addPage([612, 1008]);
  one.drawText("Application", { x: 72, y: 740, size: 16 });
  const form = doc.getForm();
  const name = form.createTextField("applicant.name");
  name.acroField.dict.set(PDFName.of("TU"), PDFHexString.fromText("Applicant name"));
  name.addToPage(one, { x: 100, y: 700, width: 200, height: 20 });
  const subscribe = form.createCheckBox("subscribe");
  subscribe.addToPage(one, { x: 100, y: 660, width: 12, height: 12 });
  const plan = form.createRadioGroup("plan");
  plan.addOptionToPage("Basic", one, { x: 100, y: 620, width: 12, height: 12 });
  plan.addOptionToPage("Pro", one, { x: 150, y: 620, width: 12, height: 12 });
  const state = form.createDropdown("state");
  state.addOptions(["CA", "NY", "TX"]);
  state.addToPage(two, { x: 100, y: 900, width: 100, height: 20 });
  const schema = {
    type: "object", required: [], properties: {
      name: { type: ["string", "null"], description: "Applicant name", "extend_edit:field_type": "text",
        "extend_edit:page_index": 0, "extend_edit:bbox": box(name, 0, 792),
        "extend_edit:source_acroform": { fieldName: "applicant.name", fieldType: "text" } },
      subscribe: { type: ["boolean", "null"], description: "subscribe", "extend_edit:field_type": "checkbox",
        "extend_edit:page_index": 0, "extend_edit:bbox": box(subscribe, 0, 792),
        "extend_edit:source_acroform": { fieldName: "subscribe", fieldType: "checkbox", optionValue: "Yes" } },
      plan: { description: "plan", enum: ["Basic", "Pro"], "extend:descriptions": ["Basic", "Pro"], "extend_edit:field_type": "radio",
        "extend_edit:page_index": 0, "extend_edit:bboxes": [box(plan, 0, 792), box(plan, 1, 792)],
        "extend_edit:source_acroform": { fieldName: "plan", fieldType: "radio", optionMap: options(["Basic", "Pro"], ["0", "1"]) } },
      state: { description: "state", enum: ["CA", "NY", "TX"], "extend:descriptions": ["CA", "NY", "TX"],
        "extend_edit:field_type": "dropdown", "extend_edit:page_index": 1, "extend_edit:bbox": box(state, 0, 1008),
        "extend_edit:source_acroform": { fieldName: "state", fieldType: "dropdown", optionMap: options(["CA", "NY", "TX"]) } },
    },
  };
  // Without object streams: the upload counts a PDF's pages by its `/Type /Page` objects.
  return { bytes: await doc.save({ useObjectStreams: false }), schema, planBoxes: [box(plan, 0, 792), box(plan, 1, 792)] };
}

/** Polls a retrieve until the run is no longer PROCESSING; while it is, it reads as made. */
async function settle<R extends { status: string }>(made: R, get: () => Promise<R>) {
  const started = Date.now();
  for (;;) {
    const got = await get();
    if (got.status !== "PROCESSING") return got;
    expect(got).toEqual(made);
    expect(Date.now() - started).toBeLessThan(30_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("edit", () => {
  beforeEach(() => mock("PUT", "/fixtures", SEED));
  afterEach(() => mock("POST", "/reset"));

  test("sync edit of an uploaded pdf-lib form: filledValues as the instructions say, read back from the download", async () => {
    const sdk = client();
    const { bytes } = await applicationForm();
    const uploaded = await upload(sdk, bytes, "application.pdf");
    const instructions =
      "Fill the applicant name as Jane Doe. Check subscribe. Set the Pro plan. Set the state to NY. Leave all other fields blank.";
    const run = checkRun(await sdk.edit({ file: { id: uploaded.id }, config: { instructions } }));
    expect(run.object).toBe("edit_run");
    expect([run.file.id, run.file.name, run.file.type, run.file.metadata]).toEqual([uploaded.id, "application.pdf", "PDF", { pageCount: 2 }]);
    expect(run.config).toEqual({ instructions, engineVersion: "1.0.0", advancedOptions: DEFAULT_EDIT_OPTIONS });
    const filled = run.output!.filledValues!;
    expect(filled).toEqual({ name: "Jane Doe", subscribe: true, plan: "Pro", state: "NY" });
    const { pageCount, fieldCount, fieldsDetectedCount, fieldsAnnotatedCount } = run.metrics!;
    expect([pageCount, fieldCount, fieldsDetectedCount, fieldsAnnotatedCount]).toEqual([2, 4, 4, 4]);

    const edited = await download(run.output!.editedFile.presignedUrl);
    const form = edited.getForm();
    const plan = form.getRadioGroup("plan");
    expect([form.getTextField("applicant.name").getText(), form.getCheckBox("subscribe").isChecked(),
      plan.getSelected(), form.getDropdown("state").getSelected()])
      .toEqual([filled.name, filled.subscribe, filled.plan, [filled.state]]);
    // pdf-lib's second option, "Pro", is its on-state "1".
    expect([plan.getOptions(), plan.acroField.getValue().decodeText()]).toEqual([["Basic", "Pro"], "1"]);
    // flattenPdf (the default) leaves the values readable and every field read-only.
    expect(form.getFields().map((f) => [f.getName(), f.isReadOnly()])).toEqual(
      [["applicant.name", true], ["subscribe", true], ["plan", true], ["state", true]]);
    expect(edited.getPageCount()).toBe(2);

    // The edited file is a file of the workspace; its own link serves the same bytes. The upload is as it was.
    const file = await sdk.files.retrieve(run.output!.editedFile.id);
    expect([file.name, file.type, file.metadata]).toEqual(["application_edited.pdf", "PDF", { pageCount: 2 }]);
    const viaFile = await download(file.presignedUrl!);
    expect(viaFile.getForm().getTextField("applicant.name").getText()).toBe("Jane Doe");
    const original = (await download((await sdk.files.retrieve(uploaded.id)).presignedUrl!)).getForm();
    expect([original.getTextField("applicant.name").getText(), original.getCheckBox("subscribe").isChecked(),
      original.getRadioGroup("plan").getSelected()]).toEqual([undefined, false, undefined]);
    // Retrieve answers the same run, its link signed anew.
    const again = checkRun(await sdk.editRuns.retrieve(run.id));
    const link = expect.stringContaining(`/_download/${file.id}?`);
    expect(again).toEqual({ ...run, output: { ...run.output, editedFile: { id: file.id, presignedUrl: link } } });
    await expect(sdk.formDetectionRuns.retrieve(run.id)).rejects.toBeInstanceOf(Extend.NotFoundError);
  }, 40_000);

  test("createAndPoll on a url: a form of the schema's fields, filled and read back", async () => {
    const sdk = client();
    const schema: Extend.EditRootJson = { type: "object", properties: {
      patient_name: { type: ["string", "null"], description: "Patient name" },
      insured: { type: ["boolean", "null"] },
      plan: { enum: ["Basic", "Pro"] },
      visit: { enum: ["New", "Follow-up"], "extend_edit:field_type": "dropdown" },
    } };
    const instructions = "Patient name as Sam Lee. Check insured. Set the Pro plan. Visit: Follow-up. Leave all other fields blank.";
    const config = { schema, instructions, advancedOptions: { flattenPdf: false } };
    const run = checkRun(await sdk.editRuns.createAndPoll({ file: { url: "https://example.com/forms/intake.pdf" }, config }, FAST));
    expect(Object.keys(run).sort()).toEqual([...RUN].sort());
    expect(Object.keys(run.metrics!).sort()).toEqual([...EDIT_METRICS].sort());
    expect([run.object, run.file.name, run.file.type, run.file.metadata, run.file.parentFileId])
      .toEqual(["edit_run", "intake.pdf", "PDF", { pageCount: 1 }, null]);
    expect(run.file.id).toMatch(/^file_\w+$/);
    expect(run.config).toEqual({ ...config, engineVersion: "1.0.0", advancedOptions: { ...DEFAULT_EDIT_OPTIONS, flattenPdf: false } });
    const filled = run.output!.filledValues!;
    expect(filled).toEqual({ patient_name: "Sam Lee", insured: true, plan: "Pro", visit: "Follow-up" });
    const { pageCount, fieldCount, fieldsDetectedCount, fieldsAnnotatedCount } = run.metrics!;
    expect([pageCount, fieldCount, fieldsDetectedCount, fieldsAnnotatedCount]).toEqual([1, 4, 4, 4]);

    // The server's form names a radio button's on-state by its choice, so `getSelected()` is the value as filled.
    const form = (await download(run.output!.editedFile.presignedUrl)).getForm();
    expect([form.getTextField("patient_name").getText(), form.getCheckBox("insured").isChecked(),
      form.getRadioGroup("plan").getSelected(), form.getDropdown("visit").getSelected()])
      .toEqual([filled.patient_name, filled.insured, filled.plan, [filled.visit]]);
    expect([form.getRadioGroup("plan").getOptions(), form.getDropdown("visit").getOptions()]).toEqual([["Basic", "Pro"], ["New", "Follow-up"]]);
    // flattenPdf off: the fields stay editable.
    expect(form.getFields().map((f) => [f.getName(), f.isReadOnly()]))
      .toEqual([["insured", false], ["patient_name", false], ["plan", false], ["visit", false]]);
    expect((await sdk.files.retrieve(run.output!.editedFile.id)).name).toBe("intake_edited.pdf");
    expect(await sdk.editRuns.retrieve(run.id)).toEqual({ ...run, output: { ...run.output,
      editedFile: { ...run.output!.editedFile, presignedUrl: expect.stringContaining(`/_download/${run.output!.editedFile.id}?`) } } });
  }, 40_000);

  test("detectForm, formDetectionRuns polled to PROCESSED, editSchemas.generate: the form read as an edit schema", async () => {
    const sdk = client();
    const { bytes, schema, planBoxes } = await applicationForm();
    const uploaded = await upload(sdk, bytes, "application.pdf");
    const run = checkRun(await sdk.detectForm({ file: { id: uploaded.id } }));
    expect([run.object, run.file.id, run.file.metadata]).toEqual(["form_detection_run", uploaded.id, { pageCount: 2 }]);
    expect(run.config).toEqual({ engineVersion: "1.0.0", advancedOptions: DEFAULT_DETECT_OPTIONS });
    const detected = run.output!.schema;
    expect(Object.keys(detected.properties).sort()).toEqual(["name", "plan", "state", "subscribe"]);
    for (const property of Object.values(detected.properties)) {
      expect(Object.keys(property)).toEqual(expect.arrayContaining(["extend_edit:field_type", "extend_edit:page_index"]));
      expect("extend_edit:bbox" in property || "extend_edit:bboxes" in property).toBe(true);
    }
    expect(detected).toEqual(schema);
    expect([run.output!.annotatedSchema, run.output!.mappingResult]).toEqual([detected, null]);
    const { pageCount, fieldCount, fieldsDetectedCount, fieldsAnnotatedCount } = run.metrics!;
    expect([pageCount, fieldCount, fieldsDetectedCount, fieldsAnnotatedCount]).toEqual([2, 4, 4, 4]);

    // Without radio enums, each choice of a radio group is a boolean of its own.
    const made = checkRun(await sdk.formDetectionRuns.create(
      { file: { id: uploaded.id }, config: { advancedOptions: { radioEnumsEnabled: false } } }), "PROCESSING");
    expect(made.config).toEqual({ engineVersion: "1.0.0", advancedOptions: { ...DEFAULT_DETECT_OPTIONS, radioEnumsEnabled: false } });
    const ended = checkRun(await settle(made, () => sdk.formDetectionRuns.retrieve(made.id)));
    expect(ended).toEqual({ ...made, status: "PROCESSED", output: ended.output, metrics: ended.metrics, usage: ended.usage });
    const split = ended.output!.schema.properties;
    expect(Object.keys(split).sort()).toEqual(["name", "plan_basic", "plan_pro", "state", "subscribe"]);
    expect([split.plan_basic, split.plan_pro]).toEqual(["Basic", "Pro"].map((option, i) => ({
      type: ["boolean", "null"], description: `plan: ${option}`, "extend_edit:field_type": "radio", "extend_edit:page_index": 0,
      "extend_edit:bbox": planBoxes[i],
      "extend_edit:source_acroform": { fieldName: "plan", fieldType: "radio", optionValue: String(i) } })));
    expect(ended.metrics!.fieldCount).toBe(5);
    expect([ended.metrics!.fieldsDetectedCount, ended.metrics!.fieldsAnnotatedCount]).toEqual([4, 5]);
    await expect(sdk.editRuns.retrieve(made.id)).rejects.toBeInstanceOf(Extend.NotFoundError);

    // The deprecated schema generation answers the same schema at once; with an input schema, how it maps (unused
    // keys in the form's order).
    const generated = await sdk.editSchemas.generate({ file: { id: uploaded.id } });
    keys(generated, ["schema", "annotatedSchema", "mappingResult"]);
    expect(generated).toEqual({ schema: detected, annotatedSchema: detected, mappingResult: null });
    const inputSchema: Extend.EditRootJson = { type: "object", properties: {
      applicant: { type: "object", properties: { name: { type: ["string", "null"] } } }, ssn: { type: ["string", "null"] } } };
    const mapped = await sdk.editSchemas.generate({ file: { id: uploaded.id }, config: { inputSchema } });
    keys(mapped.mappingResult!, ["matches", "unmatchedInputPaths", "unusedFormFieldKeys"]);
    for (const match of mapped.mappingResult!.matches) keys(match, ["inputPath", "formFieldKey"]);
    expect(mapped).toEqual({ schema: detected, annotatedSchema: detected, mappingResult: {
      matches: [{ inputPath: "applicant.name", formFieldKey: "name" }], unmatchedInputPaths: ["ssn"],
      unusedFormFieldKeys: ["subscribe", "plan", "state"] } });

    // The detected schema goes straight into an edit: its forced value is written, the rest left blank.
    const forced = structuredClone(detected);
    forced.properties.name["extend_edit:value"] = "Ada Lovelace";
    const edit = checkRun(await sdk.edit({ file: { id: uploaded.id },
      config: { schema: forced, instructions: "Check subscribe. Leave all other fields blank." } }));
    expect(edit.output!.filledValues).toEqual({ name: "Ada Lovelace", subscribe: true });
    const form = (await download(edit.output!.editedFile.presignedUrl)).getForm();
    expect([form.getTextField("applicant.name").getText(), form.getCheckBox("subscribe").isChecked(),
      form.getRadioGroup("plan").getSelected(), form.getDropdown("state").getSelected()]).toEqual(["Ada Lovelace", true, undefined, []]);
  }, 40_000);

  test("what is not a PDF form fails as the API says", async () => {
    const sdk = client();
    const text = await upload(sdk, "just text", "notes.txt", "text/plain");
    const failed = checkRun(await sdk.edit({ file: { id: text.id } }), "FAILED");
    expect([failed.file.id, failed.file.type, failed.failureReason, failed.failureMessage]).toEqual(
      [text.id, "TXT", "FILE_TYPE_NOT_SUPPORTED", "File type not supported. Edit runs currently require a PDF."]);
    expect(failed.config).toEqual({ engineVersion: "1.0.0", advancedOptions: DEFAULT_EDIT_OPTIONS });
    expect(await sdk.editRuns.retrieve(failed.id)).toEqual(failed);

    // A PDF without a form, and no schema: nothing to fill.
    const doc = await PDFDocument.create();
    doc.addPage([612, 792]).drawText("A letter, no form", { x: 72, y: 700 });
    const plain = await upload(sdk, await doc.save(), "letter.pdf");
    const empty = checkRun(await sdk.editRuns.createAndPoll({ file: { id: plain.id } }, FAST), "FAILED");
    expect([empty.failureReason, empty.failureMessage]).toEqual(["EMPTY_SCHEMA", "No schema was provided and no fields could be detected."]);
    const undetected = checkRun(await sdk.detectForm({ file: { id: plain.id } }), "FAILED");
    expect(undetected.failureReason).toBe("EMPTY_SCHEMA");
    // With a schema it is processed: nothing filled (no `filledValues`), the file as it was.
    const schema: Extend.EditRootJson = { type: "object", properties: { name: { type: ["string", "null"], "extend_edit:value": "X" } } };
    const kept = checkRun(await sdk.edit({ file: { id: plain.id }, config: { schema } }));
    expect(Object.keys(kept.output!)).toEqual(["editedFile"]);
    expect(kept.metrics!.fieldCount).toBe(1);
    const same = await download(kept.output!.editedFile.presignedUrl);
    expect([same.getPageCount(), same.getForm().getFields().length]).toEqual([1, 0]);

    // Form detection words the same failure its own way; a broken PDF is corrupt.
    const docx = checkRun(await sdk.detectForm({ file: { url: "https://example.com/notes.docx" } }), "FAILED");
    expect([docx.file.name, docx.failureReason, docx.failureMessage]).toEqual(
      ["notes.docx", "FILE_TYPE_NOT_SUPPORTED", "File type not supported. Form schema detection currently requires a PDF."]);
    const broken = await upload(sdk, "%PDF-1.7\n1 0 obj << /Kids [1 0 R", "broken.pdf");
    const corrupt = checkRun(await sdk.detectForm({ file: { id: broken.id } }), "FAILED");
    expect([corrupt.failureReason, corrupt.failureMessage]).toEqual(["CORRUPT_FILE", "The file is corrupt or could not be read as a PDF."]);
    // Schema generation keeps no run: the failure is a 400; a missing file a 404.
    const refused = await sdk.editSchemas.generate({ file: { id: text.id } }).catch((e) => e);
    expect([refused instanceof Extend.BadRequestError, refused.statusCode, refused.body.message]).toEqual([true, 400,
      "FILE_TYPE_NOT_SUPPORTED: File type not supported. Form schema detection currently requires a PDF."]);
    const missing = await sdk.edit({ file: { id: "file_nope" } }).catch((e) => e);
    expect([missing instanceof Extend.NotFoundError, missing.statusCode, missing.body.message]).toEqual([true, 404, "File `file_nope` not found"]);
  }, 40_000);

  test("delete an edit run, held or done; retrieve seeded templates and their forms", async () => {
    const sdk = client();
    // A held run stays PROCESSING until the control plane ends it; another is deleted while it runs.
    const held = checkRun(await sdk.editRuns.create({ file: { url: "https://example.com/form__hold__.pdf", name: "form.pdf" } }), "PROCESSING");
    expect(held.file.name).toBe("form.pdf");
    const finished = await mock("POST", `/processor_runs/${held.id}/finish`);
    expect(finished.status).toBe("PROCESSED");
    const done = checkRun(await sdk.editRuns.retrieve(held.id));
    expect(Object.keys(done.output!.filledValues!).sort()).toEqual(
      ["address", "agree_to_terms", "contact_method", "date", "email", "full_name", "phone_number", "state"]);
    const running = checkRun(await sdk.editRuns.create({ file: { url: "https://example.com/other__hold__.pdf" } }), "PROCESSING");
    expect(await sdk.editRuns.retrieve(running.id)).toEqual(running);
    for (const id of [running.id, done.id]) {
      expect(await sdk.editRuns.delete(id)).toEqual({ id });
      const gone = await sdk.editRuns.retrieve(id).catch((e) => e);
      expect([gone instanceof Extend.NotFoundError, gone.statusCode, gone.body.message]).toEqual([true, 404, `Edit run \`${id}\` not found`]);
      await expect(sdk.editRuns.delete(id)).rejects.toBeInstanceOf(Extend.NotFoundError);
    }
    // The edited file is a file of its own and stays.
    expect((await sdk.files.retrieve(done.output!.editedFile.id)).name).toBe("form_edited.pdf");

    const w9 = await sdk.editTemplates.retrieve("edt_w9");
    keys(w9, TEMPLATE);
    keys(w9.file, FILE);
    expect(w9).toEqual({ object: "edit_template", id: "edt_w9", name: "W-9 Template", description: "Fill a W-9 form",
      file: { object: "file", id: "file_w9", name: "W-9.pdf", type: "PDF", parentFileId: null, metadata: { pageCount: 1 },
        createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z" },
      config: SEED.editTemplates[0].config, schemaConfig: null,
      createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z" });
    // Its form is the fields declared, labelled, under a title.
    const form = (await download((await sdk.files.retrieve(w9.file.id)).presignedUrl!)).getForm();
    expect(form.getFields().map((f) => [f.getName(), f.constructor.name])).toEqual(
      [["name", "PDFTextField"], ["exempt", "PDFCheckBox"], ["classification", "PDFRadioGroup"]]);
    expect(form.getRadioGroup("classification").getOptions()).toEqual(["Individual", "Corporation"]);
    const label = form.getTextField("name").acroField.dict.lookup(PDFName.of("TU")) as PDFString | PDFHexString;
    expect(label.decodeText()).toBe("Name");

    const nda = await sdk.editTemplates.retrieve("edt_nda");
    keys(nda, TEMPLATE);
    expect([nda.name, nda.description, nda.config, nda.schemaConfig, nda.file.name, nda.createdAt])
      .toEqual(["Mutual NDA", null, {}, SEED.editTemplates[1].schemaConfig, "NDA.pdf", "2026-01-02T00:00:00Z"]);
    // Another workspace's template, and none at all.
    for (const id of ["edt_other", "edt_nope"]) {
      const missing = await sdk.editTemplates.retrieve(id).catch((e) => e);
      expect([missing instanceof Extend.NotFoundError, missing.statusCode, missing.body.message]).toEqual([true, 404, `Edit template \`${id}\` not found`]);
    }
  }, 40_000);
});

describe("uploads", () => {
  beforeEach(() => mock("PUT", "/fixtures", SEED));
  afterEach(() => mock("POST", "/reset"));

  test("a pdf-lib PDF saved as pdf-lib saves by default (pages in compressed object streams) has every page counted", async () => {
    const sdk = client();
    const doc = await PDFDocument.create();
    for (const n of [1, 2, 3]) doc.addPage([612, 792]).drawText(`Page ${n}`, { x: 72, y: 700 });
    const packed = await doc.save();
    // What makes the pages invisible to a scan of the bytes as written.
    expect(Buffer.from(packed).includes("/ObjStm")).toBe(true);
    expect(Buffer.from(packed).includes("/Type /Page\n")).toBe(false);
    const uploaded = await upload(sdk, packed, "three.pdf");
    expect(uploaded.metadata).toEqual({ pageCount: 3 });
    expect((await sdk.files.retrieve(uploaded.id)).metadata).toEqual({ pageCount: 3 });
    const plain = await upload(sdk, await doc.save({ useObjectStreams: false }), "three-plain.pdf");
    expect(plain.metadata).toEqual({ pageCount: 3 });
    // The edit run reads the same count from the file's page tree.
    const schema: Extend.EditRootJson = { type: "object", properties: { name: { type: ["string", "null"], "extend_edit:value": "X" } } };
    const run = checkRun(await sdk.edit({ file: { id: uploaded.id }, config: { schema } }));
    expect([run.file.metadata, run.metrics!.pageCount]).toEqual([{ pageCount: 3 }, 3]);
  });
});
