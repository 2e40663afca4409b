// The parse family of API 2026-02-09 through the official TypeScript SDK (extend-ai, unmodified): the sync POST /parse,
// /parse_runs (createAndPoll, retrieve with responseType, list, cancel, delete), /parse_runs/batch and batchRuns.get.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { Extend, ExtendClient } from "extend-ai";

const MOCK = process.env.EXTEND_MOCK_URL ?? "http://127.0.0.1:8080";
const FAST = { initialDelayMs: 100, maxDelayMs: 200, jitterFraction: 0, maxWaitMs: 30_000 };
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const URL_OF = (name: string) => `https://files.example.com/${name}.pdf`;
const TABLE = "| Item | Qty | Amount |\n|---|---|---|\n| Paper | 2 | $10 |\n| Ink | 1 | $25 |";
const TEXT = `Quarterly Report\n\nInvoice number: INV-0042\nTotal due: $1,250.00\n\n${TABLE}\n\nThank you for your business.\fTerms\n\nPay within 30 days.`;
// [page, type, content, details] as TEXT implies them.
const TEXT_BLOCKS = [
  [1, "heading", "# Quarterly Report", { type: "text_details" }],
  [1, "key_value", "Invoice number: INV-0042\nTotal due: $1,250.00", { type: "key_value_details" }],
  [1, "table", TABLE, { type: "table_details", rowCount: 3, columnCount: 3 }],
  [1, "text", "Thank you for your business.", { type: "text_details" }],
  [2, "section_heading", "## Terms", { type: "text_details" }],
  [2, "text", "Pay within 30 days.", { type: "text_details" }],
];

async function mock(method: string, path: string, body?: unknown) {
  const init = { method, headers: { "content-type": "application/json" }, body: body && JSON.stringify(body) };
  const res = await fetch(`${MOCK}/_mock${path}`, init);
  if (!res.ok) throw new Error(`${method} /_mock${path}: ${res.status} ${await res.text()}`);
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
const RUN = ["object", "id", "file", "status", "failureReason", "failureMessage", "metadata", "output", "outputUrl", "metrics", "config", "usage"];
const SUMMARY = ["object", "id", "batchId", "file", "status", "failureReason", "failureMessage", "metadata", "metrics", "usage", "createdAt", "updatedAt"];
const FILE = ["object", "id", "name", "type", "parentFileId", "metadata", "createdAt", "updatedAt"];
const CONFIG = ["target", "chunkingStrategy", "engine", "engineVersion", "blockOptions", "advancedOptions"];
const TEXT_DETAILS: [string, string[]] = ["text_details", []];
const DETAILS: Record<string, [string, string[]]> = { heading: TEXT_DETAILS, section_heading: TEXT_DETAILS, text: TEXT_DETAILS,
  key_value: ["key_value_details", []], table: ["table_details", ["rowCount", "columnCount"]] };
const BATCH = ["object", "id", "status", "runCount", "createdAt"];

function checkRun(run: Record<string, any>, status = "PROCESSED", summary = false) {
  keys(run, summary ? SUMMARY : RUN, summary ? [] : ["batchId"]);
  expect([run.object, run.status]).toEqual(["parse_run", status]);
  expect(run.id).toMatch(/^pr_/);
  keys(run.file, FILE);
  if (run.metrics) keys(run.metrics, ["processingTimeMs", "pageCount"]);
  if (run.usage) keys(run.usage, ["credits"], summary ? ["totalCredits"] : ["totalCredits", "breakdown"]);
  if (summary) return expect(run.createdAt).toMatch(RFC3339);
  keys(run.config, [], CONFIG);
  if (status !== "PROCESSED") expect([run.output, run.outputUrl, run.metrics, run.usage]).toEqual([null, null, null, null]);
}

/** A Block: its details of its type, its polygon its box's corners, on its page. */
function checkBlock(b: Record<string, any>) {
  keys(b, ["object", "id", "type", "content", "details", "metadata", "polygon", "boundingBox"], ["parentBlockId", "children"]);
  expect([b.object, typeof b.content]).toEqual(["block", "string"]);
  expect(b.id).toMatch(/^blk_\w+$/);
  const [detailType, detailKeys] = DETAILS[b.type];
  keys(b.details, ["type", ...detailKeys], detailType === "text_details" ? ["cellReference"] : []);
  expect(b.details.type).toBe(detailType);
  if (b.type === "table") {
    const rows = b.content.split("\n").filter((l: string) => /[^|\-: ]/.test(l));
    expect([b.details.rowCount, b.details.columnCount]).toEqual([rows.length, rows[0].split("|").length - 2]);
  }
  const page = b.metadata.page;
  keys(b.metadata, ["page"]);
  keys(page, ["number", "width", "height"]);
  keys(b.boundingBox, ["left", "top", "right", "bottom"]);
  const { left, top, right, bottom } = b.boundingBox;
  expect(0 <= left && left < right && right <= page.width && 0 <= top && top < bottom && bottom <= page.height).toBe(true);
  expect(b.polygon).toEqual([{ x: left, y: top }, { x: right, y: top }, { x: right, y: bottom }, { x: left, y: bottom }]);
  return b;
}

/** ParseRunOutput, Chunk and Block exactly as declared; chunk content and page ranges as its blocks say. */
function checkOutput(output: Record<string, any>, strategy = "page") {
  keys(output, ["chunks"], ["ocr"]);
  const blocks: any[] = [];
  output.chunks.forEach((c: any, i: number) => {
    keys(c, ["object", "type", "content", "metadata", "blocks"]);
    expect([c.object, c.type]).toEqual(["chunk", strategy]);
    const pages = c.blocks.map((b: any) => checkBlock(b).metadata.page.number);
    expect(c.metadata).toEqual({ pageRange: { start: pages[0], end: pages[pages.length - 1] } });
    expect(c.content).toBe(c.blocks.map((b: any) => b.content).join("\n\n"));
    if (strategy === "page") expect(pages).toEqual(pages.map(() => i + 1));
    blocks.push(...c.blocks);
  });
  expect(new Set(blocks.map((b) => b.id)).size).toBe(blocks.length);
  return blocks;
}
const shape = (blocks: any[]) => blocks.map((b) => [b.metadata.page.number, b.type, b.content, b.details]);

describe("parse", () => {
  beforeEach(() => mock("PUT", "/fixtures", SEED));
  afterEach(() => mock("POST", "/reset"));

  test("sync parse of a URL: one chunk per page; document and section chunking; responseType url", async () => {
    const sdk = client();
    const run = await sdk.parse({ file: { url: URL_OF("Q1_Board-Minutes") } });
    checkRun(run);  // PROCESSED at once
    const pages = run.file.metadata.pageCount!;
    expect([run.file.name, run.file.type, run.metrics?.pageCount, run.outputUrl, run.batchId]).toEqual(["Q1_Board-Minutes.pdf", "PDF", pages, null, null]);
    expect(run.config).toEqual({ target: "markdown", chunkingStrategy: { type: "page" }, engine: "parse_performance" });
    const blocks = checkOutput(run.output!);
    expect(run.output!.chunks.length).toBe(pages);
    expect([blocks[0].type, blocks[0].content]).toEqual(["heading", "# Q1 Board Minutes"]);
    for (const type of ["document", "section"] as const) {
      const one = await sdk.parse({ file: { url: URL_OF("Minutes") }, config: { chunkingStrategy: { type } } });
      checkRun(one);
      expect(one.config.chunkingStrategy?.type).toBe(type);
      const all = checkOutput(one.output!, type);
      const heads = all.filter((b) => b.type === "heading" || b.type === "section_heading");
      expect(one.output!.chunks.map((c) => c.blocks[0])).toEqual(type === "document" ? all.slice(0, 1) : heads);
      if (type === "document") expect(one.output!.chunks[0].metadata.pageRange).toEqual({ start: 1, end: one.metrics!.pageCount });
    }
    const linked = await sdk.parse({ file: { url: URL_OF("Minutes") }, responseType: "url" });
    checkRun(linked);
    expect(linked.output).toBeNull();
    const inline = await sdk.parseRuns.retrieve(linked.id);
    expect(linked).toEqual({ ...inline, output: null, outputUrl: linked.outputUrl });
    expect(checkOutput(await (await fetch(linked.outputUrl!)).json())).toEqual(checkOutput(inline.output!));
  }, 40_000);

  test("createAndPoll on an uploaded .txt: its own blocks; the output by url", async () => {
    const sdk = client();
    const upload = await sdk.files.upload(new File([TEXT], "report.txt", { type: "text/plain" }), {});
    const run = await sdk.parseRuns.createAndPoll({ file: { id: upload.id }, metadata: { case: "txt" } }, FAST);
    checkRun(run);
    expect(await sdk.parseRuns.retrieve(run.id)).toEqual(run);
    expect([run.file.id, run.file.name, run.file.type, run.metadata]).toEqual([upload.id, "report.txt", "TXT", { case: "txt" }]);
    const blocks = checkOutput(run.output!);
    expect(shape(blocks)).toEqual(TEXT_BLOCKS);
    expect(run.output!.chunks.map((c) => c.metadata.pageRange)).toEqual([{ start: 1, end: 1 }, { start: 2, end: 2 }]);
    // responseType url: no output, and a keyless GET of outputUrl is the same output; json is the inline one.
    const linked = await sdk.parseRuns.retrieve(run.id, { responseType: "url" });
    checkRun(linked);
    expect(linked).toEqual({ ...run, output: null, outputUrl: linked.outputUrl });
    const res = await fetch(linked.outputUrl!);
    expect([res.status, res.headers.get("content-type")]).toEqual([200, "application/json"]);
    expect(await res.json()).toEqual(run.output);
    expect(await sdk.parseRuns.retrieve(run.id, { responseType: "json" })).toEqual(run);
    // Pages are pages: each starts at the same top, and the run counts both.
    const top = (page: number) => blocks.find((b) => b.metadata.page.number === page).boundingBox.top;
    expect([top(2), run.metrics?.pageCount]).toEqual([top(1), 2]);
  }, 40_000);

  test("list by fileNameContains, newest first, in pages of one", async () => {
    const sdk = client();
    const made: string[] = [];
    for (const n of [0, 1, 2]) made.push((await sdk.parseRuns.create({ file: { url: URL_OF(`ledger-${n}`) } })).id);
    const other = (await sdk.parseRuns.create({ file: { url: URL_OF("invoice") } })).id;
    const listed = await sdk.parseRuns.list({ fileNameContains: "LEDGER", maxPageSize: 100 });
    keys(listed, ["object", "data"], ["nextPageToken"]);
    expect([listed.object, listed.nextPageToken]).toEqual(["list", undefined]);
    for (const r of listed.data) checkRun(r, r.status, true);
    expect(listed.data.map((r) => [r.id, r.file.name])).toEqual([2, 1, 0].map((n) => [made[n], `ledger-${n}.pdf`]));
    const walked: string[] = [];
    let nextPageToken: string | undefined;
    do {
      const page = await sdk.parseRuns.list({ fileNameContains: "ledger", maxPageSize: 1, nextPageToken });
      expect(page.data.length).toBe(1);
      walked.push(page.data[0].id);
      nextPageToken = page.nextPageToken;
    } while (nextPageToken);
    expect(walked).toEqual([...made].reverse());
    expect((await sdk.parseRuns.list({ maxPageSize: 100 })).data.map((r) => r.id)).toEqual([other, ...[...made].reverse()]);
  }, 40_000);

  test("cancel a held run, delete it; a failed run", async () => {
    const sdk = client();
    const held = await sdk.parseRuns.create({ file: { url: URL_OF("slow __hold__") } });
    expect((await sdk.parseRuns.retrieve(held.id)).status).toBe("PROCESSING");
    // CANCELLED is not in the SDK's ParseRunStatusEnum; the server answers it on purpose (the type is an open string).
    const cancelled = await sdk.parseRuns.cancel(held.id);
    checkRun(cancelled, "CANCELLED");
    await expect(sdk.parseRuns.cancel(held.id)).rejects.toBeInstanceOf(Extend.BadRequestError);
    expect(await sdk.parseRuns.delete(held.id)).toEqual({ id: held.id });
    const missing = await sdk.parseRuns.retrieve(held.id).catch((e) => e);
    expect([missing instanceof Extend.NotFoundError, missing.statusCode, missing.body.message.includes(held.id)]).toEqual([true, 404, true]);
    await expect(sdk.parseRuns.delete(held.id)).rejects.toBeInstanceOf(Extend.NotFoundError);

    const failed = await sdk.parseRuns.createAndPoll({ file: { url: URL_OF("broken __fail__") } }, FAST);
    checkRun(failed, "FAILED");
    expect([failed.failureReason, failed.failureMessage]).toEqual(["FILE_TYPE_NOT_SUPPORTED", "File type not supported for parsing."]);
    const sync = await sdk.parse({ file: { url: URL_OF("sync __fail__") } });
    checkRun(sync, "FAILED");
    expect(sync.failureReason).toBe("FILE_TYPE_NOT_SUPPORTED");
    expect((await sdk.parseRuns.list({ status: "FAILED" })).data.map((r) => r.id)).toEqual([sync.id, failed.id]);
  }, 40_000);

  test("a batch of a URL and a text: polled to PROCESSED, listed by batchId", async () => {
    const sdk = client();
    const inputs = [{ file: { url: URL_OF("batch-doc") } }, { file: { text: TEXT }, metadata: { customer: "acme" } }];
    const batch = await sdk.parseRuns.createBatch({ inputs });
    keys(batch, BATCH);
    expect([batch.object, batch.status, batch.runCount, /^bpr_/.test(batch.id), RFC3339.test(batch.createdAt)]).toEqual(["batch_run", "PENDING", 2, true, true]);
    const started = Date.now();
    for (;;) {
      const got = await sdk.batchRuns.get(batch.id);
      keys(got, BATCH);
      if (got.status === "PROCESSED") break;
      expect(got).toEqual({ ...batch, status: "PROCESSING" });
      expect(Date.now() - started).toBeLessThan(30_000);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const { data } = await sdk.parseRuns.list({ batchId: batch.id });
    for (const r of data) checkRun(r, "PROCESSED", true);
    expect(data.map((r) => [r.file.name, r.file.type, r.batchId, r.metadata])).toEqual([
      ["raw_text.txt", "TXT", batch.id, { customer: "acme" }], ["batch-doc.pdf", "PDF", batch.id, null]]);
    const text = await sdk.parseRuns.retrieve(data[0].id);
    checkRun(text);
    expect(text.batchId).toBe(batch.id);
    expect(shape(checkOutput(text.output!))).toEqual(TEXT_BLOCKS);
    const bySource = await sdk.parseRuns.list({ source: "BATCH_PARSER_RUN", maxPageSize: 100 });
    expect(bySource.data.map((r) => r.id)).toEqual(data.map((r) => r.id));
    expect((await sdk.parseRuns.list({ batchId: "bpr_missing" })).data).toEqual([]);
    await expect(sdk.batchRuns.get("bpr_missing")).rejects.toBeInstanceOf(Extend.NotFoundError);
  }, 40_000);
});
