// Extract an invoice with a typed (zod) schema through the official TypeScript
// SDK (npm install extend-ai): the current API's extraction, create and poll.
import { ExtendClient, extendCurrency, extendDate } from "extend-ai";
import { z } from "zod";

const baseUrl = process.env.EXTEND_MOCK_URL ?? "http://127.0.0.1:8080";
const client = new ExtendClient({ token: "sk_test_acme", baseUrl });

const Invoice = z.object({
  invoice_number: z.string().nullable(),
  invoice_date: extendDate(),
  vendor_name: z.string().nullable(),
  line_items: z.array(z.object({ description: z.string().nullable(), amount: extendCurrency() })),
  total: extendCurrency(),
});

// Create the run and poll it until it ends.
const run = await client.extractRuns.createAndPoll({
  file: { url: "https://example.com/invoices/INV-2024-0042.pdf", name: "INV-2024-0042.pdf" },
  config: { schema: Invoice },
});
const invoice = run.output!.value;
console.log("run:", run.id, run.status);
console.log("invoice:", invoice.invoice_number, invoice.invoice_date, invoice.vendor_name);
console.log("total:", invoice.total.amount, invoice.total.iso_4217_currency_code);

// The same with a saved extractor, answered when done (sync, for tests and demos).
const extractor = await client.extractors.create({ name: "Invoices", config: { schema: Invoice } });
const done = await client.extract({ file: { text: "Invoice #12345 ... Total: $1,234.56" }, extractor: { id: extractor.id } });
console.log("sync:", done.status, done.extractor?.name);

// Every extract run, page by page.
let nextPageToken: string | undefined;
let count = 0;
do {
  const page = await client.extractRuns.list({ maxPageSize: 10, nextPageToken });
  count += page.data.length;
  nextPageToken = page.nextPageToken;
} while (nextPageToken);
console.log("extract runs:", count);
