// The Testcontainers recipe's own code, run as far as a machine without Docker
// allows: its readiness wait against the running server, its URL from a
// container's mapped port, and the Testcontainers API it calls.
import { GenericContainer, Wait } from "testcontainers";
import { describe, expect, test } from "vitest";
import { baseUrl, waitReady } from "./testcontainers-extend-mock";

const MOCK = process.env.EXTEND_MOCK_URL ?? "http://127.0.0.1:8080";

describe("the Testcontainers recipe", () => {
  test("the URL comes from the mapped port", () => {
    const started = { getHost: () => "localhost", getMappedPort: (port: number) => (port === 8080 ? 49153 : 0) };
    expect(baseUrl(started)).toBe("http://localhost:49153");
  });

  test("it waits for a ready server and gives up on a silent one", async () => {
    await waitReady(MOCK, 5_000);
    await expect(waitReady("http://127.0.0.1:9", 300)).rejects.toThrow(/not ready/);
  });

  test("the Testcontainers calls exist", () => {
    const container = new GenericContainer("extend-mock:local");
    expect(typeof container.withExposedPorts).toBe("function");
    expect(typeof container.withEnvironment).toBe("function");
    expect(typeof container.withWaitStrategy).toBe("function");
    expect(typeof Wait.forHttp("/_mock/health", 8080).forStatusCode).toBe("function");
  });
});
