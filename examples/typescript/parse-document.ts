// Parse a document through the official TypeScript SDK (npm install extend-ai):
// the sync `client.parse`, then a parse run made, polled and read by link.
import { ExtendClient } from "extend-ai";

const baseUrl = process.env.EXTEND_MOCK_URL ?? "http://127.0.0.1:8080";
const client = new ExtendClient({ token: "sk_test_acme", baseUrl });

// Parse any document in three lines: the sync call answers the ended run.
const run = await client.parse({ file: { url: "https://example.com/reports/Quarterly_Report.pdf" } });
for (const chunk of run.output?.chunks ?? []) {
  console.log(`page ${chunk.metadata.pageRange.start}:`, chunk.content.split("\n")[0]);
}

// A run made and polled, one chunk for the whole document.
const polled = await client.parseRuns.createAndPoll({
  file: { url: "https://example.com/forms/W9.pdf" },
  config: { chunkingStrategy: { type: "document" } },
});
console.log("run:", polled.id, polled.status, polled.output?.chunks.length, "chunk");

// The output as a signed link (15 minutes), as for large documents.
const linked = await client.parseRuns.retrieve(polled.id, { responseType: "url" });
const response = await fetch(linked.outputUrl!);
console.log("by link:", response.status, (await response.text()).length > 0);
