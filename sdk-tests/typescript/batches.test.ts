// Batches through the official TypeScript SDK (extend-ai, unmodified): createBatch of the extract, classify and
// split families, batchRuns.get polled to the end, the family lists by batchId, and refusals naming their input.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { Extend, ExtendClient } from "extend-ai";

const MOCK = process.env.EXTEND_MOCK_URL ?? "http://127.0.0.1:8080";
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const URL_OF = (name: string) => `https://files.example.com/${name}.pdf`;

async function mock(method: string, path: string, body?: unknown) {
  const init = { method, headers: { "content-type": "application/json" }, body: body && JSON.stringify(body) };
  const res = await fetch(`${MOCK}/_mock${path}`, init);
  if (!res.ok) throw new Error(`${method} /_mock${path}: ${res.status} ${await res.text()}`);
}

// conftest.py's processors: ex_inv (an extractor), ex_cls (a classifier), ex_split (a splitter), by their seed runs.
const seedRun = (i: number, processorId: string, type: string, source: string, sourceId?: string) => ({
  id: `exr_${i}`, workspaceId: "ws_a", status: "PROCESSED", processorId, processorName: `Processor ${processorId}`,
  processorVersionId: `exv_${processorId}`, source, ...(sourceId ? { sourceId } : {}), fileName: `${i}.pdf`,
  createdAt: "2024-03-01T01:00:00Z", updatedAt: "2024-03-01T01:00:00Z", type, usage: { credits: 1.5 },
});
const SEED = {
  organizations: [{ id: "org_a", name: "A", workspaces: [{ id: "ws_a", name: "A" }] }],
  apiKeys: [{ token: "key_a", name: "a", scope: "workspace", workspaceId: "ws_a" }],
  processorRuns: [
    seedRun(1, "ex_inv", "EXTRACT", "API"),
    seedRun(2, "ex_cls", "CLASSIFY", "API"),
    seedRun(3, "ex_split", "SPLITTER", "BATCH_PROCESSOR_RUN", "batch_1"),
  ],
};
const client = (token = "key_a") => new ExtendClient({ token, baseUrl: MOCK });

type Family = "extract" | "classify" | "split";
const F = {
  extract: { runs: "extractRuns", owner: "extractor", id: "ex_inv", prefix: /^exr_/, object: "extract_run", extra: ["files"] },
  classify: { runs: "classifyRuns", owner: "classifier", id: "ex_cls", prefix: /^clr_/, object: "classify_run", extra: [] },
  split: { runs: "splitRuns", owner: "splitter", id: "ex_split", prefix: /^splr_/, object: "split_run", extra: [] },
} as const;
const runsOf = (sdk: ExtendClient, family: Family) => sdk[F[family].runs] as any;

/** The TypeScript SDK does not validate answers: exactly the keys its type declares. */
const keys = (value: object, expected: string[]) => expect(Object.keys(value).sort()).toEqual([...expected].sort());
const BATCH = ["object", "id", "status", "runCount", "createdAt"];
const SUMMARY = ["object", "id", "status", "failureReason", "failureMessage", "metadata", "reviewed", "edited", "file",
  "parseRunId", "dashboardUrl", "usage", "createdAt", "updatedAt"];
const FILE = ["object", "id", "name", "type", "parentFileId", "metadata", "createdAt", "updatedAt"];

async function createBatch(sdk: ExtendClient, family: Family, inputs: object[]) {
  const batch: Extend.BatchRun = await runsOf(sdk, family).createBatch({ [F[family].owner]: { id: F[family].id }, inputs });
  keys(batch, BATCH);
  expect([batch.object, batch.status, batch.runCount]).toEqual(["batch_run", "PENDING", inputs.length]);
  expect(batch.id).toMatch(/^bpr_/);
  expect(batch.createdAt).toMatch(RFC3339);
  return batch;
}

/** batchRuns.get until PROCESSED: PROCESSING before, the rest as made. */
async function waitBatch(sdk: ExtendClient, created: Extend.BatchRun) {
  const started = Date.now();
  for (;;) {
    const got = await sdk.batchRuns.get(created.id);
    keys(got, BATCH);
    expect(got).toEqual({ ...created, status: got.status });
    if (got.status === "PROCESSED") return got;
    expect(got.status).toBe("PROCESSING");
    expect(Date.now() - started).toBeLessThan(30_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The family's list by batchId, two a page: the runs (each a strict summary) and the page sizes. */
async function listBatch(sdk: ExtendClient, family: Family, batchId: string) {
  const runs: any[] = [];
  const sizes: number[] = [];
  let nextPageToken: string | undefined;
  do {
    const page = await runsOf(sdk, family).list({ batchId, maxPageSize: 2, nextPageToken });
    expect(page.object).toBe("list");
    for (const r of page.data) {
      keys(r, [...SUMMARY, F[family].owner, `${F[family].owner}Version`, ...F[family].extra]);
      expect(r.object).toBe(F[family].object);
      expect(r.id).toMatch(F[family].prefix);
      keys(r.file, FILE);
      expect(r[F[family].owner].id).toBe(F[family].id);
    }
    runs.push(...page.data);
    sizes.push(page.data.length);
    nextPageToken = page.nextPageToken ?? undefined;
  } while (nextPageToken);
  return { runs, sizes };
}

describe("batches", () => {
  beforeEach(() => mock("PUT", "/fixtures", SEED));
  afterEach(() => mock("POST", "/reset"));

  test("an extract batch from URLs and text: polled to PROCESSED, listed by batchId", async () => {
    const sdk = client();
    const batch = await createBatch(sdk, "extract", [
      { file: { url: URL_OF("first") } },
      { file: { text: "INVOICE #7\nTotal due: $12.50" }, metadata: { customer: "acme", n: 2 } },
      { file: { url: URL_OF("third") }, metadata: { customer: "globex" } },
    ]);
    expect((await waitBatch(sdk, batch)).runCount).toBe(3);
    const { runs, sizes } = await listBatch(sdk, "extract", batch.id);
    expect(sizes).toEqual([2, 1]);
    expect(new Set(runs.map((r) => r.id)).size).toBe(3);
    expect(runs.map((r) => r.status)).toEqual(["PROCESSED", "PROCESSED", "PROCESSED"]);
    const byName = Object.fromEntries(runs.map((r) => [r.file.name, r.metadata]));
    expect(byName).toEqual({ "first.pdf": null, "raw_text.txt": { customer: "acme", n: 2 }, "third.pdf": { customer: "globex" } });
    for (const r of runs) expect((await sdk.extractRuns.retrieve(r.id)).output).not.toBeNull();
    // The legacy view: source BATCH_PROCESSOR_RUN, sourceId the batch.
    const legacy = await sdk.processorRun.list({ source: "BATCH_PROCESSOR_RUN", sourceId: batch.id, maxPageSize: 100 });
    expect(legacy.processorRuns.map((r) => r.id).sort()).toEqual(runs.map((r) => r.id).sort());
    expect(await listBatch(sdk, "extract", "bpr_missing")).toEqual({ runs: [], sizes: [0] });
  }, 40_000);

  for (const family of ["classify", "split"] as const) {
    test(`a ${family} batch: polled to PROCESSED, listed by batchId`, async () => {
      const sdk = client();
      const file = (n: number) => (family === "classify" ? { text: `INVOICE #${n}` } : { url: URL_OF(`packet-${n}`) });
      const batch = await createBatch(sdk, family, [0, 1, 2].map((n) => ({ file: file(n), metadata: { n } })));
      await waitBatch(sdk, batch);
      const { runs, sizes } = await listBatch(sdk, family, batch.id);
      expect(sizes).toEqual([2, 1]);
      expect(runs.map((r) => r.status)).toEqual(["PROCESSED", "PROCESSED", "PROCESSED"]);
      expect(runs.map((r) => r.metadata.n).sort()).toEqual([0, 1, 2]);
    }, 40_000);
  }

  for (const family of ["extract", "classify", "split"] as const) {
    test(`${family}: a refused input is named and nothing is made; an unknown ${F[family].owner} is a 404`, async () => {
      const sdk = client();
      const runs = runsOf(sdk, family);
      const owner = F[family].owner;
      const before = (await runs.list({ maxPageSize: 100 })).data.map((r: { id: string }) => r.id);
      const inputs = [{ file: { url: URL_OF("good") } }, { file: { url: "ftp://x/y.pdf" } }];
      const refused = await runs.createBatch({ [owner]: { id: F[family].id }, inputs }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(Extend.BadRequestError);
      expect(refused.statusCode).toBe(400);
      expect(refused.body.message).toMatch(/^request body: inputs\[1\]\.file\.url: /);
      const inline = await runs.createBatch({ [owner]: { id: F[family].id }, inputs: inputs.slice(0, 1), config: {} }).catch((e: unknown) => e);
      expect(inline).toBeInstanceOf(Extend.BadRequestError);
      expect(inline.body.message).toMatch(/^request body: config: /);
      await expect(runs.createBatch({ [owner]: { id: F[family].id }, inputs: [] })).rejects.toBeInstanceOf(Extend.BadRequestError);
      const missing = await runs.createBatch({ [owner]: { id: `${F[family].id}_missing` }, inputs: inputs.slice(0, 1) }).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(Extend.NotFoundError);
      expect(missing.statusCode).toBe(404);
      expect(missing.body.message).toContain(`${F[family].id}_missing`);
      expect((await runs.list({ maxPageSize: 100 })).data.map((r: { id: string }) => r.id)).toEqual(before);
      // No run of any batch but the seeded one (exr_3, of batch_1).
      const legacy = await sdk.processorRun.list({ source: "BATCH_PROCESSOR_RUN", maxPageSize: 100 });
      expect(legacy.processorRuns.map((r) => r.id)).toEqual(["exr_3"]);
      await expect(sdk.batchRuns.get("bpr_missing")).rejects.toBeInstanceOf(Extend.NotFoundError);
    }, 40_000);
  }
});
