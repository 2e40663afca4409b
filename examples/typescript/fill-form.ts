// Fill a PDF form through the official TypeScript SDK (npm install extend-ai):
// the sync `client.edit`, the filled file downloaded, a saved template's form
// detected as an edit schema, then filled by a polled edit run.
import { ExtendClient } from "extend-ai";

const baseUrl = process.env.EXTEND_MOCK_URL ?? "http://127.0.0.1:8080";
const client = new ExtendClient({ token: "sk_test_acme", baseUrl });

// Fill a form from instructions: the sync call answers the ended run.
const run = await client.edit({
  file: { url: "https://example.com/forms/application.pdf" },
  config: { instructions: "Fill out the full name as Jane Doe. Leave all other fields blank." },
});
console.log("run:", run.id, run.status, JSON.stringify(run.output?.filledValues));

// The filled PDF is a file of the workspace, by a signed link (15 minutes).
const pdf = await fetch(run.output!.editedFile.presignedUrl);
console.log("edited file:", run.output!.editedFile.id, (await pdf.text()).slice(0, 5));

// A saved template (the built-in W-9): its form, detected as an edit schema.
const template = await client.editTemplates.retrieve("edt_W9TaxpayerForm2024");
const detected = await client.detectForm({ file: { id: template.file.id } });
console.log("fields:", Object.keys(detected.output!.schema.properties).sort().join(" "));

// The template's file filled by a polled run.
const polled = await client.editRuns.createAndPoll({
  file: { id: template.file.id },
  config: { instructions: "Name as Jane Doe. Check exempt payee. Leave all other fields blank." },
});
console.log("template run:", polled.status, JSON.stringify(polled.output?.filledValues));
