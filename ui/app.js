// The extend-mock demo page. Plain script, no dependencies: it talks to the
// server it came from through the API (with a workspace key of the chosen
// sandbox) and the control plane, and marks every request with
// `x-extend-mock-ui` (the key the server wrote into the page) so the journal
// shows only the code under demo.
// It polls (every POLL_MS, while the tab is visible): each view is one cheap
// request for a page the server computes, works through any proxy, and needs
// no server-side stream.
"use strict";

const POLL_MS = 1500;
// Which current-API family views a run of each type, and where it is read.
const FAMILIES = {
  EXTRACT: { object: "extract_run", path: "/extract_runs" },
  CLASSIFY: { object: "classify_run", path: "/classify_runs" },
  SPLITTER: { object: "split_run", path: "/split_runs" },
};
// Only a request carrying the key of the server that served this page (or,
// when the server has an admin token, that token) is the page's own; anything
// else is journaled, faulted and rate limited.
const UI_KEY = document.querySelector('meta[name="extend-mock-ui"]')?.content || "";
const VERSION = "2026-02-09";
const $ = (id) => document.getElementById(id);

const state = {
  sandbox: "default",
  keys: [], // workspace keys of the sandbox: {label, token, workspaceId}; tokens never shown
  key: null,
  admin: sessionStorage.getItem("extend-mock-admin") || "",
  tokens: [null], // page tokens: tokens[i] opens page i
  page: 0,
  nextToken: null,
  runs: [],
  selectedRun: null,
  selectedRequest: null,
  selectedWorkflowRun: null,
  selectedEditRun: null,
  // The file-name filter as applied (after a pause in typing): a poll in
  // between keeps the list it had, and paging with it.
  nameFilter: "",
  workflowRuns: [],
  busy: false,
  // A run's file name is not in the list's summary; it is read once from
  // the run's full object and kept (it never changes).
  fileNames: new Map(),
};

class Refused extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
  }
}

async function call(url, options, headers) {
  const init = { method: options.method || "GET", headers: { "x-extend-mock-ui": state.admin || UI_KEY, ...headers } };
  if (options.body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  const res = await fetch(url, init);
  const text = await res.text();
  const body = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Refused(res.status, body);
  return body;
}

/** The control plane of the chosen sandbox, with the admin token when one is set. */
async function control(path, options = {}) {
  const headers = { "x-extend-mock-sandbox": state.sandbox };
  if (state.admin) headers.authorization = `Bearer ${state.admin}`;
  try {
    return await call(`/_mock${path}`, options, headers);
  } catch (e) {
    if (e instanceof Refused && e.status === 401) askToken();
    throw e;
  }
}

/** The API, as the chosen workspace key. */
function api(path, options = {}) {
  if (!state.key) return Promise.reject(new Error("This sandbox has no workspace key"));
  return call(path, options, { authorization: `Bearer ${state.key.token}`, "x-extend-api-version": VERSION });
}

function say(text) {
  $("status").textContent = text;
}

function askToken() {
  const dialog = $("token-dialog");
  if (!dialog.open) dialog.showModal();
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child ?? "")));
  return node;
}

/** A time, short: `2024-05-19 10:56` in the viewer's zone. */
function when(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const two = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

function badge(text, kind) {
  return el("span", { class: `badge s-${kind}` }, text);
}

/** A focusable row that Enter or Space opens, as a click does. */
function row(cells, selected, open) {
  const tr = el("tr", { tabindex: "0", "aria-selected": String(selected) });
  for (const cell of cells) tr.append(el("td", {}, cell));
  tr.addEventListener("click", open);
  tr.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      open();
    }
  });
  return tr;
}

// --- sandboxes and keys -------------------------------------------------

async function loadSandboxes() {
  const { sandboxes } = await control("/sandboxes");
  const select = $("sandbox");
  select.replaceChildren(...sandboxes.map((s) => el("option", { value: s.sandbox }, s.sandbox)));
  if (!sandboxes.some((s) => s.sandbox === state.sandbox)) state.sandbox = "default";
  select.value = state.sandbox;
  const chosen = sandboxes.find((s) => s.sandbox === state.sandbox);
  state.keys = chosen.apiKeys
    .filter((k) => k.scope === "workspace")
    .map((k, i) => ({ label: `${k.name || `key ${i + 1}`} (${k.workspaceId})`, token: k.token, workspaceId: k.workspaceId }));
  const keys = $("key");
  keys.replaceChildren(...state.keys.map((k, i) => el("option", { value: String(i) }, k.label)));
  const previous = state.key ? state.keys.findIndex((k) => k.token === state.key.token) : -1;
  state.key = state.keys[Math.max(previous, 0)] || null;
  keys.value = String(Math.max(0, state.keys.indexOf(state.key)));
}

async function loadProcessors() {
  const select = $("c-processor");
  if (!state.key) return select.replaceChildren();
  const { processors } = await api("/processors?maxPageSize=100&sortBy=updatedAt");
  select.replaceChildren(...processors.map((p) => el("option", { value: p.id }, `${p.name} (${p.type})`)));
}

// --- runs ---------------------------------------------------------------

function runQuery() {
  const [sortBy, sortDir] = $("f-sort").value.split(":");
  const q = new URLSearchParams({ sortBy, sortDir, maxPageSize: $("f-size").value });
  if ($("f-status").value) q.set("status", $("f-status").value);
  if ($("f-type").value) q.set("processorType", $("f-type").value);
  if (state.nameFilter) q.set("fileNameContains", state.nameFilter);
  const token = state.tokens[state.page];
  if (token) q.set("nextPageToken", token);
  return q;
}

async function loadRuns() {
  const tbody = $("run-table").tBodies[0];
  if (!state.key) {
    tbody.replaceChildren(el("tr", {}, el("td", { colspan: "5" }, "This sandbox has no workspace key.")));
    return;
  }
  // What this load is for: a page or a filter changed while it was on its
  // way makes its answer stale, and it is dropped.
  const asked = runQuery().toString();
  const page = await api(`/processor_runs?${asked}`);
  if (asked !== runQuery().toString()) return;
  state.runs = page.processorRuns;
  state.nextToken = page.nextPageToken || null;
  const unknown = state.runs.filter((r) => !state.fileNames.has(r.id));
  await Promise.all(
    unknown.map(async (r) => {
      const { processorRun } = await api(`/processor_runs/${encodeURIComponent(r.id)}`);
      state.fileNames.set(r.id, (processorRun.files[0] && processorRun.files[0].name) || "—");
    }),
  );
  if (asked !== runQuery().toString()) return;
  tbody.replaceChildren(
    ...state.runs.map((r) =>
      row(
        [badge(r.status, r.status), r.id, r.processorName, state.fileNames.get(r.id) ?? "", when(r.updatedAt)],
        r.id === state.selectedRun,
        () => openRun(r.id),
      ),
    ),
  );
  if (state.runs.length === 0) tbody.append(el("tr", {}, el("td", { colspan: "5", class: "muted" }, "No runs match.")));
  $("page-no").textContent = `Page ${state.page + 1}`;
  $("prev").disabled = state.page === 0;
  $("next").disabled = !state.nextToken;
}

function restartPaging() {
  state.tokens = [null];
  state.page = 0;
  refresh();
}

// --- one run ------------------------------------------------------------

function tree(value, name) {
  if (value === null || typeof value !== "object") {
    return el("div", { class: "leaf" }, el("span", { class: "key" }, name === undefined ? "" : `${name}: `), JSON.stringify(value));
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  const label = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
  const details = el("details", {}, el("summary", {}, name === undefined ? label : `${name} ${label}`));
  details.open = entries.length <= 12;
  for (const [k, v] of entries) details.append(tree(v, k));
  return details;
}

/** The leaves of an extracted value as `[path, value]` rows, at most `max`. */
function leaves(value, path, rows, max) {
  if (rows.length >= max) return rows;
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value) ? value.map((v, i) => [`[${i}]`, v]) : Object.entries(value).map(([k, v]) => [path ? `.${k}` : k, v]);
    for (const [k, v] of entries) leaves(v, path + k, rows, max);
  } else {
    rows.push([path, value === null ? "—" : String(value)]);
  }
  return rows;
}

/** What the run found, readable: the fields as a table (with their
 * confidence), the classification with its confidence and reason, the
 * splits and their pages. Empty for a run with no output yet. */
function found(run) {
  const output = run.output;
  if (!output || typeof output !== "object") return [];
  const title = el("h3", {}, "Found");
  if (typeof output.type === "string" && output.confidence !== undefined) {
    const reason = (output.insights || []).map((i) => i.content).join(" ");
    return [title, el("p", { class: "found-class" }, `${output.type} · ${Math.round(output.confidence * 100)} % confidence`), el("p", { class: "muted" }, reason)];
  }
  if (Array.isArray(output.splits)) {
    const rows = output.splits.map((s) => el("tr", {}, el("td", {}, s.type), el("td", {}, s.startPage === s.endPage ? `p. ${s.startPage}` : `pp. ${s.startPage}–${s.endPage}`), el("td", {}, s.identifier || "")));
    return [title, el("table", { class: "table", id: "found-table" }, el("thead", {}, el("tr", {}, el("th", {}, "Split"), el("th", {}, "Pages"), el("th", {}, "Identifier"))), el("tbody", {}, ...rows))];
  }
  if (output.value && typeof output.value === "object") {
    const meta = output.metadata || {};
    const max = 60;
    const rows = leaves(output.value, "", [], max).map(([path, v]) => {
      const m = meta[path] || {};
      const confidence = m.ocrConfidence ?? m.logprobsConfidence;
      return el("tr", {}, el("td", {}, path), el("td", {}, v), el("td", {}, confidence === undefined ? "" : `${Math.round(confidence * 100)} %`));
    });
    return [title, el("table", { class: "table", id: "found-table" }, el("thead", {}, el("tr", {}, el("th", {}, "Field"), el("th", {}, "Value"), el("th", {}, "Confidence"))), el("tbody", {}, ...rows))];
  }
  return [];
}

async function openRun(id) {
  state.selectedRun = id;
  for (const tr of $("run-table").tBodies[0].rows) tr.setAttribute("aria-selected", String(tr.cells[1].textContent === id));
  await showRun();
}

async function showRun() {
  const id = state.selectedRun;
  if (!id) return;
  let run;
  try {
    ({ processorRun: run } = await api(`/processor_runs/${encodeURIComponent(id)}`));
  } catch (e) {
    if (e instanceof Refused && e.status === 404) {
      state.selectedRun = null;
      $("detail-body").hidden = true;
      $("detail-empty").hidden = false;
      $("detail-empty").textContent = `Run ${id} is gone.`;
      return;
    }
    throw e;
  }
  const summary = state.runs.find((r) => r.id === id) || {};
  // The current API's family of the run: one store, two views.
  const family = FAMILIES[run.type] || FAMILIES.EXTRACT;
  const facts = [
    ["Run", run.id],
    ["Status", badge(run.status, run.status)],
    ["Processor", `${run.processorName} (${run.type})`],
    ["Family", `${family.object}: GET ${family.path}/${run.id}`],
    ["File", (run.files && run.files[0] && run.files[0].name) || "—"],
    ["Created", summary.createdAt ? when(summary.createdAt) : "—"],
    ["Updated", summary.updatedAt ? when(summary.updatedAt) : "—"],
  ];
  if (run.failureReason) facts.push(["Failure", `${run.failureReason}: ${run.failureMessage}`]);
  $("detail-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  const running = run.status === "PROCESSING" || run.status === "PENDING";
  for (const b of ["finish", "fail", "cancel"]) $(b).disabled = !running;
  $("detail-found").replaceChildren(...found(run));
  const parts = [["Output", run.output], ["Config", run.config], ["Files", run.files], ["Metadata", run.metadata]];
  $("detail-tree").replaceChildren(
    ...parts.filter(([, v]) => v !== undefined).map(([name, v]) => el("div", { class: "tree" }, el("h3", {}, name), tree(v))),
  );
  $("detail-title").textContent = `Run ${run.id}`;
  $("detail-empty").hidden = true;
  $("detail-body").hidden = false;
}

async function act(work, done) {
  try {
    await work();
    say(done);
    await refresh();
  } catch (e) {
    say(`Refused: ${e.message}`);
  }
}

// --- workflow runs ------------------------------------------------------

async function loadWorkflows() {
  const select = $("w-workflow");
  const chosen = select.value;
  const { data } = state.key ? await api("/workflows?maxPageSize=50") : { data: [] };
  select.replaceChildren(...data.map((w) => el("option", { value: w.id }, w.name)));
  if (data.some((w) => w.id === chosen)) select.value = chosen;
  $("w-start").querySelector("button").disabled = data.length === 0;
}

async function loadWorkflowRuns() {
  const { data } = state.key ? await api("/workflow_runs?maxPageSize=20&sortBy=createdAt&sortDir=desc") : { data: [] };
  state.workflowRuns = data;
  const rows = data.map((r) =>
    row(
      [badge(r.status, r.status), r.id, r.workflow ? r.workflow.name : "—", when(r.updatedAt)],
      r.id === state.selectedWorkflowRun,
      () => openWorkflowRun(r.id),
    ),
  );
  if (rows.length === 0) rows.push(el("tr", {}, el("td", { colspan: "4", class: "muted" }, "No workflow runs yet.")));
  $("workflow-table").tBodies[0].replaceChildren(...rows);
}

async function openWorkflowRun(id) {
  state.selectedWorkflowRun = id;
  for (const tr of $("workflow-table").tBodies[0].rows) tr.setAttribute("aria-selected", String(tr.cells[1]?.textContent === id));
  await showWorkflowRun();
}

/** The run its step made, as `{family path, run}`. */
function stepTarget(step) {
  const result = step.result || {};
  for (const [key, path] of [["parseRun", "/parse_runs"], ["extractRun", "/extract_runs"], ["classifyRun", "/classify_runs"], ["splitRun", "/split_runs"]]) {
    if (result[key]) return { path, run: result[key] };
  }
  return null;
}

/** What a step found, in a line: the classification, the fields, the chunks. */
function stepFinding(step) {
  const target = stepTarget(step);
  const output = target && target.run.output;
  if (!output) return "—";
  if (output.type && output.confidence !== undefined) return `${output.type} (${Math.round(output.confidence * 100)} %)`;
  // The fields with one value each; lists and objects are in the tree below.
  if (output.value) return Object.entries(output.value).filter(([, v]) => v === null || typeof v !== "object").map(([k, v]) => `${k}: ${v}`).join(" · ");
  if (output.splits) return output.splits.map((s) => `${s.type} p.${s.startPage}–${s.endPage}`).join(" · ");
  if (output.chunks) return `${output.chunks.length} chunk(s)`;
  return "—";
}

async function showWorkflowRun() {
  const id = state.selectedWorkflowRun;
  if (!id) return;
  let run;
  try {
    run = await api(`/workflow_runs/${encodeURIComponent(id)}`);
  } catch (e) {
    if (e instanceof Refused && e.status === 404) {
      state.selectedWorkflowRun = null;
      $("workflow-detail").replaceChildren(el("p", { class: "muted" }, `Workflow run ${id} is gone.`));
      return;
    }
    throw e;
  }
  const facts = [
    ["Run", run.id],
    ["Status", badge(run.status, run.status)],
    ["Workflow", run.workflow ? `${run.workflow.name} (version ${run.workflowVersion.version})` : "—"],
    ["File", (run.files[0] && run.files[0].name) || "—"],
  ];
  if (run.failureReason) facts.push(["Failure", `${run.failureReason}: ${run.failureMessage}`]);
  if (run.reviewed) facts.push(["Reviewed", `${run.reviewedByUser}${run.rejectionNote ? `: ${run.rejectionNote}` : ""}`]);
  const steps = el("table", { class: "table", id: "step-table" },
    el("caption", { class: "sr-only" }, "The run's steps, in the order they ran"),
    el("thead", {}, el("tr", {}, ...["Step", "Type", "Status", "Run", "Found"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, ...run.stepRuns.map((s) => {
      const target = stepTarget(s);
      return el("tr", {}, el("td", {}, s.step.name), el("td", {}, s.stepType), el("td", {}, badge(s.status, s.status)),
        el("td", { class: "id", title: target ? target.run.id : "" }, target ? target.run.id : "—"), el("td", {}, stepFinding(s)));
    })),
  );
  const children = [el("h3", {}, `Workflow run ${run.id}`), el("dl", { class: "facts" }, ...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])), steps];
  if (run.status === "NEEDS_REVIEW") {
    const note = el("input", { id: "w-note", placeholder: "Rejection note", "aria-label": "Rejection note" });
    const approve = el("button", { type: "button", id: "w-approve" }, "Approve");
    const reject = el("button", { type: "button", id: "w-reject", class: "danger" }, "Reject");
    approve.addEventListener("click", () =>
      act(() => control(`/workflow_runs/${run.id}/approve`, { method: "POST" }), "Approved the workflow run"),
    );
    reject.addEventListener("click", () =>
      act(() => control(`/workflow_runs/${run.id}/reject`, { method: "POST", body: { note: note.value || "Rejected on the demo page" } }), "Rejected the workflow run"),
    );
    children.push(el("div", { class: "row" }, approve, note, reject));
  }
  if (run.status === "PROCESSING" || run.status === "PENDING") {
    const cancel = el("button", { type: "button", id: "w-cancel", class: "danger" }, "Cancel workflow run");
    cancel.addEventListener("click", () => act(() => api(`/workflow_runs/${run.id}/cancel`, { method: "POST" }), "Cancelled the workflow run"));
    children.push(el("div", { class: "row" }, cancel));
  }
  children.push(el("div", { class: "tree" }, el("h3", {}, "Workflow run"), tree(run)));
  $("workflow-detail").replaceChildren(...children);
}

// --- filled forms (edit runs) --------------------------------------------

async function loadTemplates() {
  const select = $("e-template");
  const chosen = select.value;
  const { data } = state.key ? await api("/edit_templates?maxPageSize=50") : { data: [] };
  select.replaceChildren(...data.map((t) => el("option", { value: t.id }, t.name)));
  if (data.some((t) => t.id === chosen)) select.value = chosen;
  $("e-start").querySelector("button").disabled = data.length === 0;
}

async function loadEditRuns() {
  const { data } = state.key ? await api("/edit_runs?maxPageSize=10") : { data: [] };
  const rows = data.map((r) =>
    row([badge(r.status, r.status), r.id, (r.file && r.file.name) || "—", when(r.updatedAt)], r.id === state.selectedEditRun, () => openEditRun(r.id)),
  );
  if (rows.length === 0) rows.push(el("tr", {}, el("td", { colspan: "4", class: "muted" }, "No edit runs yet.")));
  $("edit-table").tBodies[0].replaceChildren(...rows);
}

async function openEditRun(id) {
  state.selectedEditRun = id;
  for (const tr of $("edit-table").tBodies[0].rows) tr.setAttribute("aria-selected", String(tr.cells[1]?.textContent === id));
  await showEditRun();
}

async function showEditRun() {
  const id = state.selectedEditRun;
  if (!id) return;
  let run;
  try {
    run = await api(`/edit_runs/${encodeURIComponent(id)}`);
  } catch (e) {
    if (e instanceof Refused && e.status === 404) {
      state.selectedEditRun = null;
      $("edit-detail").replaceChildren(el("p", { class: "muted" }, `Edit run ${id} is gone.`));
      return;
    }
    throw e;
  }
  const facts = [["Run", run.id], ["Status", badge(run.status, run.status)], ["File", run.file.name]];
  if (run.failureReason) facts.push(["Failure", `${run.failureReason}: ${run.failureMessage}`]);
  const children = [el("h3", {}, `Edit run ${run.id}`), el("dl", { class: "facts" }, ...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]))];
  if (run.output) {
    const filled = Object.entries(run.output.filledValues || {});
    children.push(el("table", { class: "table", id: "filled-table" },
      el("caption", { class: "sr-only" }, "The values the run wrote into the form"),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Field"), el("th", { scope: "col" }, "Value written"))),
      el("tbody", {}, ...(filled.length ? filled.map(([k, v]) => el("tr", {}, el("td", {}, k), el("td", {}, String(v))))
        : [el("tr", {}, el("td", { colspan: "2", class: "muted" }, "Nothing was written."))])),
    ));
    children.push(el("p", {}, el("a", { href: run.output.editedFile.presignedUrl, id: "e-download", download: "" }, "Download the filled PDF")));
  }
  children.push(el("div", { class: "tree" }, el("h3", {}, "Edit run"), tree(run)));
  $("edit-detail").replaceChildren(...children);
}

// --- requests -----------------------------------------------------------

async function loadRequests() {
  const { requests } = await control("/requests");
  const status = $("r-status").value;
  const path = $("r-path").value.trim();
  const shown = requests
    .filter((r) => !status || String(r.status).startsWith(status))
    .filter((r) => !path || r.path.includes(path))
    .reverse()
    .slice(0, 200);
  const tbody = $("request-table").tBodies[0];
  tbody.replaceChildren(
    ...shown.map((r) =>
      row(
        [
          new Date(r.time).toLocaleTimeString(),
          `${r.method} ${r.path}${r.query ? `?${r.query}` : ""}`,
          badge(r.status, String(r.status)[0]),
          r.durationMs.toFixed(2),
          r.keyName ?? "—",
        ],
        r.requestId === state.selectedRequest,
        () => openRequest(r.requestId),
      ),
    ),
  );
  if (shown.length === 0) tbody.append(el("tr", {}, el("td", { colspan: "5", class: "muted" }, "No requests yet.")));
}

async function openRequest(id) {
  state.selectedRequest = id;
  for (const tr of $("request-table").tBodies[0].rows) tr.setAttribute("aria-selected", "false");
  const entry = await control(`/requests/${encodeURIComponent(id)}`);
  const pretty = (v, what) => (v === undefined ? `(not kept: ${what})` : JSON.stringify(v, null, 2));
  $("request-detail").replaceChildren(
    el("h3", {}, `${entry.method} ${entry.path} → ${entry.status}`),
    el("p", { class: "muted" }, `${entry.requestId} · ${entry.durationMs} ms · key ${entry.keyName ?? "—"}`),
    el("h3", {}, "Request body"),
    el("pre", {}, pretty(entry.requestBody, "none sent, not JSON, or over 64 KiB")),
    el("h3", {}, "Answer"),
    el(
      "pre",
      {},
      pretty(entry.responseBody, entry.method === "GET" && entry.status < 400 ? "a successful GET's answer is what the API serves again" : "over 64 KiB"),
    ),
  );
}

// --- faults -------------------------------------------------------------

async function loadFaults() {
  const { faults } = await control("/faults");
  $("faults").textContent = faults.length
    ? faults.map((f) => `${f.status ?? `${f.delayMs} ms delay`} on ${f.path ?? "any path"}: ${f.remaining} left`).join(" · ")
    : "No faults.";
}

// --- the loop -----------------------------------------------------------

async function refresh() {
  if (state.busy) return;
  state.busy = true;
  try {
    await Promise.all([loadRuns(), loadRequests(), loadFaults(), loadWorkflowRuns(), loadEditRuns()]);
    if (state.selectedRun) await showRun();
    if (state.selectedWorkflowRun) await showWorkflowRun();
    if (state.selectedEditRun) await showEditRun();
    say(`Live: ${state.sandbox} sandbox, ${state.key ? state.key.label : "no key"} · refreshed ${new Date().toLocaleTimeString()}`);
  } catch (e) {
    say(`Cannot reach the server: ${e.message}`);
  } finally {
    state.busy = false;
  }
}

async function start() {
  try {
    await loadSandboxes();
    await loadProcessors();
    await loadWorkflows();
    await loadTemplates();
  } catch (e) {
    say(e instanceof Refused && e.status === 401 ? "This server needs its admin token." : `Cannot start: ${e.message}`);
    return;
  }
  await refresh();
}

function wire() {
  for (const id of ["f-status", "f-type", "f-sort", "f-size"]) $(id).addEventListener("change", restartPaging);
  let typing;
  $("f-name").addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      state.nameFilter = $("f-name").value.trim();
      restartPaging();
    }, 250);
  });
  for (const form of ["filters", "r-filters", "scope"]) $(form).addEventListener("submit", (e) => e.preventDefault());
  for (const id of ["r-status", "r-path"]) $(id).addEventListener("input", () => loadRequests().catch(() => {}));
  $("prev").addEventListener("click", () => {
    state.page = Math.max(0, state.page - 1);
    refresh();
  });
  $("next").addEventListener("click", () => {
    if (!state.nextToken) return;
    state.tokens[state.page + 1] = state.nextToken;
    state.page += 1;
    refresh();
  });
  $("sandbox").addEventListener("change", async () => {
    state.sandbox = $("sandbox").value;
    state.selectedRun = null;
    state.selectedRequest = null;
    await start();
  });
  $("key").addEventListener("change", async () => {
    state.key = state.keys[Number($("key").value)] || null;
    state.selectedRun = null;
    state.selectedWorkflowRun = null;
    state.selectedEditRun = null;
    await loadProcessors().catch(() => {});
    await loadWorkflows().catch(() => {});
    await loadTemplates().catch(() => {});
    restartPaging();
  });
  $("reset").addEventListener("click", () =>
    act(() => control("/reset?what=all", { method: "POST" }), "Reset: state, journal, faults, rules and deliveries"),
  );
  $("finish").addEventListener("click", () =>
    act(() => control(`/processor_runs/${state.selectedRun}/finish`, { method: "POST" }), "Finished the run"),
  );
  $("fail").addEventListener("click", () =>
    act(() => control(`/processor_runs/${state.selectedRun}/fail`, { method: "POST" }), "Failed the run"),
  );
  $("cancel").addEventListener("click", () =>
    act(() => api(`/processor_runs/${state.selectedRun}/cancel`, { method: "POST" }), "Cancelled the run"),
  );
  $("create").addEventListener("submit", (e) => {
    e.preventDefault();
    const name = $("c-file").value.trim() || "document.pdf";
    const marker = $("c-marker").value;
    const dot = name.lastIndexOf(".");
    const fileName = marker ? (dot > 0 ? `${name.slice(0, dot)}${marker}${name.slice(dot)}` : `${name}${marker}`) : name;
    act(async () => {
      const { processorRun } = await api("/processor_runs", {
        method: "POST",
        body: {
          processorId: $("c-processor").value,
          file: { fileUrl: `https://files.example.com/${encodeURIComponent(fileName)}`, fileName },
        },
      });
      state.selectedRun = processorRun.id;
    }, `Created a run on ${fileName}`);
  });
  $("w-start").addEventListener("submit", (e) => {
    e.preventDefault();
    const workflow = $("w-workflow").value;
    if (!workflow) return;
    act(async () => {
      const made = await api("/workflow_runs", {
        method: "POST",
        body: { workflow: { id: workflow }, file: { text: $("w-text").value || "A document", name: "demo.txt" } },
      });
      state.selectedWorkflowRun = made.id;
    }, "Started a workflow run");
  });
  $("e-start").addEventListener("submit", (e) => {
    e.preventDefault();
    const template = $("e-template").value;
    if (!template) return;
    act(async () => {
      const made = await api("/edit_runs", {
        method: "POST",
        body: { templateId: template, config: { instructions: $("e-instructions").value } },
      });
      state.selectedEditRun = made.id;
    }, "Started an edit run");
  });
  $("fault").addEventListener("submit", (e) => {
    e.preventDefault();
    const kind = $("x-kind").value;
    const body = { count: Number($("x-count").value) || 1 };
    if (kind === "delay") body.delayMs = 2000;
    else body.status = Number(kind);
    if ($("x-path").value.trim()) body.path = $("x-path").value.trim();
    act(() => control("/faults", { method: "POST", body }), "Fault injected");
  });
  $("clear-faults").addEventListener("click", () => act(() => control("/faults", { method: "DELETE" }), "Faults cleared"));
  $("token-form").addEventListener("submit", () => {
    state.admin = $("token-input").value;
    sessionStorage.setItem("extend-mock-admin", state.admin);
    start();
  });
  setInterval(() => {
    if (!document.hidden && !$("token-dialog").open) refresh();
  }, POLL_MS);
}

wire();
start();
