// The current API's classify and split families through the official TypeScript SDK (extend-ai, unmodified):
// /classify_runs, /split_runs, the sync POST /classify and POST /split, /classifiers, /splitters and their versions.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { Extend, ExtendClient } from "extend-ai";

const MOCK = process.env.EXTEND_MOCK_URL ?? "http://127.0.0.1:8080";
const FAST = { initialDelayMs: 100, maxDelayMs: 200, jitterFraction: 0, maxWaitMs: 30_000 };
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$/;
const INVOICE_TEXT = "INVOICE #12345\nBill to: ACME Corp\nTotal due: $1,250.00";
const STATEMENT_URL = "https://files.example.com/March-Bank-Statement.pdf";

async function mock(method: string, path: string, body?: unknown) {
  const init = { method, headers: { "content-type": "application/json" }, body: body && JSON.stringify(body) };
  const res = await fetch(`${MOCK}/_mock${path}`, init);
  if (!res.ok) throw new Error(`${method} /_mock${path}: ${res.status} ${await res.text()}`);
}

// The seed's CLASSIFY and SPLITTER runs of conftest.py (exr_2, exr_3) in ws_a.
const seedRun = (i: number, status: string, processorId: string, type: string, fileName: string, at: string) => ({
  id: `exr_${i}`, workspaceId: "ws_a", status, processorId, processorName: `Processor ${processorId}`,
  processorVersionId: `exv_${processorId}`, source: "API", fileName, createdAt: at, updatedAt: at, type,
});
const SEED = {
  organizations: [{ id: "org_a", name: "A", workspaces: [{ id: "ws_a", name: "A" }] }],
  apiKeys: [{ token: "key_a", name: "a", scope: "workspace", workspaceId: "ws_a" }],
  processorRuns: [
    seedRun(2, "FAILED", "ex_cls", "CLASSIFY", "W-2 2023.pdf", "2024-03-01T02:00:00Z"),
    seedRun(3, "PENDING", "ex_split", "SPLITTER", "loan packet.PDF", "2024-03-01T03:00:00Z"),
  ],
};

const client = (token = "key_a") => new ExtendClient({ token, baseUrl: MOCK });
const KINDS = [["invoice", "An invoice or bill"], ["bank_statement", "A bank account statement"], ["other", "Anything else"]];
const CLASSIFY: Extend.ClassifyConfig = { classifications: KINDS.map(([k, d]) => ({ id: k, type: k, description: d })) };
// Ids unlike types, so that a split's `type` and `classificationId` are told apart.
const SPLIT: Extend.SplitConfig = {
  splitClassifications: [
    { id: "inv", type: "invoice", description: "An invoice", identifierKey: "Extract the invoice number" },
    { id: "misc", type: "other", description: "Any other pages" },
  ],
};

/** The TypeScript SDK does not validate answers: every key declared, every required one there, at each level. */
function keys(value: object, required: string[], optional: string[] = []) {
  const present = Object.keys(value);
  for (const key of present) expect([...required, ...optional], `undeclared ${key}`).toContain(key);
  for (const key of required) expect(present, `missing ${key}`).toContain(key);
}
const RUN = ["object", "id", "status", "failureReason", "failureMessage", "metadata", "reviewed", "edited", "file",
  "parseRunId", "dashboardUrl", "usage", "createdAt", "updatedAt"];
const FILE = ["object", "id", "name", "type", "parentFileId", "metadata", "createdAt", "updatedAt"];
const VERSION = ["object", "id", "description", "version", "createdAt", "createdBy"];
const OWNER = ["object", "id", "name", "createdAt", "updatedAt"];
const CONFIG = ["baseProcessor", "baseVersion", "advancedOptions", "parseConfig"];

type Family = "classify" | "split";
const F = {
  classify: { owner: "classifier", ownerId: "classifierId", list: "classifications", rules: "classificationRules", run: "classify_run", prefix: /^clr_/ },
  split: { owner: "splitter", ownerId: "splitterId", list: "splitClassifications", rules: "splitRules", run: "split_run", prefix: /^splr_/ },
} as const;

function checkConfig(family: Family, config: Record<string, unknown>) {
  keys(config, [F[family].list], [...CONFIG, F[family].rules]);
  for (const c of config[F[family].list] as object[]) keys(c, ["id", "type", "description"], family === "split" ? ["identifierKey"] : []);
}
function checkVersion(family: Family, version: Record<string, unknown>, summary = false) {
  keys(version, [...VERSION, F[family].ownerId, ...(summary ? [] : ["config"])]);
  expect(version.object).toBe(`${F[family].owner}_version`);
  expect(version.createdAt).toMatch(RFC3339);
  if (!summary) checkConfig(family, version.config as Record<string, unknown>);
}
function checkOwner(family: Family, owner: Record<string, unknown>, summary = false) {
  keys(owner, [...OWNER, ...(summary ? [] : ["draftVersion"])]);
  expect(owner.object).toBe(F[family].owner);
  if (!summary) checkVersion(family, owner.draftVersion as Record<string, unknown>);
}
function checkRun(family: Family, run: Record<string, any>, summary = false) {
  const { owner } = F[family];
  keys(run, [...RUN, owner, `${owner}Version`, ...(summary ? [] : ["output", "initialOutput", "reviewedOutput", "config"])]);
  expect(run.object).toBe(F[family].run);
  expect(run.id).toMatch(/^(exr_|clr_|splr_)/);
  expect(run.createdAt).toMatch(RFC3339);
  if (run.file) keys(run.file, FILE);
  if (run[owner]) checkOwner(family, run[owner], true);
  if (run[`${owner}Version`]) checkVersion(family, run[`${owner}Version`], true);
  if (summary) return;
  checkConfig(family, run.config);
  if (run.status !== "PROCESSED") return expect(run.output).toBeNull();
  if (family === "classify") {
    keys(run.output, ["id", "type", "confidence", "insights"]);
    for (const insight of run.output.insights) keys(insight, ["type", "content"]);
  } else {
    keys(run.output, ["splits"], ["isExternal"]);
    for (const s of run.output.splits) keys(s, ["type", "observation", "identifier", "startPage", "endPage", "classificationId", "id", "fileId"], ["name"]);
  }
}

function checkClassified(run: Extend.ClassifyRun, kind: string) {
  checkRun("classify", run as any);
  const { id, type, confidence, insights } = run.output!;
  expect([run.status, id, type, insights.map((i) => i.type)]).toEqual(["PROCESSED", kind, kind, ["reasoning"]]);
  expect(confidence >= 0 && confidence <= 1).toBe(true);
}

function checkSplits(run: Extend.SplitRun, fileId: string, pages: number, config = SPLIT) {
  checkRun("split", run as any);
  expect(run.status).toBe("PROCESSED");
  const byId = new Map(config.splitClassifications.map((c) => [c.id, c]));
  let next = 1;
  for (const s of run.output!.splits) {
    expect(s.startPage).toBe(next);
    expect(s.endPage).toBeGreaterThanOrEqual(s.startPage);
    next = s.endPage + 1;
    expect(s.id).toMatch(/^splt_/);
    expect(s.fileId).toBe(fileId);
    expect(s.type).toBe(byId.get(s.classificationId)!.type);
    expect(typeof s.identifier).toBe("string");
    expect(s.identifier !== "").toBe(byId.get(s.classificationId)!.identifierKey !== undefined);
  }
  expect(next).toBe(pages + 1);
}

const pdf = (pages: number) =>
  "%PDF-1.4\n1 0 obj << /Type /Pages >>\n" + Array.from({ length: pages }, (_, i) => `${i + 2} 0 obj << /Type /Page >>\n`).join("");

async function waitDone(get: () => Promise<{ status: string }>) {
  const started = Date.now();
  for (;;) {
    const run = await get();
    if (run.status !== "PROCESSING" && run.status !== "PENDING") return run;
    expect(Date.now() - started).toBeLessThan(30_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("the classify and split families", () => {
  beforeEach(() => mock("PUT", "/fixtures", SEED));
  afterEach(() => mock("POST", "/reset"));

  test("classifiers and splitters, their versions and clones", async () => {
    const sdk = client();
    for (const family of ["classify", "split"] as const) {
      const [owners, versions, config] = family === "classify"
        ? [sdk.classifiers as any, sdk.classifierVersions as any, CLASSIFY as any]
        : [sdk.splitters as any, sdk.splitterVersions as any, SPLIT as any];
      const list = F[family].list;
      const created = await owners.create({ name: "Docs", config });
      checkOwner(family, created);
      expect(created.id).toMatch(family === "classify" ? /^cl_/ : /^spl_/);
      expect(created.draftVersion.config).toEqual(config);
      expect(await owners.retrieve(created.id)).toEqual(created);
      const updated = await owners.update(created.id, { name: "Docs v2", config: { [list]: config[list].slice(0, 1) } });
      checkOwner(family, updated);
      expect([updated.id, updated.name]).toEqual([created.id, "Docs v2"]);
      expect(updated.draftVersion.config[list].map((c: { id: string }) => c.id)).toEqual([config[list][0].id]);

      const v1 = await versions.create(created.id, { releaseType: "major", description: "first" });
      checkVersion(family, v1);
      expect([v1.version, v1.description, v1[F[family].ownerId]]).toEqual(["1.0", "first", created.id]);
      const v11 = await versions.create(created.id, { releaseType: "minor", config });
      expect(v11.version).toBe("1.1");
      expect(v11.config).toEqual(config);
      const listed = await versions.list(created.id);
      for (const v of listed.data) checkVersion(family, v, true);
      expect(listed.data.map((v: { version: string }) => v.version)).toEqual(["draft", "1.1", "1.0"]);
      expect(await versions.retrieve(created.id, v1.id)).toEqual(v1);

      const clone = await owners.create({ name: "Copy", [family === "classify" ? "cloneClassifierId" : "cloneSplitterId"]: created.id });
      checkOwner(family, clone);
      expect(clone.id).not.toBe(created.id);
      expect(clone.draftVersion.config).toEqual(updated.draftVersion.config);
      const all = await owners.list();
      for (const o of all.data) checkOwner(family, o, true);
      const seeded = family === "classify" ? "ex_cls" : "ex_split";
      expect(all.data.map((o: { id: string }) => o.id).sort()).toEqual([seeded, created.id, clone.id].sort());
      await expect(owners.retrieve(family === "classify" ? "ex_split" : "ex_cls")).rejects.toBeInstanceOf(Extend.NotFoundError);
    }
  }, 40_000);

  test("classify: createAndPoll with a classifier, inline by URL, and sync", async () => {
    const sdk = client();
    const classifier = await sdk.classifiers.create({ name: "Docs", config: CLASSIFY });
    const run = await sdk.classifyRuns.createAndPoll({ classifier: { id: classifier.id }, file: { text: INVOICE_TEXT } }, FAST);
    checkClassified(run, "invoice");
    expect(run.id).toMatch(/^clr_/);
    expect([run.classifier?.id, run.classifierVersion?.version]).toEqual([classifier.id, "draft"]);
    expect(await sdk.classifyRuns.retrieve(run.id)).toEqual(run);
    const inline = await sdk.classifyRuns.createAndPoll({ config: CLASSIFY, file: { url: STATEMENT_URL } }, FAST);
    checkClassified(inline, "bank_statement");
    expect([inline.classifier, inline.classifierVersion]).toEqual([null, null]);
    expect(inline.config).toEqual(CLASSIFY);
    checkClassified(await sdk.classify({ classifier: { id: classifier.id }, file: { url: STATEMENT_URL } }), "bank_statement");
    checkClassified(await sdk.classify({ config: CLASSIFY, file: { text: INVOICE_TEXT } }), "invoice");
  }, 40_000);

  for (const family of ["classify", "split"] as const) {
    const setup = async (sdk: ExtendClient, name: string) => family === "classify"
      ? { runs: sdk.classifyRuns as any, ref: (await sdk.classifiers.create({ name, config: CLASSIFY })).id, file: (n: string) => ({ text: `INVOICE ${n}` }) }
      : { runs: sdk.splitRuns as any, ref: (await sdk.splitters.create({ name, config: SPLIT })).id, file: (n: string) => ({ url: `https://files.example.com/${n}.pdf` }) };
    const owner = F[family].owner;

    test(`${family} runs: the list filters by ${owner} and pages walk`, async () => {
      const sdk = client();
      const { runs, ref, file } = await setup(sdk, "Listed");
      const other = await setup(sdk, "Other");
      const mine: string[] = [];
      for (const n of [0, 1, 2]) mine.push((await runs.create({ [owner]: { id: ref }, file: file(`doc-${n}`) })).id);
      const theirs = (await runs.create({ [owner]: { id: other.ref }, file: file("theirs") })).id;
      for (const id of [...mine, theirs]) await waitDone(() => runs.retrieve(id));
      const filtered = await runs.list({ [F[family].ownerId]: ref, maxPageSize: 100 });
      expect(filtered.object).toBe("list");
      for (const r of filtered.data) checkRun(family, r, true);
      expect(filtered.data.map((r: { id: string }) => r.id).sort()).toEqual([...mine].sort());
      const all = (await runs.list({ maxPageSize: 100 })).data.map((r: { id: string }) => r.id);
      expect([...all].sort()).toEqual([...mine, theirs, family === "classify" ? "exr_2" : "exr_3"].sort());
      const walked: string[] = [];
      let nextPageToken: string | undefined;
      do {
        const page = await runs.list({ maxPageSize: 1, nextPageToken });
        expect(page.data.length).toBeLessThanOrEqual(1);
        walked.push(...page.data.map((r: { id: string }) => r.id));
        nextPageToken = page.nextPageToken ?? undefined;
      } while (nextPageToken);
      expect(walked).toEqual(all);
    }, 40_000);

    test(`${family} runs: cancel a held run, delete, then retrieve is a 404`, async () => {
      const sdk = client();
      const { runs, ref, file } = await setup(sdk, "Held");
      const created = await runs.create({ [owner]: { id: ref }, file: file("slow __hold__") });
      expect(created.id).toMatch(F[family].prefix);
      expect((await runs.retrieve(created.id)).status).toBe("PROCESSING");
      const cancelled = await runs.cancel(created.id);
      checkRun(family, cancelled);
      expect([cancelled.id, cancelled.status]).toEqual([created.id, "CANCELLED"]);
      expect(await runs.delete(created.id)).toEqual({ id: created.id });
      const missing = await runs.retrieve(created.id).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(Extend.NotFoundError);
      expect(missing.statusCode).toBe(404);
      const seeded = await runs.retrieve(family === "classify" ? "exr_2" : "exr_3");
      checkRun(family, seeded);
      expect(seeded[owner].id).toBe(family === "classify" ? "ex_cls" : "ex_split");
      await expect(runs.retrieve(family === "classify" ? "exr_3" : "exr_2")).rejects.toBeInstanceOf(Extend.NotFoundError);
    }, 40_000);
  }

  test("split an uploaded PDF: createAndPoll, sync, and text refused", async () => {
    const sdk = client();
    const pages = 5;
    const upload = await sdk.files.upload(new File([pdf(pages)], "packet.pdf", { type: "application/pdf" }), {});
    expect(upload.metadata.pageCount).toBe(pages);
    const splitter = await sdk.splitters.create({ name: "Packets", config: SPLIT });
    const run = await sdk.splitRuns.createAndPoll({ splitter: { id: splitter.id }, file: { id: upload.id } }, FAST);
    expect(run.id).toMatch(/^splr_/);
    expect([run.splitter?.id, run.file?.id]).toEqual([splitter.id, upload.id]);
    checkSplits(run, upload.id, pages);
    expect(await sdk.splitRuns.retrieve(run.id)).toEqual(run);
    for (const only of SPLIT.splitClassifications) {
      const config = { splitClassifications: [only] };
      const sync = await sdk.split({ config, file: { id: upload.id } });
      expect(sync.splitter).toBeNull();
      expect(new Set(sync.output!.splits.map((s) => s.classificationId))).toEqual(new Set([only.id]));
      checkSplits(sync, upload.id, pages, config);
    }
    const notes = await sdk.files.upload(new File(["Invoice number: INV-0042\nTotal: $5\n"], "notes.txt", { type: "text/plain" }), {});
    const fromText = await sdk.split({ config: { splitClassifications: SPLIT.splitClassifications.slice(0, 1) }, file: { id: notes.id } });
    expect(fromText.output!.splits.map((s) => [s.startPage, s.endPage, s.classificationId, s.identifier])).toEqual([[1, 1, "inv", "INV-0042"]]);
    const refused = await sdk.split({ splitter: { id: splitter.id }, file: { text: INVOICE_TEXT } as never }).catch((e) => e);
    expect(refused).toBeInstanceOf(Extend.BadRequestError);
    expect(refused.statusCode).toBe(400);
  }, 40_000);

  test("the legacy view agrees", async () => {
    const sdk = client();
    const classified = await sdk.classify({ config: CLASSIFY, file: { url: STATEMENT_URL } });
    const upload = await sdk.files.upload(new File([pdf(2)], "two.pdf", { type: "application/pdf" }), {});
    const split = await sdk.split({ config: SPLIT, file: { id: upload.id } });
    for (const [run, type] of [[classified, "CLASSIFY"], [split, "SPLITTER"]] as const) {
      const { processorRun } = await sdk.processorRun.get(run.id);
      expect([processorRun.id, processorRun.type, processorRun.status]).toEqual([run.id, type, "PROCESSED"]);
      expect(processorRun.output).toEqual(run.output);
      // The legacy config's classifications are the SDK's LegacyClassification: {id, type, description}.
      const legacyConfig = processorRun.config as { classifications?: object[]; splitClassifications?: object[] };
      for (const c of legacyConfig.classifications ?? legacyConfig.splitClassifications!) keys(c, ["id", "type", "description"]);
    }
  }, 40_000);
});
