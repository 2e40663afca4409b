// The official TypeScript SDK (extend-ai, unmodified) against extend-mock.
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { Extend, ExtendClient, ExtendError } from "extend-ai";

const MOCK = process.env.EXTEND_MOCK_URL ?? "http://127.0.0.1:8080";
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const ALL_A = ["exr_6", "exr_4", "exr_5", "exr_1", "exr_3", "exr_2"];

async function mock(method: string, path: string, body?: unknown) {
  const res = await fetch(`${MOCK}/_mock${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} /_mock${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

const minute = (m: number) =>
  `2024-03-01T${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}:00Z`;
const run = (i: number, workspaceId: string, status: string, processorId: string, type: string | null,
  source: string, sourceId: string | null, fileName: string, created: number, updated: number) => ({
  id: `exr_${i}`, workspaceId, status, processorId, processorName: `Processor ${processorId}`,
  processorVersionId: `exv_${processorId}`, source, fileName, createdAt: minute(created), updatedAt: minute(updated),
  ...(type ? { type } : {}), ...(sourceId ? { sourceId } : {}),
});

// The same runs as the Rust and Python suites, with ties on both sort fields.
const SEED = {
  organizations: [
    { id: "org_a", name: "A", workspaces: [{ id: "ws_a", name: "A" }, { id: "ws_b", name: "B" }] },
    { id: "org_c", name: "C", workspaces: [{ id: "ws_c", name: "C" }] },
  ],
  apiKeys: [
    { token: "key_a", name: "a", scope: "workspace", workspaceId: "ws_a" },
    { token: "key_org_a", name: "org-a", scope: "organization", organizationId: "org_a" },
    { token: "key_legacy", name: "legacy", scope: "workspace", workspaceId: "ws_a", defaultApiVersion: "2024-12-23" },
  ],
  processorRuns: [
    run(1, "ws_a", "PROCESSED", "ex_inv", "EXTRACT", "WORKFLOW_RUN", "wf_1", "Invoice_March.pdf", 60, 300),
    run(2, "ws_a", "FAILED", "ex_cls", "CLASSIFY", "API", null, "W-2 2023.pdf", 120, 150),
    run(3, "ws_a", "PENDING", "ex_split", "SPLITTER", "BATCH_PROCESSOR_RUN", "batch_1", "loan packet.PDF", 180, 180),
    run(4, "ws_a", "PROCESSING", "ex_inv", "EXTRACT", "WORKFLOW_RUN", "wf_1", "INVOICE-0042.pdf", 240, 360),
    run(5, "ws_a", "CANCELLED", "ex_old", null, "PLAYGROUND", null, "Rechnung_Müller.pdf", 300, 300),
    run(6, "ws_a", "PROCESSED", "ex_inv", "EXTRACT", "STUDIO", null, "Kontoauszug_ÜBER.pdf", 60, 420),
    run(7, "ws_b", "PROCESSED", "ex_inv", "EXTRACT", "ADMIN", null, "invoice_b.pdf", 10, 20),
    run(8, "ws_c", "FAILED", "ex_c", "CLASSIFY", "WORKFLOW_CONFIGURATION", null, "invoice_c.pdf", 10, 20),
  ],
};

const client = (token = "key_a") => new ExtendClient({ token, baseUrl: MOCK });

const SUMMARY_KEYS = new Set(["id", "status", "processorId", "processorName", "processorVersionId", "type", "createdAt", "updatedAt", "usage"]);
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** The TypeScript SDK does not validate responses, so check each item against its type here. */
function checkPage(page: Extend.ProcessorRunListResponse) {
  expect(page.success).toBe(true);
  for (const run of page.processorRuns) {
    for (const key of Object.keys(run)) expect(SUMMARY_KEYS.has(key), `undeclared field ${key}`).toBe(true);
    expect(["PENDING", "PROCESSING", "PROCESSED", "FAILED", "CANCELLED"]).toContain(run.status);
    if (run.type !== undefined) expect(["EXTRACT", "CLASSIFY", "SPLITTER"]).toContain(run.type);
    for (const field of ["id", "processorId", "processorName", "processorVersionId"] as const) {
      expect(typeof run[field]).toBe("string");
    }
    expect(run.createdAt).toMatch(RFC3339_UTC);
    expect(run.updatedAt).toMatch(RFC3339_UTC);
    expect(Date.parse(run.updatedAt)).toBeGreaterThanOrEqual(Date.parse(run.createdAt));
    if (run.usage !== undefined) expect(typeof run.usage.credits).toBe("number");
  }
}

async function walk(sdk: ExtendClient, request: Extend.ProcessorRunListRequest = {}) {
  const ids: string[] = [];
  let pages = 0;
  let nextPageToken: string | undefined;
  do {
    const page = await sdk.processorRun.list({ ...request, nextPageToken });
    checkPage(page);
    pages += 1;
    ids.push(...page.processorRuns.map((r) => r.id));
    nextPageToken = page.nextPageToken;
  } while (nextPageToken);
  return { ids, pages };
}

const journalStatuses = async () =>
  (await mock("GET", "/requests")).requests.map((e: { status: number }) => e.status);

describe("seeded state", () => {
  beforeEach(async () => {
    await mock("PUT", "/fixtures", SEED);
    await mock("DELETE", "/requests");
  });
  afterEach(async () => {
    await mock("DELETE", "/faults");
    await mock("POST", "/reset");
  });

  test.each([
    [{ status: "PROCESSED" }, ["exr_6", "exr_1"]],
    [{ status: "CANCELLED" }, ["exr_5"]],
    [{ processorId: "ex_inv" }, ["exr_6", "exr_4", "exr_1"]],
    [{ processorType: "EXTRACT" }, ["exr_6", "exr_4", "exr_1"]],
    [{ processorType: "SPLITTER" }, ["exr_3"]],
    [{ sourceId: "wf_1" }, ["exr_4", "exr_1"]],
    [{ source: "WORKFLOW_RUN" }, ["exr_4", "exr_1"]],
    [{ source: "API" }, ["exr_2"]],
    [{ fileNameContains: "INVOICE" }, ["exr_4", "exr_1"]],
    [{ fileNameContains: "über" }, ["exr_6"]],
    [{ processorType: "EXTRACT", status: "PROCESSED" }, ["exr_6", "exr_1"]],
    [{ status: "PENDING", source: "API" }, []],
  ] as [Extend.ProcessorRunListRequest, string[]][])("filter %o", async (request, expected) => {
    expect((await walk(client(), request)).ids).toEqual(expected);
  });

  test.each([
    [undefined, undefined, ALL_A],
    ["updatedAt", "asc", ["exr_2", "exr_3", "exr_1", "exr_5", "exr_4", "exr_6"]],
    ["createdAt", "asc", ["exr_1", "exr_6", "exr_2", "exr_3", "exr_4", "exr_5"]],
    ["createdAt", "desc", ["exr_5", "exr_4", "exr_3", "exr_2", "exr_6", "exr_1"]],
  ] as const)("sortBy %s sortDir %s", async (sortBy, sortDir, expected) => {
    const { ids, pages } = await walk(client(), { sortBy, sortDir, maxPageSize: 4 });
    expect(ids).toEqual(expected);
    expect(pages).toBe(2);
  });

  test("an organization key with the workspace header", async () => {
    const org = client("key_org_a");
    expect((await walk(org, { "x-extend-workspace-id": "ws_a" })).ids).toEqual(ALL_A);
    expect((await walk(org, { "x-extend-workspace-id": "ws_b" })).ids).toEqual(["exr_7"]);
    await expect(org.processorRun.list()).rejects.toBeInstanceOf(Extend.BadRequestError);
    await expect(org.processorRun.list({ "x-extend-workspace-id": "ws_c" })).rejects.toBeInstanceOf(Extend.UnauthorizedError);
  });

  test("a legacy key", async () => {
    expect((await walk(client("key_legacy"))).ids).toEqual(ALL_A);
    const noVersion = await fetch(`${MOCK}/processor_runs`, { headers: { authorization: "Bearer key_legacy" } });
    expect(noVersion.status).toBe(200);
    const current = await fetch(`${MOCK}/processor_runs`, { headers: { authorization: "Bearer key_a" } });
    expect(current.status).toBe(400);
  });

  test("the SDK's error classes for 400 and 401", async () => {
    const bad = await client().processorRun.list({ status: "BOGUS" as Extend.LegacyProcessorStatus }).catch((e) => e);
    expect(bad).toBeInstanceOf(Extend.BadRequestError);
    expect(bad.statusCode).toBe(400);
    expect(bad.body.code).toBe("INVALID_REQUEST");
    expect(bad.body.message).toContain("`status`");
    expect(bad.body.error).toBe(bad.body.message);
    await expect(client().processorRun.list({ maxPageSize: 0 })).rejects.toBeInstanceOf(Extend.BadRequestError);
    await expect(client().processorRun.list({ nextPageToken: "forged:token" })).rejects.toBeInstanceOf(Extend.BadRequestError);
    const unauthorized = await client("sk_live_nope").processorRun.list().catch((e) => e);
    expect(unauthorized).toBeInstanceOf(Extend.UnauthorizedError);
    expect(unauthorized.body.code).toBe("UNAUTHORIZED");
  });

  test("retries an injected 429, honouring Retry-After", async () => {
    await mock("POST", "/faults", { path: "/processor_runs", status: 429 });
    expect((await client().processorRun.list()).processorRuns.map((r) => r.id)).toEqual(ALL_A);
    expect(await journalStatuses()).toEqual([429, 200]);
  }, 20_000);

  test("retries an injected 500", async () => {
    await mock("POST", "/faults", { status: 500, count: 2 });
    expect((await client().processorRun.list()).processorRuns).toHaveLength(6);
    expect(await journalStatuses()).toEqual([500, 500, 200]);
  }, 20_000);

  test("gives up after its retries", async () => {
    await mock("POST", "/faults", { status: 503, count: 10, retryAfter: 0 });
    const error = await client().processorRun.list().catch((e) => e);
    expect(error).toBeInstanceOf(ExtendError);
    expect(error.statusCode).toBe(503);
    expect(error.body.code).toBe("SERVICE_UNAVAILABLE");
    expect(await journalStatuses()).toEqual([503, 503, 503]);
  }, 20_000);
});

describe("built-in fixtures", () => {
  beforeEach(async () => {
    await mock("POST", "/reset");
  });

  test("full paging loops until there is no token", async () => {
    for (const maxPageSize of [1, 7, 10, 40, 1000]) {
      const { ids, pages } = await walk(client("sk_test_acme"), { maxPageSize });
      expect(new Set(ids).size).toBe(40);
      expect(pages).toBe(Math.max(1, Math.ceil(40 / maxPageSize)));
    }
  });

  test("the TypeScript example runs", () => {
    const out = execFileSync("npx", ["tsx", "list-runs.ts"], {
      cwd: join(ROOT, "examples", "typescript"),
      env: { ...process.env, EXTEND_MOCK_URL: MOCK },
      encoding: "utf8",
    }).trim().split("\n");
    expect(out).toHaveLength(40 + 4);
    expect(out[40]).toBe("rejected: 400");
    expect(out[41]).toBe("ws_globex runs: 20");
    expect(out[42]).toMatch(/^full run: \S+ EXTRACT \S/);
    expect(out[43]).toMatch(/^created run: exr_\S+ PROCESSED 1$/);
  }, 60_000);
});

describe("the full run: get and delete", () => {
  beforeEach(async () => {
    await mock("POST", "/reset");
  });

  const KEYS = ["sk_test_acme", "sk_test_globex", "sk_test_initech"];
  const REQUIRED = ["object", "id", "processorId", "processorVersionId", "processorName", "status", "output",
    "reviewed", "edited", "edits", "type", "config", "files", "mergedProcessors", "url"] as const;

  test("every built-in run has the fields the SDK's type requires", async () => {
    for (const key of KEYS) {
      const sdk = client(key);
      const summaries = (await sdk.processorRun.list({ maxPageSize: 1000 })).processorRuns;
      expect(summaries.length).toBeGreaterThan(0);
      for (const summary of summaries) {
        const { success, processorRun: run } = await sdk.processorRun.get(summary.id);
        expect(success).toBe(true);
        for (const field of REQUIRED) expect(run, `${summary.id}.${field}`).toHaveProperty(field);
        expect(run.object).toBe("document_processor_run");
        expect(run.id).toBe(summary.id);
        expect(run.status).toBe(summary.status);
        expect(run.processorId).toBe(summary.processorId);
        expect(run.processorName).toBe(summary.processorName);
        expect(run.processorVersionId).toBe(summary.processorVersionId);
        if (summary.type) expect(run.type).toBe(summary.type);
        expect(run.usage).toEqual(summary.usage);
        expect(run.config.type).toBe(run.type);
        expect(run.url).toBe(`https://dashboard.extend.ai/runs/${run.id}`);
        expect(run.files[0].object).toBe("file");
        expect(run.files[0].id).toMatch(/^file_/);
        expect(run.mergedProcessors).toEqual([]);
        if (run.status === "PROCESSED") {
          expect(run.output).not.toEqual({});
        } else {
          expect(run.output).toEqual({});
        }
        if (run.status === "FAILED") {
          expect(run.failureReason).toBeTruthy();
          expect(run.failureMessage).toBeTruthy();
        }
      }
    }
  }, 60_000);

  test("an unknown or foreign run is the SDK's NotFoundError", async () => {
    const foreign = (await client("sk_test_globex").processorRun.list({ maxPageSize: 1 })).processorRuns[0].id;
    for (const id of ["exr_does_not_exist", foreign]) {
      const error = await client("sk_test_acme").processorRun.get(id).catch((e) => e);
      expect(error).toBeInstanceOf(Extend.NotFoundError);
      expect(error.body.code).toBe("NOT_FOUND");
      expect(error.body.message).toBe(`Processor run \`${id}\` not found`);
      await expect(client("sk_test_acme").processorRun.delete(id)).rejects.toBeInstanceOf(Extend.NotFoundError);
    }
  });

  test("delete, then get is a 404 and the list no longer holds it", async () => {
    const sdk = client("sk_test_acme");
    const victim = (await sdk.processorRun.list({ maxPageSize: 1 })).processorRuns[0].id;
    expect(await sdk.processorRun.delete(victim)).toEqual({
      success: true,
      documentProcessorRunId: victim,
      message: "Document processor run data has been successfully deleted.",
    });
    await expect(sdk.processorRun.get(victim)).rejects.toBeInstanceOf(Extend.NotFoundError);
    const ids = (await sdk.processorRun.list({ maxPageSize: 1000 })).processorRuns.map((r) => r.id);
    expect(ids).not.toContain(victim);
    await mock("POST", "/reset");
    expect((await sdk.processorRun.get(victim)).processorRun.id).toBe(victim);
  });

  test("the /v1 alias answers the same", async () => {
    const id = (await client("sk_test_acme").processorRun.list({ maxPageSize: 1 })).processorRuns[0].id;
    const headers = { authorization: "Bearer sk_test_acme", "x-extend-api-version": "2026-02-09" };
    const current = await (await fetch(`${MOCK}/processor_runs/${id}`, { headers })).json();
    const legacy = await (await fetch(`${MOCK}/v1/processor_runs/${id}`, { headers })).json();
    expect(legacy).toEqual(current);
  });
});

describe("the processor catalogue", () => {
  beforeEach(async () => {
    await mock("PUT", "/fixtures", SEED);
  });
  afterEach(async () => {
    await mock("POST", "/reset");
  });

  const SCHEMA = {
    type: "object",
    properties: { invoice_number: { type: "string" }, total: { type: "number" } },
  };

  test("the catalogue derived from the runs, listed and paged", async () => {
    const sdk = client();
    const listed = await sdk.processor.list({ sortBy: "createdAt", sortDir: "asc" });
    expect(listed.processors.map((p) => p.id)).toEqual(["ex_inv", "ex_cls", "ex_split", "ex_old"]);
    expect(listed.nextPageToken).toBeUndefined();
    expect(listed.processors[0].versions.map((v) => v.version)).toEqual(["draft", "1.0"]);
    const classify = await sdk.processor.list({ type: "CLASSIFY" });
    expect(classify.processors.map((p) => p.id)).toEqual(["ex_cls"]);
    const walked: string[] = [];
    let token: string | undefined;
    do {
      const page = await sdk.processor.list({ maxPageSize: 3, nextPageToken: token });
      walked.push(...page.processors.map((p) => p.id));
      token = page.nextPageToken ?? undefined;
    } while (token);
    expect(walked).toEqual((await sdk.processor.list({ maxPageSize: 100 })).processors.map((p) => p.id));
  });

  test("create, update, publish and read versions", async () => {
    const sdk = client();
    const { processor } = await sdk.processor.create({
      name: "Invoices", type: "EXTRACT", config: { type: "EXTRACT", schema: SCHEMA },
    });
    expect(processor.id).toMatch(/^ex_/);
    expect(processor.object).toBe("document_processor");
    expect(processor.createdAt).toMatch(RFC3339_UTC);
    expect(processor.draftVersion.version).toBe("draft");
    expect(processor.draftVersion.config).toEqual({ type: "EXTRACT", schema: SCHEMA });

    const renamed = await sdk.processor.update(processor.id, { name: "Invoices v2" });
    expect(renamed.processor.name).toBe("Invoices v2");

    const numbers: string[] = [];
    for (const releaseType of ["major", "minor", "major"] as const) {
      const { processorVersion } = await sdk.processorVersion.create(processor.id, { releaseType, description: releaseType });
      numbers.push(processorVersion.version);
      expect(processorVersion.processorName).toBe("Invoices v2");
      const got = await sdk.processorVersion.get(processor.id, processorVersion.id);
      expect(got.version).toEqual(processorVersion);
    }
    expect(numbers).toEqual(["1.0", "1.1", "2.0"]);
    const { versions } = await sdk.processorVersion.list(processor.id);
    expect(versions.map((v) => v.version)).toEqual(["draft", "2.0", "1.1", "1.0"]);

    const clone = await sdk.processor.create({ name: "Copy", type: "EXTRACT", cloneProcessorId: processor.id });
    expect(clone.processor.draftVersion.config).toEqual({ type: "EXTRACT", schema: SCHEMA });
  });

  test("errors are the SDK's named errors", async () => {
    const sdk = client();
    const bad = await sdk.processor
      .create({ name: "x", type: "SPLITTER", config: { type: "SPLITTER" } as never })
      .catch((e) => e);
    expect(bad).toBeInstanceOf(Extend.BadRequestError);
    expect(bad.body.message).toContain("config.splitClassifications");
    const missing = await sdk.processorVersion.list("ex_missing").catch((e) => e);
    expect(missing).toBeInstanceOf(Extend.NotFoundError);
    expect(missing.body.message).toBe("Processor `ex_missing` not found");
    const foreign = await client("key_org_a")
      .processorVersion.list("ex_cls", { "x-extend-workspace-id": "ws_b" })
      .catch((e) => e);
    expect(foreign).toBeInstanceOf(Extend.NotFoundError);
  });
});

describe("files", () => {
  beforeEach(async () => {
    await mock("PUT", "/fixtures", SEED);
  });
  afterEach(async () => {
    await mock("POST", "/reset");
  });

  const PDF = "%PDF-1.4\n1 0 obj << /Type /Pages /Count 2 >> endobj\n2 0 obj << /Type /Page >> endobj\n3 0 obj << /Type /Page >> endobj\n";

  test("upload, retrieve, download through the link, delete", async () => {
    const sdk = client();
    const uploaded = await sdk.files.upload(new File([PDF], "Invoice 7.pdf", { type: "application/pdf" }), {});
    expect(uploaded.id).toMatch(/^file_/);
    expect(uploaded.object).toBe("file");
    expect(uploaded.name).toBe("Invoice 7.pdf");
    expect(uploaded.type).toBe("PDF");
    expect(uploaded.metadata).toEqual({ pageCount: 2 });
    expect(uploaded.createdAt).toMatch(RFC3339_UTC);
    expect(uploaded.presignedUrl).toBeUndefined();

    const got = await sdk.files.retrieve(uploaded.id);
    const download = await fetch(got.presignedUrl!);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe(PDF);

    expect(await sdk.files.delete(uploaded.id)).toEqual({ id: uploaded.id });
    const missing = await sdk.files.retrieve(uploaded.id).catch((e) => e);
    expect(missing).toBeInstanceOf(Extend.NotFoundError);
    expect(missing.body.message).toBe(`File \`${uploaded.id}\` not found`);
  });

  test("list, filter by name, page, and a text file's text", async () => {
    const sdk = client();
    const ids: string[] = [];
    for (const n of [0, 1, 2, 3]) {
      const name = n % 2 ? `notes-${n}.txt` : `Invoice-${n}.csv`;
      ids.push((await sdk.files.upload(new File([`line ${n}\n`], name), {})).id);
    }
    const text = await sdk.files.retrieve(ids[1], { rawText: true });
    expect(text.contents?.rawText).toBe("line 1\n");
    const walked: string[] = [];
    let token: string | undefined;
    do {
      const page = await sdk.files.list({ maxPageSize: 3, sortDir: "asc", nextPageToken: token });
      expect(page.object).toBe("list");
      walked.push(...page.data.map((f) => f.id));
      token = page.nextPageToken ?? undefined;
    } while (token);
    expect(walked).toEqual(ids);
    const invoices = await sdk.files.list({ nameContains: "INVOICE" });
    expect(invoices.data.map((f) => f.name)).toEqual(["Invoice-2.csv", "Invoice-0.csv"]);
  });
});

describe("runs made through the API", () => {
  beforeEach(async () => {
    await mock("PUT", "/fixtures", SEED);
  });
  afterEach(async () => {
    await mock("POST", "/reset");
  });

  async function waitDone(sdk: ExtendClient, id: string) {
    const started = Date.now();
    for (;;) {
      const { processorRun } = await sdk.processorRun.get(id);
      if (processorRun.status !== "PROCESSING") return processorRun;
      expect(Date.now() - started).toBeLessThan(30_000);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  test("create, poll get until done, read the output", async () => {
    const sdk = client();
    const { processorRun: created } = await sdk.processorRun.create({
      processorId: "ex_inv",
      file: { fileUrl: "https://files.example.com/Invoice_2024_05.pdf" },
    });
    expect(created.id).toMatch(/^exr_/);
    expect(created.status).toBe("PROCESSING");
    expect(created.output).toEqual({});
    expect(created.files[0].name).toBe("Invoice_2024_05.pdf");
    const run = await waitDone(sdk, created.id);
    expect(run.status).toBe("PROCESSED");
    expect(run.usage).toEqual({ credits: 1 });
    expect(Object.keys(run.output).sort()).toEqual(["metadata", "value"]);
  }, 40_000);

  test("sync, markers and cancel", async () => {
    const sdk = client();
    const synced = await sdk.processorRun.create({ processorId: "ex_cls", rawText: "an invoice", sync: true });
    expect(synced.processorRun.status).toBe("PROCESSED");
    const failed = await sdk.processorRun.create({ processorId: "ex_inv", rawText: "x __fail__", sync: true });
    expect(failed.processorRun.status).toBe("FAILED");
    expect(failed.processorRun.failureReason).toBe("FILE_PARSING_ERROR");
    const held = await sdk.processorRun.create({ processorId: "ex_inv", rawText: "__hold__" });
    const cancelled = await sdk.processorRun.cancel(held.processorRun.id);
    expect(cancelled.processorRun.status).toBe("CANCELLED");
    const again = await sdk.processorRun.cancel(held.processorRun.id).catch((e) => e);
    expect(again).toBeInstanceOf(Extend.BadRequestError);
    const missing = await sdk.processorRun.create({ processorId: "ex_nope", rawText: "x" }).catch((e) => e);
    expect(missing).toBeInstanceOf(Extend.NotFoundError);
  }, 40_000);

  test("an output pinned through the control plane", async () => {
    const output = { value: { invoice_number: "INV-7", total: 12.5 }, metadata: {} };
    await mock("POST", "/rules", { processorId: "ex_inv", output });
    const sdk = client();
    const { processorRun: created } = await sdk.processorRun.create({ processorId: "ex_inv", rawText: "Invoice INV-7" });
    const run = await waitDone(sdk, created.id);
    expect(run.status).toBe("PROCESSED");
    expect(run.output).toEqual(output);
    const { processorRun: held } = await sdk.processorRun.create({ processorId: "ex_cls", rawText: "__hold__" });
    const finished = await mock("POST", `/processor_runs/${held.id}/finish`, { output: { id: "inv", type: "invoice", confidence: 0.9, insights: [] } });
    expect(finished.processorRun.status).toBe("PROCESSED");
    expect((await sdk.processorRun.get(held.id)).processorRun.output).toEqual({ id: "inv", type: "invoice", confidence: 0.9, insights: [] });
  }, 40_000);
});

describe("sandboxes: one server, isolated states", () => {
  const names = ["vitest-a", "vitest-b", "vitest-c"];
  beforeEach(async () => {
    await mock("PUT", "/fixtures", SEED);
  });
  afterEach(async () => {
    for (const name of names) await fetch(`${MOCK}/_mock/sandboxes/${name}`, { method: "DELETE" });
    await mock("POST", "/reset");
  });

  test("three workers at once, each with its own runs, faults and journal", async () => {
    const sandboxes = await Promise.all(
      names.map((name) => mock("POST", `/sandboxes?name=${name}`, SEED)),
    );
    // Each "worker" deletes a different run, makes runs and meets a fault of its own.
    const results = await Promise.all(
      sandboxes.map(async (sandbox, i) => {
        const token = sandbox.apiKeys.find((k: { name: string }) => k.name === "a").token;
        expect(token).toBe(`key_a.${names[i]}`);
        const sdk = client(token);
        await sdk.processorRun.delete(ALL_A[i]);
        for (let n = 0; n <= i; n++) {
          await sdk.processorRun.create({ processorId: "ex_inv", rawText: `__hold__ ${n}` });
        }
        const fault = await fetch(`${MOCK}/_mock/faults`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-extend-mock-sandbox": names[i] },
          body: JSON.stringify({ path: "/processor_runs", status: 500, count: 1 }),
        });
        expect(fault.status).toBe(201);
        const page = await sdk.processorRun.list({ maxPageSize: 100 });
        const journal = await (
          await fetch(`${MOCK}/_mock/requests`, { headers: { "x-extend-mock-sandbox": names[i] } })
        ).json();
        return { ids: page.processorRuns.map((r) => r.id), statuses: journal.requests.map((r: { status: number }) => r.status) };
      }),
    );
    results.forEach(({ ids, statuses }, i) => {
      expect(ids).toHaveLength(6 - 1 + i + 1);
      expect(ids).not.toContain(ALL_A[i]);
      expect(ids.filter((id) => ALL_A.includes(id))).toHaveLength(5);
      // delete, i + 1 creates, the injected 500 and the SDK's retry: nobody else's requests.
      expect(statuses).toEqual([200, ...Array(i + 1).fill(200), 500, 200]);
    });
    // The default state saw none of it.
    const { processorRuns } = await client("key_a").processorRun.list({ maxPageSize: 100 });
    expect(processorRuns.map((r) => r.id).filter((id) => ALL_A.includes(id))).toHaveLength(6);
  }, 40_000);
});

describe("webhooks", () => {
  beforeEach(async () => {
    await mock("PUT", "/fixtures", SEED);
  });
  afterEach(async () => {
    await mock("POST", "/reset");
  });

  /** A handler on 127.0.0.1:0 that keeps each request's raw body and headers. */
  async function receiver() {
    const { createServer } = await import("node:http");
    const got: { body: string; headers: Record<string, string | string[] | undefined> }[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        got.push({ body, headers: req.headers });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    const next = async (n: number) => {
      const started = Date.now();
      while (got.length < n) {
        expect(Date.now() - started).toBeLessThan(30_000);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return got[n - 1];
    };
    return { url: `http://127.0.0.1:${port}/hooks`, next, close: () => server.close() };
  }

  test("every run family arrives and verifyAndParse accepts it", async () => {
    const hooks = await receiver();
    try {
      const sdk = client();
      const endpoint = await sdk.webhookEndpoints.create({
        url: hooks.url,
        name: "handler under test",
        enabledEvents: ["extract_run.processed", "extract_run.failed", "classify_run.processed", "split_run.processed"],
        apiVersion: "2026-02-09",
      });
      expect(endpoint.signingSecret).toMatch(/^wss_/);
      const cases: [string, string, string, string][] = [
        ["ex_inv", "an invoice", "extract_run.processed", "extract_run"],
        ["ex_inv", "broken __fail__", "extract_run.failed", "extract_run"],
        ["ex_cls", "a letter", "classify_run.processed", "classify_run"],
        ["ex_split", "a packet", "split_run.processed", "split_run"],
      ];
      for (const [n, [processorId, rawText, eventType, object]] of cases.entries()) {
        const { processorRun } = await sdk.processorRun.create({ processorId, rawText, sync: true });
        const { body, headers } = await hooks.next(n + 1);
        const event = sdk.webhooks.verifyAndParse(body, headers as Record<string, string>, endpoint.signingSecret);
        expect(event.eventType).toBe(eventType);
        const payload = event.payload as { object: string; id: string; status: string };
        expect([payload.object, payload.id, payload.status]).toEqual([object, processorRun.id, processorRun.status]);
        expect(() => sdk.webhooks.verifyAndParse(body, headers as Record<string, string>, "wss_wrong")).toThrow();
      }
      const listed = await sdk.webhookEndpoints.list();
      expect(listed.data.map((e) => e.id)).toEqual([endpoint.id]);
      expect(await sdk.webhookEndpoints.delete(endpoint.id)).toEqual({ id: endpoint.id });
    } finally {
      hooks.close();
    }
  }, 60_000);
});
