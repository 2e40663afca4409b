// A call extend-mock does not emulate: 501, and fast through the SDK. The SDK
// retries every 5xx twice, by default after about 1 s and then 2 s; the 501's
// `Retry-After` (an HTTP date at the next whole second, the finest the SDK
// honours) makes each wait well under a second.
import { beforeEach, expect, test } from "vitest";
import { ExtendClient, ExtendError } from "extend-ai";

const MOCK = process.env.EXTEND_MOCK_URL ?? "http://127.0.0.1:8080";

async function journal(): Promise<{ status: number; time: string }[]> {
  const res = await fetch(`${MOCK}/_mock/requests`);
  const { requests } = (await res.json()) as { requests: { path: string; status: number; time: string }[] };
  return requests.filter((e) => e.path === "/evaluation_sets");
}

async function failure(client: ExtendClient): Promise<ExtendError> {
  try {
    await client.evaluationSets.list();
  } catch (error) {
    return error as ExtendError;
  }
  throw new Error("an unemulated call answered");
}

beforeEach(async () => {
  await fetch(`${MOCK}/_mock/reset`, { method: "POST" });
  await fetch(`${MOCK}/_mock/requests`, { method: "DELETE" });
});

test("an unemulated call is a 501 the SDK gives up on quickly", async () => {
  const started = performance.now();
  const error = await failure(new ExtendClient({ token: "sk_test_acme", baseUrl: MOCK }));
  const elapsed = performance.now() - started;
  expect(error).toBeInstanceOf(ExtendError);
  expect(error.statusCode).toBe(501);
  expect((error.body as { code: string }).code).toBe("NOT_IMPLEMENTED");
  const entries = await journal();
  // The first try and the SDK's two retries.
  expect(entries.map((e) => e.status)).toEqual([501, 501, 501]);
  const times = entries.map((e) => Date.parse(e.time)).sort((a, b) => a - b);
  const gaps = [times[1] - times[0], times[2] - times[1]];
  // The SDK's own backoff waits at least 900 ms, then 1800 ms; the date it is
  // given is at most 1100 ms ahead of each answer.
  expect(gaps[1]).toBeLessThan(1500);
  console.log(`501 through the TypeScript SDK, default retries: ${(elapsed / 1000).toFixed(2)} s (waits ${gaps.map((g) => (g / 1000).toFixed(2)).join(" s, ")} s)`);

  await fetch(`${MOCK}/_mock/requests`, { method: "DELETE" });
  const fast = performance.now();
  await failure(new ExtendClient({ token: "sk_test_acme", baseUrl: MOCK, maxRetries: 0 }));
  console.log(`501 through the TypeScript SDK, maxRetries: 0: ${(performance.now() - fast).toFixed(1)} ms`);
  expect((await journal()).map((e) => e.status)).toEqual([501]);
});
