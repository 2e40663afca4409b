// The current-API TypeScript examples that docs/ quotes (examples/typescript/extract-invoice.ts,
// classify-and-split.ts, parse-document.ts, fill-form.ts) run as they are, against the server.
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeEach, expect, test } from "vitest";

const MOCK = process.env.EXTEND_MOCK_URL ?? "http://127.0.0.1:8080";
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

beforeEach(async () => {
  const res = await fetch(`${MOCK}/_mock/reset`, { method: "POST" });
  expect(res.ok).toBe(true);
});

test("the TypeScript extraction example runs", () => {
  const out = execFileSync("npx", ["tsx", "extract-invoice.ts"], {
    cwd: join(ROOT, "examples", "typescript"),
    env: { ...process.env, EXTEND_MOCK_URL: MOCK },
    encoding: "utf8",
  }).trim().split("\n");
  expect(out).toHaveLength(5);
  expect(out[0]).toMatch(/^run: exr_\S+ PROCESSED$/);
  expect(out[1]).toMatch(/^invoice: INV-\d+ \d{4}-\d{2}-\d{2} \S/);
  expect(out[2]).toMatch(/^total: \d+(\.\d+)? USD$/);
  expect(out[3]).toBe("sync: PROCESSED Invoices");
  expect(out[4]).toMatch(/^extract runs: \d+$/);
}, 60_000);

test("the TypeScript classify and split example runs", () => {
  const out = execFileSync("npx", ["tsx", "classify-and-split.ts"], {
    cwd: join(ROOT, "examples", "typescript"),
    env: { ...process.env, EXTEND_MOCK_URL: MOCK },
    encoding: "utf8",
  }).trim().split("\n");
  expect(out[0]).toMatch(/^classify: clr_\S+ PROCESSED invoice 0\.\d+$/);
  const splits = out.slice(1);
  expect(splits.length).toBeGreaterThan(0);
  let page = 1;
  for (const line of splits) {
    const [, start, end, kind, identifier] = line.split(" ");
    expect(Number(start)).toBe(page);
    expect(Number(end)).toBeGreaterThanOrEqual(page);
    page = Number(end) + 1;
    if (kind === "loan_application") expect(identifier).toMatch(/^LN-/);
    else expect([kind, identifier]).toEqual(["paystub", "-"]);
  }
}, 60_000);

test("the TypeScript parse example runs", () => {
  const out = execFileSync("npx", ["tsx", "parse-document.ts"], {
    cwd: join(ROOT, "examples", "typescript"),
    env: { ...process.env, EXTEND_MOCK_URL: MOCK },
    encoding: "utf8",
  }).trim().split("\n");
  const pages = out.slice(0, -2);
  expect(pages[0]).toBe("page 1: # Quarterly Report");
  pages.slice(1).forEach((line, i) => expect(line.startsWith(`page ${i + 2}: ## `)).toBe(true));
  expect(out.at(-2)).toMatch(/^run: pr_\S+ PROCESSED 1 chunk$/);
  expect(out.at(-1)).toBe("by link: 200 true");
}, 60_000);

test("the TypeScript form filling example runs", () => {
  const out = execFileSync("npx", ["tsx", "fill-form.ts"], {
    cwd: join(ROOT, "examples", "typescript"),
    env: { ...process.env, EXTEND_MOCK_URL: MOCK },
    encoding: "utf8",
  }).trim().split("\n");
  expect(out).toHaveLength(4);
  expect(out[0]).toMatch(/^run: edr_\S+ PROCESSED \{"full_name":"Jane Doe"\}$/);
  expect(out[1]).toMatch(/^edited file: file_\S+ %PDF-$/);
  expect(out[2]).toBe("fields: address business_name city_state_zip date exempt_payee name signature ssn tax_classification");
  expect(out[3]).toBe('template run: PROCESSED {"exempt_payee":true,"name":"Jane Doe"}');
}, 60_000);
