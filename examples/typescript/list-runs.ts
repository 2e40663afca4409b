// List processor runs with the official TypeScript SDK (npm install extend-ai).
import { Extend, ExtendClient } from "extend-ai";

const baseUrl = process.env.EXTEND_MOCK_URL ?? "http://127.0.0.1:8080";
const client = new ExtendClient({ token: "sk_test_acme", baseUrl });

// Every run, oldest first, page by page.
let nextPageToken: string | undefined;
do {
  const page = await client.processorRun.list({ sortBy: "createdAt", sortDir: "asc", maxPageSize: 10, nextPageToken });
  for (const run of page.processorRuns) console.log(run.id, run.status, run.createdAt);
  nextPageToken = page.nextPageToken;
} while (nextPageToken);

// Bad input raises the SDK's own error class.
try {
  await client.processorRun.list({ status: "BOGUS" as Extend.LegacyProcessorStatus });
} catch (err) {
  if (!(err instanceof Extend.BadRequestError)) throw err;
  console.log("rejected:", err.statusCode);
}

// An organization key names the workspace.
const org = new ExtendClient({ token: "sk_test_org", baseUrl });
const globex = await org.processorRun.list({ "x-extend-workspace-id": "ws_globex", maxPageSize: 100 });
console.log("ws_globex runs:", globex.processorRuns.length);

// A run's full object: what it read, how it was configured, what it found.
const [first] = (await client.processorRun.list({ status: "PROCESSED", processorType: "EXTRACT", maxPageSize: 1 })).processorRuns;
const { processorRun: full } = await client.processorRun.get(first.id);
console.log("full run:", full.id, full.config.type, full.files[0].name);

// Create a run on a file by URL (nothing is fetched), poll until it is done, read it.
let { processorRun: run } = await client.processorRun.create({
  processorId: "ex_z24v9oP5EHPKAuLAeoYsS",
  file: { fileUrl: "https://example.com/Invoice_2024_05.pdf" },
});
while (run.status === "PROCESSING") {
  await new Promise((resolve) => setTimeout(resolve, 500));
  ({ processorRun: run } = await client.processorRun.get(run.id));
}
console.log("created run:", run.id, run.status, run.usage?.credits);
