// Reads the memory of a running benchmark app that was started with memory-probe.cjs preloaded.

import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const memoryProbePath = fileURLToPath(new URL("./memory-probe.cjs", import.meta.url));

let nextProbeId = 0;

/**
 * Returns the node arguments and environment that make an app respond to readAppMemory. Pass both to
 * startBenchApp, and keep `file` for readAppMemory.
 */
export function memoryProbe() {
  const file = join(tmpdir(), `rampart-bench-memory-${process.pid}-${nextProbeId++}.json`);
  return {
    nodeArgs: ["--require", memoryProbePath],
    env: { RAMPART_BENCH_MEMORY_FILE: file },
    file,
  };
}

/**
 * Sends SIGUSR2 to the app and resolves to its memory usage in MiB (rss, heapUsed, heapTotal,
 * external), which the preloaded probe writes to `file`. Rejects after `timeoutMs`.
 */
export async function readAppMemory(app, file, timeoutMs = 5000) {
  await rm(file, { force: true });
  process.kill(app.pid, "SIGUSR2");

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = await readFile(file, "utf8").catch(() => "");
    // The probe writes the file in one call, but an empty or partial read is retried.
    if (text.endsWith("}")) {
      await rm(file, { force: true });
      const usage = JSON.parse(text);
      const mebibytes = (bytes) => Number((bytes / 2 ** 20).toFixed(1));
      return {
        rssMiB: mebibytes(usage.rss),
        heapUsedMiB: mebibytes(usage.heapUsed),
        heapTotalMiB: mebibytes(usage.heapTotal),
        externalMiB: mebibytes(usage.external),
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${app.label} wrote no memory figures to ${file} within ${timeoutMs} ms`);
}
