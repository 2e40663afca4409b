// Workflows through the official TypeScript SDK (extend-ai, unmodified): /workflows and their versions (deploy, the
// refusal of an unconfigured step), /workflow_runs (createAndPoll along a CLASSIFY branch, HUMAN_REVIEW approved and
// rejected through /_mock, cancel, update, list filters, delete, batch), /webhook_subscriptions and the signed
// workflow_run.* deliveries a receiver on 127.0.0.1 checks with client.webhooks.verifyAndParse.
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { Extend, ExtendClient } from "extend-ai";

const MOCK = process.env.EXTEND_MOCK_URL ?? "http://127.0.0.1:8080";
const FAST = { initialDelayMs: 100, maxDelayMs: 200, jitterFraction: 0, maxWaitMs: 30_000 };
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
// One field a line: the mock reads a field from the line its name points at.
const INVOICE = "Invoice #12345\nTotal: $1,234.56";
const URL_OF = (name: string) => `https://files.example.com/${name}.pdf`;

async function mock(method: string, path: string, body?: unknown) {
  const init = { method, headers: { "content-type": "application/json" }, body: body && JSON.stringify(body) };
  const res = await fetch(`${MOCK}/_mock${path}`, init);
  if (!res.ok) throw new Error(`${method} /_mock${path}: ${res.status} ${await res.text()}`);
  return res.json();
}
const SEED = {
  organizations: [{ id: "org_a", name: "A", workspaces: [{ id: "ws_a", name: "A" }] }],
  apiKeys: [{ token: "key_a", name: "a", scope: "workspace", workspaceId: "ws_a" }],
};
const client = (token = "key_a") => new ExtendClient({ token, baseUrl: MOCK });

/** The TypeScript SDK does not validate answers: every key declared, every required one there, at each level. */
function keys(value: object, required: string[], optional: string[] = []) {
  const present = Object.keys(value);
  for (const key of present) expect([...required, ...optional], `undeclared ${key}`).toContain(key);
  for (const key of required) expect(present, `missing ${key}`).toContain(key);
}
const WORKFLOW = ["object", "id", "name", "createdAt", "updatedAt", "createdBy"];
const VERSION = ["object", "id", "version", "name", "createdAt", "createdBy"];
const RUN_COMMON = ["object", "id", "workflow", "workflowVersion", "dashboardUrl", "status", "batchId", "files",
  "initialRunAt", "reviewedByUser", "rejectionNote", "reviewedAt", "startTime", "endTime", "usage"];
const RUN = [...RUN_COMMON, "metadata", "failureReason", "failureMessage", "reviewed", "stepRuns"];
const RUN_SUMMARY = [...RUN_COMMON, "createdAt", "updatedAt"];
const STEP_RUN = ["object", "id", "workflowRunId", "status", "files", "stepType", "step", "result"];
const FILE = ["object", "id", "name", "type", "parentFileId", "metadata", "createdAt", "updatedAt"];
const SUBSCRIPTION = ["object", "id", "webhookEndpointId", "resourceType", "resourceId", "enabledEvents", "createdAt"];
// The top-level keys of the runs a step run's `result` carries (ParseRun, ExtractRun, ClassifyRun).
const NESTED: Record<string, [string, string, string[], string[]]> = {
  PARSE: ["parseRun", "parse_run", ["object", "id", "file", "status", "failureReason", "failureMessage", "metadata",
    "output", "outputUrl", "metrics", "config", "usage"], ["batchId"]],
  EXTRACT: ["extractRun", "extract_run", ["object", "id", "status", "output", "initialOutput", "reviewedOutput",
    "failureReason", "failureMessage", "metadata", "reviewed", "edited", "edits", "config", "extractor",
    "extractorVersion", "file", "files", "parseRunId", "dashboardUrl", "usage", "createdAt", "updatedAt"], []],
  CLASSIFY: ["classifyRun", "classify_run", ["object", "id", "status", "output", "classifier", "classifierVersion",
    "initialOutput", "reviewedOutput", "failureReason", "failureMessage", "metadata", "reviewed", "edited", "config",
    "file", "parseRunId", "dashboardUrl", "usage", "createdAt", "updatedAt"], []],
};

const SCHEMA = {
  type: "object",
  properties: { invoice_number: { type: ["string", "null"] }, total: { type: ["number", "null"] } },
  required: ["invoice_number", "total"],
};
const extract = (name: string, next: string[] = []) => ({
  type: "EXTRACT", name, config: { extractorConfig: { schema: SCHEMA } }, ...(next.length ? { next: next.map((step) => ({ step })) } : {}),
});
/** Parse, classify, then an extraction per class. */
const ROUTED = [
  { type: "TRIGGER", name: "Trigger", next: [{ step: "Parse" }] },
  { type: "PARSE", name: "Parse", config: { parseConfig: { target: "markdown" } }, next: [{ step: "Classify" }] },
  { type: "CLASSIFY", name: "Classify",
    config: { classifierConfig: { classifications: [
      { id: "cls_invoice", type: "invoice", description: "An invoice" },
      { id: "cls_receipt", type: "receipt", description: "A receipt" }] } },
    next: [{ step: "Extract invoice", classificationId: "cls_invoice" }, { step: "Extract receipt", classificationId: "cls_receipt" }] },
  extract("Extract invoice"),
  extract("Extract receipt"),
] as Extend.WorkflowStepDefinition[];
/** Parse, a human review, then an extraction. */
const REVIEWED = [
  { type: "TRIGGER", name: "Trigger", next: [{ step: "Parse" }] },
  { type: "PARSE", name: "Parse", next: [{ step: "Review" }] },
  { type: "HUMAN_REVIEW", name: "Review", next: [{ step: "Extract" }] },
  extract("Extract"),
] as Extend.WorkflowStepDefinition[];

function checkVersion(v: Record<string, any>, summary = false) {
  keys(v, [...VERSION, ...(summary ? [] : ["steps"])]);
  expect([v.object, typeof v.version, v.createdBy]).toEqual(["workflow_version", "string", null]);
  expect(v.id).toMatch(/^workflow_version_/);
  expect(v.createdAt).toMatch(RFC3339);
  for (const step of v.steps ?? []) {
    keys(step, ["type", "name"], ["config", "next"]);
    for (const n of step.next ?? []) keys(n, ["step"], ["classificationId"]);
  }
}
function checkWorkflow(w: Record<string, any>, summary = false) {
  keys(w, [...WORKFLOW, ...(summary ? [] : ["draftVersion"])]);
  expect([w.object, w.createdBy]).toEqual(["workflow", null]);
  expect(w.id).toMatch(/^workflow_/);
  expect(w.createdAt).toMatch(RFC3339);
  expect(w.updatedAt).toMatch(RFC3339);
  if (!summary) checkVersion(w.draftVersion);
}
function checkStepRun(s: Record<string, any>, runId: string, files: unknown) {
  keys(s, STEP_RUN);
  expect([s.object, s.workflowRunId, s.files]).toEqual(["workflow_step_run", runId, files]);
  expect(s.id).toMatch(/^workflow_step_run_/);
  keys(s.step, ["object", "id", "name"], ["type"]);
  expect([s.step.object, s.step.type]).toEqual(["workflow_step", s.stepType]);
  expect(s.step.id).toMatch(/^step_/);
  const [key, object, required, optional] = NESTED[s.stepType];
  keys(s.result, [key]);
  keys(s.result[key], required, optional);
  expect(s.result[key].object).toBe(object);
  return s.result[key];
}
function checkRun(run: Record<string, any>, status: string, summary = false) {
  keys(run, summary ? RUN_SUMMARY : RUN);
  expect([run.object, run.status]).toEqual(["workflow_run", status]);
  expect(run.id).toMatch(/^workflow_run_/);
  expect(run.dashboardUrl).toBe(`https://dashboard.extend.ai/workflows/${run.id}`);
  checkWorkflow(run.workflow, true);
  checkVersion(run.workflowVersion, true);
  for (const f of run.files) keys(f, FILE);
  for (const t of ["initialRunAt", "reviewedAt", "startTime", "endTime", ...(summary ? ["createdAt", "updatedAt"] : [])]) {
    if (run[t] !== null) expect(run[t]).toMatch(RFC3339);
  }
  if (run.usage) keys(run.usage, ["credits"], summary ? ["totalCredits"] : ["totalCredits", "breakdown"]);
  for (const b of run.usage?.breakdown ?? []) keys(b, ["object", "id", "credits"], ["charges"]);
  if (summary) return;
  expect([typeof run.metadata, run.metadata === null, typeof run.reviewed]).toEqual(["object", false, "boolean"]);
  for (const s of run.stepRuns) checkStepRun(s, run.id, run.files);
}
const stepsOf = (run: Extend.WorkflowRun) => run.stepRuns.map((s) => [s.stepType, s.step.name, s.status]);

async function waitDone(sdk: ExtendClient, id: string) {
  const started = Date.now();
  for (;;) {
    const run = await sdk.workflowRuns.retrieve(id);
    if (run.status !== "PROCESSING" && run.status !== "PENDING") return run;
    expect(Date.now() - started).toBeLessThan(30_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A webhook receiver on 127.0.0.1: every request's raw body and headers, answered 200. */
async function receiver() {
  const got: { body: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      got.push({ body: Buffer.concat(chunks).toString("utf8"), headers: req.headers });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  const events = async (count: number) => {
    const started = Date.now();
    while (got.length < count) {
      expect(Date.now() - started, `${count} deliveries never arrived`).toBeLessThan(20_000);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return got;
  };
  return { url, got, events, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe("workflows", () => {
  beforeEach(() => mock("PUT", "/fixtures", SEED));
  afterEach(() => mock("POST", "/reset"));

  test("workflows made, changed and deployed; versions listed and read; an unconfigured step refused", async () => {
    const sdk = client();
    const plain = await sdk.workflows.create({ name: "Plain" });
    checkWorkflow(plain);
    expect([plain.name, plain.draftVersion.version, plain.draftVersion.name]).toEqual(["Plain", "draft", null]);
    expect(plain.draftVersion.steps).toEqual([
      { type: "TRIGGER", name: "Trigger", next: [{ step: "Parse" }] }, { type: "PARSE", name: "Parse" }]);
    expect(await sdk.workflows.retrieve(plain.id)).toEqual(plain);

    // The draft's steps replaced; an EXTRACT without config cannot be deployed, and the refusal names it.
    const unconfigured = [{ type: "TRIGGER", name: "Trigger", next: [{ step: "Parse" }] },
      { type: "PARSE", name: "Parse", next: [{ step: "Extract" }] }, { type: "EXTRACT", name: "Extract" }] as Extend.WorkflowStepDefinition[];
    const changed = await sdk.workflows.update(plain.id, { name: "Invoices", steps: unconfigured });
    checkWorkflow(changed);
    expect([changed.id, changed.name, changed.draftVersion.steps]).toEqual([plain.id, "Invoices", unconfigured]);
    const refused = await sdk.workflowVersions.create(plain.id).catch((e) => e);
    expect(refused).toBeInstanceOf(Extend.BadRequestError);
    expect([refused.statusCode, refused.body.message]).toEqual([400,
      "request body: steps[2]: step `Extract` (EXTRACT) is not configured: give its `config` before deploying"]);

    // Deployed with steps given: "1", the draft untouched; the draft configured, then deployed as "2".
    const one = await sdk.workflowVersions.create(plain.id, { name: "first", steps: ROUTED });
    checkVersion(one);
    expect([one.version, one.name, one.steps]).toEqual(["1", "first", ROUTED]);
    expect((await sdk.workflows.retrieve(plain.id)).draftVersion.steps).toEqual(unconfigured);
    const configured = await sdk.workflows.update(plain.id, { steps: plain.draftVersion.steps });
    const two = await sdk.workflowVersions.create(plain.id, {});
    checkVersion(two);
    expect([two.version, two.name, two.steps]).toEqual(["2", null, configured.draftVersion.steps]);

    for (const [asked, expected] of [["latest", two], ["2", two], ["1", one], [one.id, one]] as const) {
      expect(await sdk.workflowVersions.retrieve(plain.id, asked)).toEqual(expected);
    }
    const draft = await sdk.workflowVersions.retrieve(plain.id, "draft");
    expect(draft).toEqual(configured.draftVersion);
    await expect(sdk.workflowVersions.retrieve(plain.id, "3")).rejects.toBeInstanceOf(Extend.NotFoundError);

    // Versions list the draft too, as summaries.
    const versions = await sdk.workflowVersions.list(plain.id, { sortDir: "asc" });
    keys(versions, ["object", "data"], ["nextPageToken"]);
    for (const v of versions.data) checkVersion(v, true);
    expect(versions.data.map((v) => [v.version, v.id])).toEqual([["draft", draft.id], ["1", one.id], ["2", two.id]]);
    const paged = await sdk.workflowVersions.list(plain.id, { sortDir: "asc", maxPageSize: 2 });
    expect(paged.data.length).toBe(2);
    const rest = await sdk.workflowVersions.list(plain.id, { sortDir: "asc", maxPageSize: 2, nextPageToken: paged.nextPageToken });
    expect([rest.data.map((v) => v.version), rest.nextPageToken]).toEqual([["2"], undefined]);

    // The workflows list: summaries; by createdAt, then by updatedAt once the first is touched.
    const other = await sdk.workflows.create({ name: "Other", steps: ROUTED });
    const byCreation = await sdk.workflows.list({ sortBy: "createdAt", sortDir: "desc" });
    keys(byCreation, ["object", "data"], ["nextPageToken"]);
    for (const w of byCreation.data) checkWorkflow(w, true);
    expect(byCreation.data.map((w) => w.id)).toEqual([other.id, plain.id]);
    await sdk.workflows.update(plain.id, { name: "Touched" });
    const byUpdate = await sdk.workflows.list({ sortBy: "updatedAt", sortDir: "desc" });
    expect(byUpdate.data.map((w) => [w.id, w.name])).toEqual([[plain.id, "Touched"], [other.id, "Other"]]);
    await expect(sdk.workflows.retrieve("workflow_missing")).rejects.toBeInstanceOf(Extend.NotFoundError);
  }, 40_000);

  test("createAndPoll: parsed, classified as an invoice, extracted along that branch, by the deployed version", async () => {
    const sdk = client();
    const workflow = await sdk.workflows.create({ name: "Routed", steps: ROUTED });
    await sdk.workflowVersions.create(workflow.id);
    const run = await sdk.workflowRuns.createAndPoll(
      { workflow: { id: workflow.id }, file: { text: INVOICE, name: "march.txt" }, metadata: { customer: "acme" } }, FAST);
    checkRun(run, "PROCESSED");
    expect([run.workflow.id, run.workflowVersion.version, run.metadata, run.batchId, run.reviewed]).toEqual(
      [workflow.id, "1", { customer: "acme" }, null, false]);
    expect([run.files.length, run.files[0].name, run.files[0].type]).toEqual([1, "march.txt", "TXT"]);
    expect([run.failureReason, run.failureMessage, run.rejectionNote, run.reviewedByUser]).toEqual([null, null, null, null]);
    expect(Date.parse(run.endTime!)).toBeGreaterThanOrEqual(Date.parse(run.startTime!));
    expect(stepsOf(run)).toEqual([
      ["PARSE", "Parse", "PROCESSED"], ["CLASSIFY", "Classify", "PROCESSED"], ["EXTRACT", "Extract invoice", "PROCESSED"]]);
    const nested: any[] = [];
    for (const s of run.stepRuns) {
      if (s.stepType === "PARSE") nested.push(s.result!.parseRun);
      else if (s.stepType === "CLASSIFY") nested.push(s.result!.classifyRun);
      else if (s.stepType === "EXTRACT") nested.push(s.result!.extractRun);
    }
    const [parse, classify, extracted] = nested;
    expect([parse.status, parse.config.target, parse.file.id]).toEqual(["PROCESSED", "markdown", run.files[0].id]);
    expect([classify.output.id, classify.output.type, classify.classifier]).toEqual(["cls_invoice", "invoice", null]);
    expect([extracted.output.value, extracted.extractor]).toEqual([{ invoice_number: "12345", total: 1234.56 }, null]);
    // Each nested run is its family's own run, read the same through its family.
    expect(await sdk.parseRuns.retrieve(parse.id)).toEqual(parse);
    expect(await sdk.classifyRuns.retrieve(classify.id)).toEqual(classify);
    expect(await sdk.extractRuns.retrieve(extracted.id)).toEqual(extracted);
    expect(run.usage!.breakdown!.map((b) => [b.object, b.id])).toEqual(
      [["parse_run", parse.id], ["classify_run", classify.id], ["extract_run", extracted.id]]);
    expect(run.usage!.totalCredits).toBe(run.usage!.credits);
    expect(await sdk.workflowRuns.retrieve(run.id)).toEqual(run);
  }, 40_000);

  test("HUMAN_REVIEW: createAndPoll stops at NEEDS_REVIEW; approved it goes on, rejected it ends", async () => {
    const sdk = client();
    const workflow = await sdk.workflows.create({ name: "Reviewed", steps: REVIEWED });
    const body = { workflow: { id: workflow.id, version: "draft" }, file: { text: INVOICE } };
    const [first, second] = await Promise.all([0, 1].map(() => sdk.workflowRuns.createAndPoll(body, FAST)));
    for (const run of [first, second]) {
      checkRun(run, "NEEDS_REVIEW");
      expect([run.reviewed, run.reviewedAt, run.endTime, stepsOf(run)]).toEqual([false, null, null, [["PARSE", "Parse", "PROCESSED"]]]);
    }
    const refusal = await sdk.workflowRuns.cancel(first.id).catch((e) => e);
    expect(refusal).toBeInstanceOf(Extend.BadRequestError);
    expect(refusal.body.message).toBe(`Workflow run \`${first.id}\` is NEEDS_REVIEW; only a PENDING or PROCESSING run can be cancelled`);

    const approved = await mock("POST", `/workflow_runs/${first.id}/approve`, { reviewer: "ana@acme.test" });
    checkRun(approved, "PROCESSING");  // on past the review: the extraction runs
    expect([approved.reviewed, approved.reviewedByUser, stepsOf(approved)]).toEqual(
      [true, "ana@acme.test", [["PARSE", "Parse", "PROCESSED"], ["EXTRACT", "Extract", "PROCESSING"]]]);
    const done = await waitDone(sdk, first.id);
    checkRun(done, "PROCESSED");
    expect([done.reviewed, done.reviewedByUser, done.reviewedAt, done.rejectionNote]).toEqual([true, "ana@acme.test", approved.reviewedAt, null]);
    expect(stepsOf(done)).toEqual([["PARSE", "Parse", "PROCESSED"], ["EXTRACT", "Extract", "PROCESSED"]]);
    expect(done.endTime).toMatch(RFC3339);
    await expect(mock("POST", `/workflow_runs/${first.id}/approve`)).rejects.toThrow(/400/);

    await mock("POST", `/workflow_runs/${second.id}/reject`, { note: "Total does not match" });
    const rejected = await sdk.workflowRuns.retrieve(second.id);
    checkRun(rejected, "REJECTED");
    expect([rejected.reviewed, rejected.rejectionNote, typeof rejected.reviewedByUser]).toEqual([true, "Total does not match", "string"]);
    expect([rejected.reviewedAt, rejected.endTime].every((t) => RFC3339.test(t!))).toBe(true);
    expect(stepsOf(rejected)).toEqual([["PARSE", "Parse", "PROCESSED"]]);
  }, 40_000);

  test("cancel a held run; update merges metadata; list filters; delete; a batch listed by batchId", async () => {
    const sdk = client();
    const workflow = await sdk.workflows.create({ name: "Plain" });
    const other = await sdk.workflows.create({ name: "Other" });
    const start = (id: string, name: string, metadata: Record<string, unknown>) =>
      sdk.workflowRuns.create({ workflow: { id }, file: { url: URL_OF(name) }, metadata });
    const held = await start(workflow.id, "big__hold__", { n: 0 });
    checkRun(held, "PROCESSING");
    expect(stepsOf(held)).toEqual([["PARSE", "Parse", "PROCESSING"]]);
    const beta = await start(workflow.id, "beta__hold__", { n: 1, keep: "x" });
    const gamma = await start(other.id, "gamma__hold__", { n: 2 });

    const cancelled = await sdk.workflowRuns.cancel(held.id);
    checkRun(cancelled, "CANCELLED");
    expect(stepsOf(cancelled)).toEqual([["PARSE", "Parse", "CANCELLED"]]);
    const parse = (cancelled.stepRuns[0] as Extend.StepRun.Parse).result!.parseRun;
    expect([parse.status, (await sdk.parseRuns.retrieve(parse.id)).status]).toEqual(["CANCELLED", "CANCELLED"]);
    await expect(sdk.workflowRuns.cancel(held.id)).rejects.toBeInstanceOf(Extend.BadRequestError);

    const updated = await sdk.workflowRuns.update(beta.id, { metadata: { n: 10, checked: true } });
    checkRun(updated, "PROCESSING");
    expect(updated.metadata).toEqual({ n: 10, keep: "x", checked: true });
    expect((await sdk.workflowRuns.retrieve(beta.id)).metadata).toEqual(updated.metadata);

    const ids = async (request: Extend.WorkflowRunsListRequest) => {
      const page = await sdk.workflowRuns.list(request);
      keys(page, ["object", "data"], ["nextPageToken"]);
      for (const r of page.data) checkRun(r, r.status, true);
      return page.data.map((r) => r.id);
    };
    expect(await ids({ sortBy: "createdAt", sortDir: "asc" })).toEqual([held.id, beta.id, gamma.id]);
    expect(await ids({ workflowId: workflow.id, sortBy: "createdAt", sortDir: "asc" })).toEqual([held.id, beta.id]);
    expect(await ids({ status: "CANCELLED" })).toEqual([held.id]);
    expect(await ids({ fileNameContains: "GAMMA" })).toEqual([gamma.id]);
    expect(await ids({ sortBy: "updatedAt", sortDir: "desc", maxPageSize: 1 })).toEqual([beta.id]);
    const summary = (await sdk.workflowRuns.list({ workflowId: other.id })).data[0];
    expect([summary.workflow.id, summary.workflowVersion.version, summary.files[0].name]).toEqual([other.id, "draft", "gamma__hold__.pdf"]);

    expect(await sdk.workflowRuns.delete(beta.id)).toEqual({ id: beta.id });
    await expect(sdk.workflowRuns.retrieve(beta.id)).rejects.toBeInstanceOf(Extend.NotFoundError);
    expect(await ids({ sortBy: "createdAt", sortDir: "asc" })).toEqual([held.id, gamma.id]);

    const batch = await sdk.workflowRuns.createBatch({ workflow: { id: workflow.id }, inputs: [
      { file: { text: INVOICE }, metadata: { n: 1 } }, { file: { url: URL_OF("batched") }, secrets: { k: "v" } }] });
    keys(batch, ["batchId"]);
    expect(batch.batchId).toMatch(/^batch_/);
    const batched = (await sdk.workflowRuns.list({ batchId: batch.batchId })).data;
    for (const r of batched) checkRun(r, r.status, true);
    expect(batched.map((r) => r.batchId)).toEqual([batch.batchId, batch.batchId]);
    expect(batched.map((r) => r.files[0].name).sort()).toEqual(["batched.pdf", "raw_text.txt"]);
    expect(await ids({ batchId: "batch_missing" })).toEqual([]);
  }, 40_000);

  test("webhook subscriptions: made (an upsert), listed, read, changed, deleted", async () => {
    const sdk = client();
    const workflow = await sdk.workflows.create({ name: "W" });
    const endpoint = await sdk.webhookEndpoints.create({ url: "http://127.0.0.1:9/hooks", name: "hooks", enabledEvents: [], apiVersion: "2026-02-09" });
    const body = { webhookEndpointId: endpoint.id, resourceType: "workflow", resourceId: workflow.id } as const;
    const made = await sdk.webhookSubscriptions.create({ ...body, enabledEvents: ["workflow_run.completed"] });
    keys(made, SUBSCRIPTION);
    expect(made.id).toMatch(/^whes_/);
    expect(made.createdAt).toMatch(RFC3339);
    expect([made.object, made.webhookEndpointId, made.resourceType, made.resourceId, made.enabledEvents]).toEqual(
      ["webhook_subscription", endpoint.id, "workflow", workflow.id, ["workflow_run.completed"]]);
    // The same endpoint and resource again: the same subscription, its events replaced.
    const events = ["workflow_run.failed", "workflow_run.step_run.processed"] as Extend.WebhookSubscriptionEventType[];
    const again = await sdk.webhookSubscriptions.create({ ...body, enabledEvents: events });
    expect(again).toEqual({ ...made, enabledEvents: events });
    expect(await sdk.webhookSubscriptions.retrieve(made.id)).toEqual(again);

    const listed = await sdk.webhookSubscriptions.list();
    keys(listed, ["object", "data"], ["nextPageToken"]);
    for (const s of listed.data) keys(s, SUBSCRIPTION);
    expect(listed.data).toEqual([again]);
    expect((await sdk.webhookSubscriptions.list({ resourceId: workflow.id, webhookEndpointId: endpoint.id })).data).toEqual([again]);
    expect((await sdk.webhookSubscriptions.list({ resourceId: "workflow_other" })).data).toEqual([]);

    const changed = await sdk.webhookSubscriptions.update(made.id, { enabledEvents: ["workflow_run.completed", "workflow_run.needs_review"] });
    expect(changed).toEqual({ ...made, enabledEvents: ["workflow_run.completed", "workflow_run.needs_review"] });
    const wrong = await sdk.webhookSubscriptions.create({ ...body, enabledEvents: ["extract_run.processed"] }).catch((e) => e);
    expect(wrong).toBeInstanceOf(Extend.BadRequestError);
    expect(wrong.body.message).toMatch(/^request body: enabledEvents\[0\]: `extract_run.processed`/);

    expect(await sdk.webhookSubscriptions.delete(made.id)).toEqual({ id: made.id });
    await expect(sdk.webhookSubscriptions.retrieve(made.id)).rejects.toBeInstanceOf(Extend.NotFoundError);
    expect((await sdk.webhookSubscriptions.list()).data).toEqual([]);
  }, 40_000);

  test("a subscribed workflow's runs are delivered signed: a step_run.processed per step, then completed", async () => {
    const sdk = client();
    const hooks = await receiver();
    try {
      const endpoint = await sdk.webhookEndpoints.create({ url: hooks.url, name: "hooks", enabledEvents: [], apiVersion: "2026-02-09" });
      const secret = endpoint.signingSecret;
      const workflow = await sdk.workflows.create({ name: "Routed", steps: ROUTED });
      const unsubscribed = await sdk.workflows.create({ name: "Plain" });
      await sdk.webhookSubscriptions.create({ webhookEndpointId: endpoint.id, resourceType: "workflow", resourceId: workflow.id,
        enabledEvents: ["workflow_run.completed", "workflow_run.step_run.processed"] });
      const [run] = await Promise.all([
        sdk.workflowRuns.createAndPoll({ workflow: { id: workflow.id }, file: { text: INVOICE } }, FAST),
        sdk.workflowRuns.createAndPoll({ workflow: { id: unsubscribed.id }, file: { text: INVOICE } }, FAST),
      ]);
      expect(run.status).toBe("PROCESSED");
      const got = await hooks.events(4);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(got.length, "only the subscribed workflow's run, only the enabled events").toBe(4);

      const parsed = got.map(({ body, headers }) => {
        expect(headers["content-type"]).toBe("application/json");
        expect(headers["x-extend-request-signature"]).toMatch(/^[0-9a-f]{64}$/);
        expect(Math.abs(Date.now() / 1000 - Number(headers["x-extend-request-timestamp"]))).toBeLessThan(60);
        const event = sdk.webhooks.verifyAndParse(body, headers, secret);
        expect(event).toEqual(JSON.parse(body));
        expect(() => sdk.webhooks.verifyAndParse(body.replace("workflow_run", "workflow_rum"), headers, secret)).toThrow();
        expect(() => sdk.webhooks.verifyAndParse(body, headers, "wss_wrong")).toThrow();
        keys(event, ["eventId", "eventType", "payload"]);
        expect(event.eventId).toMatch(/^evt_/);
        return event;
      });
      expect(parsed.map((e) => e.eventType)).toEqual(["workflow_run.step_run.processed", "workflow_run.step_run.processed",
        "workflow_run.step_run.processed", "workflow_run.completed"]);
      expect(new Set(parsed.map((e) => e.eventId)).size).toBe(4);
      const steps = parsed.slice(0, 3).map((e) => e.payload as Extend.StepRun);
      for (const [i, s] of steps.entries()) {
        const nested = checkStepRun(s, run.id, run.files);
        expect([s.status, nested.status, s.id]).toEqual(["PROCESSED", "PROCESSED", run.stepRuns[i].id]);
      }
      expect(steps.map((s) => [s.stepType, s.step.name])).toEqual([["PARSE", "Parse"], ["CLASSIFY", "Classify"], ["EXTRACT", "Extract invoice"]]);
      const completed = parsed[3].payload as Extend.WorkflowRun;
      checkRun(completed, "PROCESSED");
      expect(completed).toEqual(await sdk.workflowRuns.retrieve(run.id));
    } finally {
      await hooks.close();
    }
  }, 40_000);
});
