// Start extend-mock with Testcontainers for Node (npm install testcontainers)
// and hand the test suite its base URL. Build the image first:
//   docker build -t extend-mock:local .
//
//   const mock = await startExtendMock();
//   const client = new ExtendClient({ token: "sk_test_acme", baseUrl: mock.url });
//   ...
//   await mock.container.stop();
import { GenericContainer, Wait, type StartedTestContainer } from "testcontainers";

export const IMAGE = "extend-mock:local";
export const PORT = 8080;

/** Where the container's port 8080 is reachable from the test. */
export function baseUrl(container: Pick<StartedTestContainer, "getHost" | "getMappedPort">): string {
  return `http://${container.getHost()}:${container.getMappedPort(PORT)}`;
}

/** Waits until GET /_mock/health answers 200: the store is loaded and the port is up. */
export async function waitReady(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${url}/_mock/health`)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`extend-mock at ${url} was not ready within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function startExtendMock(): Promise<{ container: StartedTestContainer; url: string }> {
  const container = await new GenericContainer(IMAGE)
    .withExposedPorts(PORT)
    .withEnvironment({ EXTEND_MOCK_PROCESSING_TIME: "200ms" })
    .withWaitStrategy(Wait.forHttp("/_mock/health", PORT).forStatusCode(200))
    .start();
  const url = baseUrl(container);
  await waitReady(url);
  return { container, url };
}
