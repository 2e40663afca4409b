// Classify a document and split a packet through the official TypeScript SDK
// (npm install extend-ai): the current API's classification and splitting.
import { ExtendClient } from "extend-ai";

const baseUrl = process.env.EXTEND_MOCK_URL ?? "http://127.0.0.1:8080";
const client = new ExtendClient({ token: "sk_test_acme", baseUrl });

// A classifier; a document that names one of its classifications gets it.
const classifier = await client.classifiers.create({
  name: "Mail room",
  config: {
    classifications: [
      { id: "invoice", type: "invoice", description: "A bill for goods or services." },
      { id: "bank_statement", type: "bank_statement", description: "A bank statement." },
      { id: "other", type: "other", description: "Anything else." },
    ],
  },
});
const run = await client.classifyRuns.createAndPoll({
  classifier: { id: classifier.id },
  file: { text: "INVOICE #12345\nAcme Corp\nTotal: $1,234.56" },
});
console.log("classify:", run.id, run.status, run.output?.type, run.output?.confidence);

// A splitter; the splits cover every page of the file, in order.
const splitter = await client.splitters.create({
  name: "Loan packets",
  config: {
    splitClassifications: [
      {
        id: "application",
        type: "loan_application",
        description: "The application.",
        identifierKey: "Extract the loan number",
      },
      { id: "paystub", type: "paystub", description: "A pay statement." },
    ],
  },
});
const done = await client.split({ splitter: { id: splitter.id }, file: { url: "https://example.com/packets/loan-7.pdf" } });
for (const split of done.output?.splits ?? []) {
  console.log("split:", split.startPage, split.endPage, split.type, split.identifier || "-");
}
