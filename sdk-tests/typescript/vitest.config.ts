import { defineConfig } from "vitest/config";

// Every file here resets, seeds and injects faults into the one server that
// sdk-tests/run starts, so the files run one after another, whatever the
// number of cores.
export default defineConfig({
  test: { fileParallelism: false },
});
