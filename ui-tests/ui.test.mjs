// The demo page at /_mock/ui, driven in headless Chromium (Debian's
// `chromium`, through playwright-core). Each test starts its own server on
// 127.0.0.1:0 from the release build, as a user would run it.
//
//   EXTEND_MOCK_BIN=target/release/extend-mock node --test ui.test.mjs
//
// Screenshots for docs/demo-page.md are written to docs/screenshots/.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = process.env.EXTEND_MOCK_BIN ?? join(ROOT, "target", "release", "extend-mock");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = join(ROOT, "docs", "screenshots");
const KEY = "sk_test_acme";

/** Starts extend-mock with `args`; resolves with its base URL once it listens. */
function server(...args) {
  const child = spawn(BIN, ["--port", "0", "--log-level", "warn", ...args], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const found = out.match(/listening on (http:\/\/\S+)/);
      if (found) resolve({ url: found[1], stop: () => child.kill("SIGTERM") });
    });
    child.on("exit", (code) => reject(new Error(`extend-mock exited (${code}) before listening:\n${out}`)));
  });
}

let browser;
before(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  mkdirSync(SHOTS, { recursive: true });
});
after(async () => browser?.close());

/** A page of a 1400×900 window, every request it makes recorded. */
async function open(base) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto(`${base}/_mock/ui`);
  return { page, requests, errors, close: () => context.close() };
}

const runRows = (page) => page.locator("#run-table tbody tr[tabindex]");

test("loads, lists the runs, filters and sorts, pages, opens a run", async () => {
  const mock = await server();
  const { page, requests, errors, close } = await open(mock.url);
  try {
    await runRows(page).first().waitFor();
    assert.equal(await runRows(page).count(), 20);
    assert.match(await page.locator("#key").innerText(), /acme-workspace \(ws_acme\)/);
    // Every column fits at 1400 px: no cell of a run is cut.
    const cut = await page.$$eval("#run-table tbody td", (cells) =>
      cells.filter((td) => td.scrollWidth > td.clientWidth + 1).map((td) => td.textContent),
    );
    assert.deepEqual(cut, []);
    await page.screenshot({ path: join(SHOTS, "ui-runs.png") });

    await page.selectOption("#f-status", "FAILED");
    await page.waitForFunction(() =>
      [...document.querySelectorAll("#run-table tbody .badge")].every((b) => b.textContent === "FAILED"),
    );
    await page.selectOption("#f-status", "");
    await page.fill("#f-name", "invoice");
    await page.waitForFunction(() =>
      [...document.querySelectorAll("#run-table tbody tr[tabindex] td:nth-child(4)")].every((td) =>
        td.textContent.toLowerCase().includes("invoice"),
      ),
    );
    await page.fill("#f-name", "");
    // The unfiltered list is back (the filter applies after a pause in typing,
    // and a filtered page may have 20 rows too): only then is "Next" its.
    await page.waitForFunction(() => {
      const files = [...document.querySelectorAll("#run-table tbody tr[tabindex] td:nth-child(4)")];
      return files.length === 20 && files.some((td) => !td.textContent.toLowerCase().includes("invoice"));
    });
    await page.click("#next");
    await page.waitForFunction(() => document.querySelector("#page-no").textContent === "Page 2");
    const second = await runRows(page).first().locator("td").nth(1).innerText();
    await page.click("#prev");
    await page.waitForFunction(() => document.querySelector("#page-no").textContent === "Page 1");
    assert.notEqual(await runRows(page).first().locator("td").nth(1).innerText(), second);

    // The keyboard opens a run, as a click does.
    await runRows(page).first().focus();
    await page.keyboard.press("Enter");
    await page.locator("#detail-body:not([hidden])").waitFor();
    await page.locator("#detail-tree h3", { hasText: "Config" }).waitFor();
    // What it found, readable beside the tree: the newest run of the
    // built-in fixtures is a processed bank statement, its fields a table.
    await page.locator("#detail-found h3", { hasText: "Found" }).waitFor();
    const fields = Object.fromEntries(
      await page.$$eval("#found-table tbody tr", (rows) => rows.map((r) => [r.cells[0].textContent, r.cells[2].textContent])),
    );
    // Each leaf with its own confidence, a nested one too.
    assert.match(fields["account_holder"], /^\d+ %$/, JSON.stringify(fields));
    assert.match(fields["transactions[0].amount"], /^\d+ %$/, JSON.stringify(fields));
    await page.screenshot({ path: join(SHOTS, "ui-run.png") });

    const text = await page.locator("body").innerText();
    assert.ok(!text.includes("sk_test_"), "the page shows a bearer token");
    const origin = new URL(mock.url).origin;
    assert.deepEqual(requests.filter((u) => !u.startsWith(origin)), [], "a request left the server's origin");
    assert.deepEqual(errors, []);
  } finally {
    await close();
    mock.stop();
  }
});

test("creates a run and watches it finish; finishes a held one", async () => {
  const mock = await server("--processing-time", "2s");
  const { page, errors, close } = await open(mock.url);
  try {
    await page.locator("#c-processor option").first().waitFor({ state: "attached" });
    await page.fill("#c-file", "Invoice_7.pdf");
    await page.click("#create button[type=submit]");
    await page.locator("#detail-facts .badge", { hasText: "PROCESSING" }).waitFor();
    await page.locator("#detail-facts .badge", { hasText: "PROCESSED" }).waitFor({ timeout: 15_000 });
    await page.locator("#detail-tree h3", { hasText: "Output" }).waitFor();

    await page.selectOption("#c-marker", "__hold__");
    await page.click("#create button[type=submit]");
    await page.locator("#detail-facts dd", { hasText: "__hold__" }).waitFor();
    await page.locator("#detail-facts .badge", { hasText: "PROCESSING" }).waitFor();
    assert.equal(await page.locator("#finish").isEnabled(), true);
    await page.click("#fail");
    await page.locator("#detail-facts .badge", { hasText: "FAILED" }).waitFor();
    assert.equal(await page.locator("#cancel").isDisabled(), true);
    assert.deepEqual(errors, []);
  } finally {
    await close();
    mock.stop();
  }
});

test("runs the built-in workflow, shows its steps, approves one in review and rejects another", async () => {
  const mock = await server("--processing-time", "300ms");
  const { page, errors, close } = await open(mock.url);
  const detail = page.locator("#workflow-detail");
  try {
    await page.locator("#w-workflow option", { hasText: "Invoice intake" }).waitFor({ state: "attached" });
    await page.fill("#w-text", "Invoice #1042 Total: $1,250.00");
    await page.click("#w-start button[type=submit]");
    await detail.locator(".badge", { hasText: "NEEDS_REVIEW" }).first().waitFor({ timeout: 15_000 });
    const steps = await page.locator("#step-table tbody tr td:nth-child(2)").allInnerTexts();
    assert.deepEqual(steps, ["PARSE", "CLASSIFY", "EXTRACT"]);
    assert.match(await page.locator("#step-table tbody tr:nth-child(2) td:nth-child(5)").innerText(), /^invoice \(\d+ %\)$/);
    await page.locator("#workflows").screenshot({ path: join(SHOTS, "ui-workflow-review.png") });
    await page.click("#w-approve");
    await detail.locator("dd .badge", { hasText: "PROCESSED" }).waitFor();
    await detail.locator("dd", { hasText: "reviewer@extend-mock.test" }).waitFor();

    await page.click("#w-start button[type=submit]");
    await detail.locator(".badge", { hasText: "NEEDS_REVIEW" }).first().waitFor({ timeout: 15_000 });
    await page.fill("#w-note", "Total does not match the PO");
    await page.click("#w-reject");
    await detail.locator("dd .badge", { hasText: "REJECTED" }).waitFor();
    await detail.locator("dd", { hasText: "Total does not match the PO" }).waitFor();
    assert.equal(await page.locator("#workflow-table tbody tr[tabindex]").count(), 2);
    assert.deepEqual(errors, []);
  } finally {
    await close();
    mock.stop();
  }
});

test("fills the built-in W-9 template, shows what it wrote, and the filled PDF downloads", async () => {
  const mock = await server("--processing-time", "300ms");
  const { page, errors, close } = await open(mock.url);
  const detail = page.locator("#edit-detail");
  try {
    await page.locator("#e-template option", { hasText: "W-9 Template" }).waitFor({ state: "attached" });
    await page.selectOption("#e-template", { label: "W-9 Template" });
    await page.fill("#e-instructions", "Name as Jane Doe. Check exempt payee. Leave all other fields blank.");
    await page.click("#e-start button[type=submit]");
    await detail.locator("dd .badge", { hasText: "PROCESSED" }).waitFor({ timeout: 15_000 });
    const written = await page.locator("#filled-table tbody tr").allInnerTexts();
    assert.deepEqual(written.map((r) => r.split("\t")), [["exempt_payee", "true"], ["name", "Jane Doe"]]);
    const link = await page.locator("#e-download").getAttribute("href");
    const pdf = await fetch(link);
    assert.equal(pdf.status, 200);
    assert.equal((await pdf.text()).slice(0, 5), "%PDF-");
    assert.equal(await page.locator("#edit-table tbody tr[tabindex]").count(), 1);
    await page.locator("#forms").screenshot({ path: join(SHOTS, "ui-forms.png") });
    assert.deepEqual(errors, []);
  } finally {
    await close();
    mock.stop();
  }
});

test("an injected 429 shows in the requests, with the request's answer", async () => {
  const mock = await server();
  const { page, errors, close } = await open(mock.url);
  try {
    await runRows(page).first().waitFor();
    await page.selectOption("#x-kind", "429");
    await page.fill("#x-path", "/processor_runs");
    await page.click("#fault button[type=submit]");
    await page.locator("#faults", { hasText: "429 on /processor_runs: 1 left" }).waitFor();

    // The app under demo: its first list meets the fault, its retry does not.
    const headers = { authorization: `Bearer ${KEY}`, "x-extend-api-version": "2026-02-09" };
    assert.equal((await fetch(`${mock.url}/processor_runs`, { headers })).status, 429);
    assert.equal((await fetch(`${mock.url}/processor_runs`, { headers })).status, 200);
    const limited = page.locator("#request-table tbody tr", { hasText: "429" });
    await limited.waitFor();
    // Only the app's two requests: the page's own polling is not journaled.
    assert.equal(await page.locator("#request-table tbody tr[tabindex]").count(), 2);
    await limited.click();
    await page.locator("#request-detail pre", { hasText: "RATE_LIMIT_EXCEEDED" }).waitFor();
    await page.screenshot({ path: join(SHOTS, "ui-requests.png"), fullPage: true });
    await page.selectOption("#r-status", "2");
    await page.waitForFunction(() => document.querySelectorAll("#request-table tbody tr[tabindex]").length === 1);
    await page.click("#clear-faults");
    assert.deepEqual(errors, []);
  } finally {
    await close();
    mock.stop();
  }
});

test("behind the admin token the page asks for it; without a control plane there is no page", async () => {
  const guarded = await server("--admin-token", "s3cret");
  const { page, close } = await open(guarded.url);
  try {
    await page.locator("#token-dialog[open]").waitFor();
    assert.equal(await runRows(page).count(), 0);
    await page.fill("#token-input", "s3cret");
    await page.click("#token-form button");
    await runRows(page).first().waitFor();
    assert.ok(!(await page.locator("body").innerText()).includes("s3cret"));
  } finally {
    await close();
    guarded.stop();
  }
  const closed = await server("--no-control-plane");
  try {
    assert.equal((await fetch(`${closed.url}/_mock/ui`)).status, 404);
  } finally {
    closed.stop();
  }
});

test("switches sandbox, and the page's files are small", async () => {
  const mock = await server();
  const { page, close } = await open(mock.url);
  try {
    await runRows(page).first().waitFor();
    const made = await fetch(`${mock.url}/_mock/sandboxes?name=demo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        organizations: [{ id: "org_d", name: "D", workspaces: [{ id: "ws_d", name: "Demo" }] }],
        apiKeys: [{ token: "sk_d", name: "demo-key", scope: "workspace", workspaceId: "ws_d" }],
      }),
    });
    assert.equal(made.status, 201);
    await page.reload();
    await page.locator("#sandbox option[value=demo]").waitFor({ state: "attached" });
    await page.selectOption("#sandbox", "demo");
    await page.locator("#run-table tbody td", { hasText: "No runs match." }).waitFor();
    assert.match(await page.locator("#key").innerText(), /demo-key \(ws_d\)/);

    let bytes = 0;
    for (const path of ["/_mock/ui", "/_mock/ui/app.js", "/_mock/ui/app.css"]) {
      const res = await fetch(`${mock.url}${path}`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-security-policy"), /connect-src 'self'/);
      bytes += (await res.arrayBuffer()).byteLength;
    }
    console.log(`the page's files: ${bytes} bytes`);
    assert.ok(bytes < 64 * 1024, `${bytes} bytes`);
  } finally {
    await close();
    mock.stop();
  }
});
