// A Vitest suite that uses extend-mock: seed -> exercise -> assert on the journal -> reset.
// Run it against a server: EXTEND_MOCK_URL=http://127.0.0.1:8080 npx vitest run
import { afterEach, beforeEach, expect, test } from "vitest";
import { ExtendClient } from "extend-ai";

const MOCK = process.env.EXTEND_MOCK_URL ?? "http://127.0.0.1:8080";

async function mock(method: string, path: string, body?: unknown) {
  const res = await fetch(`${MOCK}/_mock${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} /_mock${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** The code under test: every failed run on an invoice, oldest first, page by page. */
async function failedInvoiceRunIds(client: ExtendClient): Promise<string[]> {
  const ids: string[] = [];
  let nextPageToken: string | undefined;
  do {
    const page = await client.processorRun.list({
      status: "FAILED", fileNameContains: "invoice", sortBy: "createdAt", sortDir: "asc",
      maxPageSize: 5, nextPageToken,
    });
    ids.push(...page.processorRuns.map((run) => run.id));
    nextPageToken = page.nextPageToken;
  } while (nextPageToken);
  return ids;
}

const run = (i: number, status: string, fileName: string) => ({
  id: `exr_test_${String(i).padStart(2, "0")}`, workspaceId: "ws_test", status,
  processorId: "ex_invoices", processorName: "Invoice Extractor",
  processorVersionId: "exv_invoices_1", type: "EXTRACT", source: "API", fileName,
  createdAt: `2024-05-01T10:${String(i).padStart(2, "0")}:00Z`,
  updatedAt: `2024-05-01T11:${String(i).padStart(2, "0")}:00Z`,
});

beforeEach(async () => {
  // Seed: replace the whole state with exactly what this test needs.
  await mock("PUT", "/fixtures", {
    organizations: [{ id: "org_test", name: "Test", workspaces: [{ id: "ws_test", name: "Test" }] }],
    apiKeys: [{ token: "sk_test_suite", name: "suite", scope: "workspace", workspaceId: "ws_test" }],
    processorRuns: Array.from({ length: 16 }, (_, i) =>
      run(i, i % 2 ? "FAILED" : "PROCESSED", i < 14 ? `Invoice_${i}.pdf` : "receipt.png")),
  });
  await mock("DELETE", "/requests");
});

afterEach(async () => {
  // Reset: leave the server as the next suite expects to find it.
  await mock("DELETE", "/faults");
  await mock("POST", "/reset");
});

test("collects every failed invoice across pages", async () => {
  const client = new ExtendClient({ token: "sk_test_suite", baseUrl: MOCK });

  expect(await failedInvoiceRunIds(client)).toEqual(
    [1, 3, 5, 7, 9, 11, 13].map((i) => `exr_test_${String(i).padStart(2, "0")}`));

  const journal = await mock("GET", "/requests?path=/processor_runs");
  expect(journal.requests.map((e: { status: number }) => e.status)).toEqual([200, 200]);
  expect(journal.requests[1].query).toContain("nextPageToken=");
  expect(journal.requests.every((e: { keyName: string }) => e.keyName === "suite")).toBe(true);
});

test("retries through a rate limit", async () => {
  await mock("POST", "/faults", { path: "/processor_runs", status: 429 });
  const client = new ExtendClient({ token: "sk_test_suite", baseUrl: MOCK });

  expect(await failedInvoiceRunIds(client)).toHaveLength(7);

  const journal = await mock("GET", "/requests");
  // The SDK honoured Retry-After and tried again.
  expect(journal.requests.map((e: { status: number }) => e.status)).toEqual([429, 200, 200]);
}, 20_000);
