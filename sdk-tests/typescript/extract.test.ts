// The current API's extraction family through the official TypeScript SDK (extend-ai, unmodified):
// /extract_runs, the sync POST /extract, /extractors and their versions, with zod schemas.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { z } from "zod";
import { Extend, ExtendClient, extendCurrency, extendDate, extendSignature } from "extend-ai";

const MOCK = process.env.EXTEND_MOCK_URL ?? "http://127.0.0.1:8080";
const FILE = { url: "https://files.example.com/invoice.pdf", name: "invoice.pdf" };
const FAST = { initialDelayMs: 100, maxDelayMs: 200, jitterFraction: 0, maxWaitMs: 30_000 };
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

async function mock(method: string, path: string, body?: unknown) {
  const res = await fetch(`${MOCK}/_mock${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} /_mock${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

const SEED = {
  organizations: [{ id: "org_a", name: "A", workspaces: [{ id: "ws_a", name: "A" }] }],
  apiKeys: [{ token: "key_a", name: "a", scope: "workspace", workspaceId: "ws_a" }],
  processorRuns: [],
};

const client = (token = "key_a") => new ExtendClient({ token, baseUrl: MOCK });

// The keys each of the SDK's types declares (every one is sent, null where there is nothing).
const KEYS = {
  run: ["object", "id", "status", "output", "initialOutput", "reviewedOutput", "failureReason", "failureMessage",
    "metadata", "reviewed", "edited", "edits", "config", "extractor", "extractorVersion", "file", "files",
    "parseRunId", "dashboardUrl", "usage", "createdAt", "updatedAt"],
  summary: ["object", "id", "extractor", "extractorVersion", "status", "failureReason", "failureMessage", "metadata",
    "reviewed", "edited", "file", "files", "parseRunId", "dashboardUrl", "usage", "createdAt", "updatedAt"],
  extractor: ["object", "id", "name", "createdAt", "updatedAt", "draftVersion"],
  extractorSummary: ["object", "id", "name", "createdAt", "updatedAt"],
  version: ["object", "id", "description", "version", "config", "extractorId", "createdAt", "createdBy"],
  versionSummary: ["object", "id", "description", "version", "extractorId", "createdAt", "createdBy"],
  file: ["object", "id", "name", "type", "parentFileId", "metadata", "createdAt", "updatedAt"],
};
const sorted = (keys: string[]) => [...keys].sort();

/** The TypeScript SDK does not validate answers: check a run against its declared type here. */
function checkRun(run: Extend.ExtractRun | Extend.ExtractRunSummary, summary = false) {
  expect(sorted(Object.keys(run))).toEqual(sorted(summary ? KEYS.summary : KEYS.run));
  expect(run.object).toBe("extract_run");
  expect(run.id).toMatch(/^exr_/);
  expect(["PENDING", "PROCESSING", "PROCESSED", "FAILED", "CANCELLED"]).toContain(run.status);
  expect(typeof run.reviewed).toBe("boolean");
  expect(typeof run.edited).toBe("boolean");
  expect(typeof run.dashboardUrl).toBe("string");
  expect(run.createdAt).toMatch(RFC3339);
  expect(run.updatedAt).toMatch(RFC3339);
  if (run.file) expect(sorted(Object.keys(run.file))).toEqual(sorted(KEYS.file));
  if (run.extractor) expect(sorted(Object.keys(run.extractor))).toEqual(sorted(KEYS.extractorSummary));
  if (run.extractorVersion) expect(sorted(Object.keys(run.extractorVersion))).toEqual(sorted(KEYS.versionSummary));
  if (run.status === "FAILED") {
    expect(run.failureReason).toBeTruthy();
    expect(run.failureMessage).toBeTruthy();
  }
  if (!summary) {
    const full = run as Extend.ExtractRun;
    if (run.status === "PROCESSED") expect(sorted(Object.keys(full.output!))).toEqual(["metadata", "value"]);
    else expect(full.output).toBeNull();
  }
}

function checkExtractor(extractor: Extend.Extractor) {
  expect(sorted(Object.keys(extractor))).toEqual(sorted(KEYS.extractor));
  expect(extractor.object).toBe("extractor");
  expect(extractor.id).toMatch(/^ex_/);
  checkVersion(extractor.draftVersion);
  expect(extractor.draftVersion.version).toBe("draft");
  expect(extractor.draftVersion.extractorId).toBe(extractor.id);
}

function checkVersion(version: Extend.ExtractorVersion) {
  expect(sorted(Object.keys(version))).toEqual(sorted(KEYS.version));
  expect(version.object).toBe("extractor_version");
  expect(version.id).toMatch(/^exv_/);
  expect(version.createdAt).toMatch(RFC3339);
}

const Invoice = z.object({
  invoice_number: z.string().nullable(),
  page_count: z.number().int().nullable(),
  tax_rate: z.number().nullable(),
  is_paid: z.boolean().nullable(),
  kind: z.enum(["invoice", "receipt"]).nullable(),
  currency_hint: z.literal("USD").nullable(),
  line_items: z.array(z.object({ description: z.string().nullable(), unit_price: extendCurrency().nullable() })),
  tags: z.array(z.string()),
  vendor: z.object({ name: z.string().nullable(), address: z.string().nullable() }),
  total: extendCurrency(),
  invoice_date: extendDate(),
  signature: extendSignature(),
});
const INVOICE_KEYS = Object.keys(Invoice.shape);
const Simple = z.object({ invoice_number: z.string().nullable(), total: extendCurrency() });
// What the SDK makes of `Simple`, for the calls that take no zod object (the plain create).
const SIMPLE_JSON = {
  type: "object",
  properties: {
    invoice_number: { type: ["string", "null"] },
    total: {
      type: "object",
      "extend:type": "currency",
      properties: { amount: { type: ["number", "null"] }, iso_4217_currency_code: { type: ["string", "null"] } },
      required: ["amount", "iso_4217_currency_code"],
      additionalProperties: false,
    },
  },
  required: ["invoice_number", "total"],
  additionalProperties: false,
};

/** The value holds every key of the schema, of its type (zod parses it strictly). */
function checkInvoice(value: unknown) {
  const parsed = Invoice.strict().parse(value);
  expect(sorted(Object.keys(parsed))).toEqual(sorted(INVOICE_KEYS));
  expect(parsed.total.iso_4217_currency_code).toBe("USD");
  expect(typeof parsed.total.amount).toBe("number");
  expect(parsed.invoice_date).toMatch(DATE);
  expect(parsed.line_items.length).toBeGreaterThan(0);
  for (const item of parsed.line_items) expect(item.unit_price?.iso_4217_currency_code).toBe("USD");
  if (parsed.signature.signature_date !== null) expect(parsed.signature.signature_date).toMatch(DATE);
  return parsed;
}

async function waitDone(sdk: ExtendClient, id: string) {
  const started = Date.now();
  for (;;) {
    const run = await sdk.extractRuns.retrieve(id);
    if (run.status !== "PROCESSING" && run.status !== "PENDING") return run;
    expect(Date.now() - started).toBeLessThan(30_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("the extraction family", () => {
  beforeEach(async () => {
    await mock("PUT", "/fixtures", SEED);
  });
  afterEach(async () => {
    await mock("POST", "/reset");
  });

  test("createAndPoll with a zod schema", async () => {
    const sdk = client();
    const run = await sdk.extractRuns.createAndPoll(
      { file: FILE, config: { schema: Invoice }, metadata: { case: "typed" } },
      FAST,
    );
    checkRun(run as unknown as Extend.ExtractRun);
    expect(run.status).toBe("PROCESSED");
    expect(run.metadata).toEqual({ case: "typed" });
    expect(run.file?.name).toBe("invoice.pdf");
    expect(run.extractor).toBeNull();
    checkInvoice(run.output!.value);
    // The server keeps the schema the SDK made from the zod object.
    const schema = (run.config as Extend.ExtractConfigJson).schema as { properties: object; required: string[] };
    // (Compared as sets: the server gives the properties back in another order; JSON objects are unordered.)
    expect(sorted(Object.keys(schema.properties))).toEqual(sorted(INVOICE_KEYS));
    expect(schema.required).toEqual(INVOICE_KEYS);
    expect(run.usage?.credits).toBeGreaterThan(0);
  }, 40_000);

  test("create answers at once, retrieve sees it end", async () => {
    const sdk = client();
    const created = await sdk.extractRuns.create({ file: FILE, config: { schema: SIMPLE_JSON } });
    checkRun(created);
    expect(["PENDING", "PROCESSING"]).toContain(created.status);
    const done = await waitDone(sdk, created.id);
    checkRun(done);
    expect(done.status).toBe("PROCESSED");
    expect(sorted(Object.keys(done.output!.value))).toEqual(["invoice_number", "total"]);
    expect(done.config).toEqual({ schema: SIMPLE_JSON });
  }, 40_000);

  test("the sync extract, with an extractor and with a zod config", async () => {
    const sdk = client();
    const extractor = await sdk.extractors.create({ name: "Sync invoices", config: { schema: Simple } });
    const run = await sdk.extract({ file: FILE, extractor: { id: extractor.id } });
    checkRun(run);
    expect(run.status).toBe("PROCESSED");
    expect(run.extractor?.id).toBe(extractor.id);
    expect(run.extractorVersion?.version).toBe("draft");
    expect(sorted(Object.keys(run.output!.value))).toEqual(["invoice_number", "total"]);

    const typed = await sdk.extract({ file: { text: "Invoice INV-1 total $12.50", name: "inv.txt" }, config: { schema: Invoice } });
    checkRun(typed as unknown as Extend.ExtractRun);
    expect(typed.status).toBe("PROCESSED");
    checkInvoice(typed.output!.value);

    const failed = await sdk.extract({ file: { url: FILE.url, name: "broken __fail__.pdf" }, config: { schema: Simple } });
    checkRun(failed as unknown as Extend.ExtractRun);
    expect(failed.status).toBe("FAILED");
    expect(failed.output).toBeNull();
  }, 40_000);

  test("list pages walk every run once, and filter by status", async () => {
    const sdk = client();
    const made: string[] = [];
    for (const n of [0, 1, 2, 3]) {
      made.push((await sdk.extractRuns.create({ file: { url: FILE.url, name: `page-${n}.pdf` }, config: { schema: SIMPLE_JSON } })).id);
    }
    const held = (await sdk.extractRuns.create({ file: { url: FILE.url, name: "held __hold__.pdf" } })).id;
    for (const id of made) await waitDone(sdk, id);

    const all = await sdk.extractRuns.list({ maxPageSize: 100 });
    expect(all.object).toBe("list");
    expect(all.nextPageToken ?? undefined).toBeUndefined();
    for (const run of all.data) checkRun(run, true);
    const ids = all.data.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(sorted(ids)).toEqual(sorted([...made, held]));

    for (const maxPageSize of [1, 2, 3]) {
      const walked: string[] = [];
      let nextPageToken: string | undefined;
      do {
        const page = await sdk.extractRuns.list({ maxPageSize, nextPageToken });
        expect(page.data.length).toBeLessThanOrEqual(maxPageSize);
        walked.push(...page.data.map((r) => r.id));
        nextPageToken = page.nextPageToken ?? undefined;
      } while (nextPageToken);
      expect(walked).toEqual(ids);
    }
    const processing = await sdk.extractRuns.list({ status: "PROCESSING" });
    expect(processing.data.map((r) => r.id)).toEqual([held]);
    const processed = await sdk.extractRuns.list({ status: "PROCESSED" });
    expect(sorted(processed.data.map((r) => r.id))).toEqual(sorted(made));
    expect((await sdk.extractRuns.list({ status: "FAILED" })).data).toEqual([]);
  }, 60_000);

  test("cancel, delete, then retrieve is a 404", async () => {
    const sdk = client();
    const created = await sdk.extractRuns.create({ file: { url: FILE.url, name: "slow __hold__.pdf" } });
    expect((await sdk.extractRuns.retrieve(created.id)).status).toBe("PROCESSING");
    const cancelled = await sdk.extractRuns.cancel(created.id);
    checkRun(cancelled);
    expect(cancelled.id).toBe(created.id);
    expect(cancelled.status).toBe("CANCELLED");
    expect((await sdk.extractRuns.retrieve(created.id)).status).toBe("CANCELLED");
    expect(await sdk.extractRuns.delete(created.id)).toEqual({ id: created.id });
    const missing = await sdk.extractRuns.retrieve(created.id).catch((e) => e);
    expect(missing).toBeInstanceOf(Extend.NotFoundError);
    expect(missing.body.message).toContain(created.id);
    await expect(sdk.extractRuns.cancel(created.id)).rejects.toBeInstanceOf(Extend.NotFoundError);
    expect((await sdk.extractRuns.list()).data).toEqual([]);
  });

  test("extractors and their versions", async () => {
    const sdk = client();
    const created = await sdk.extractors.create({ name: "Invoices", config: { schema: Simple } });
    checkExtractor(created);
    expect(created.name).toBe("Invoices");
    const draftSchema = (created.draftVersion.config as Extend.ExtractConfigJson).schema as { properties: object };
    expect(sorted(Object.keys(draftSchema.properties))).toEqual(["invoice_number", "total"]);

    expect(await sdk.extractors.retrieve(created.id)).toEqual(created);
    const renamed = await sdk.extractors.update(created.id, { name: "Invoices v2" });
    checkExtractor(renamed);
    expect(renamed.name).toBe("Invoices v2");
    expect(Date.parse(renamed.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));
    const redrafted = await sdk.extractors.update(created.id, { config: { schema: Invoice } });
    const redraftedSchema = (redrafted.draftVersion.config as Extend.ExtractConfigJson).schema as { properties: object };
    expect(sorted(Object.keys(redraftedSchema.properties))).toEqual(sorted(INVOICE_KEYS));

    const other = await sdk.extractors.create({ name: "Receipts" });
    const listed = await sdk.extractors.list();
    expect(listed.object).toBe("list");
    for (const e of listed.data) expect(sorted(Object.keys(e))).toEqual(sorted(KEYS.extractorSummary));
    expect(sorted(listed.data.map((e) => e.id))).toEqual(sorted([created.id, other.id]));
    const walked: string[] = [];
    let nextPageToken: string | undefined;
    do {
      const page = await sdk.extractors.list({ maxPageSize: 1, nextPageToken });
      walked.push(...page.data.map((e) => e.id));
      nextPageToken = page.nextPageToken ?? undefined;
    } while (nextPageToken);
    expect(walked).toEqual(listed.data.map((e) => e.id));

    const v1 = await sdk.extractorVersions.create(created.id, { releaseType: "major", description: "first" });
    checkVersion(v1);
    expect([v1.version, v1.description, v1.extractorId]).toEqual(["1.0", "first", created.id]);
    const v11 = await sdk.extractorVersions.create(created.id, { releaseType: "minor", config: { schema: Simple } });
    checkVersion(v11);
    expect(v11.version).toBe("1.1");
    const v11Schema = (v11.config as Extend.ExtractConfigJson).schema as { properties: object };
    expect(v11Schema).toEqual(SIMPLE_JSON);

    const versions = await sdk.extractorVersions.list(created.id);
    expect(versions.object).toBe("list");
    for (const v of versions.data) expect(sorted(Object.keys(v))).toEqual(sorted(KEYS.versionSummary));
    expect(versions.data.map((v) => v.version)).toEqual(["draft", "1.1", "1.0"]);
    expect(await sdk.extractorVersions.retrieve(created.id, "1.0")).toEqual(v1);
    expect((await sdk.extractorVersions.retrieve(created.id, "latest")).version).toBe("1.1");

    const pinned = await sdk.extract({ file: FILE, extractor: { id: created.id, version: "1.0" } });
    checkRun(pinned);
    expect(pinned.status).toBe("PROCESSED");
    expect(pinned.extractorVersion?.version).toBe("1.0");
    expect(pinned.extractorVersion?.id).toBe(v1.id);
    // 1.0 was published from the zod Invoice draft.
    checkInvoice(pinned.output!.value);
    const latest = await sdk.extractRuns.createAndPoll({ file: FILE, extractor: { id: created.id } }, FAST);
    expect(latest.status).toBe("PROCESSED");
    expect(latest.extractorVersion?.version).toBe("1.1");
    expect(sorted(Object.keys(latest.output!.value))).toEqual(["invoice_number", "total"]);
    const runs = await sdk.extractRuns.list({ extractorId: created.id });
    expect(sorted(runs.data.map((r) => r.id))).toEqual(sorted([pinned.id, latest.id]));

    await expect(sdk.extractors.retrieve("ex_missing")).rejects.toBeInstanceOf(Extend.NotFoundError);
    await expect(sdk.extractorVersions.retrieve(created.id, "9.9")).rejects.toBeInstanceOf(Extend.NotFoundError);
  }, 40_000);

  test("a run made here is a legacy processor run too", async () => {
    const sdk = client();
    const extractor = await sdk.extractors.create({ name: "Both views", config: { schema: Simple } });
    const run = await sdk.extract({ file: FILE, extractor: { id: extractor.id } });
    expect(run.status).toBe("PROCESSED");
    const { processorRun } = await sdk.processorRun.get(run.id);
    expect(processorRun.id).toBe(run.id);
    expect(processorRun.type).toBe("EXTRACT");
    expect(processorRun.status).toBe("PROCESSED");
    expect(processorRun.processorId).toBe(extractor.id);
    expect(processorRun.processorName).toBe("Both views");
    expect(processorRun.processorVersionId).toBe(run.extractorVersion!.id);
    // The same value; the legacy view writes a citation's page as a number, the current one as an object.
    expect((processorRun.output as { value: unknown }).value).toEqual(run.output!.value);
    await sdk.processorRun.delete(run.id);
    await expect(sdk.extractRuns.retrieve(run.id)).rejects.toBeInstanceOf(Extend.NotFoundError);
  });
});
