// Measures the memory of an app under the agent during a flood of requests from distinct clients
// with distinct attack payloads. Not part of the test suite; run it from packages/agent after a
// build:
//   node --import tsx test/faults/flood-memory.ts [requests] [store maxEntries] [waves]
// with 100000 requests, the default store size, and attack waves on ("off" leaves them out) by
// default.
// It prints RSS and heap (after a full garbage collection in the app) at every tenth of the run,
// and the entries of the gate's client-keyed stores. docs/security.md records the figures.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { startApp } from "../helpers/app-process";

const total = Number(process.argv[2] ?? "100000");
const storeMaxEntries = process.argv[3];
const waves = process.argv[4] !== "off";
const concurrency = 16;

function addressOf(index: number): string {
  return `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`;
}

/** Builds request `index` of the mix: a rate-limited route, an SQL injection (blocked), an XSS (logged). */
function requestFor(base: string, index: number): { url: string; headers: Record<string, string> } {
  const headers: Record<string, string> = {
    "x-forwarded-for": addressOf(index),
    // A header name never sent before, for the header path cache.
    [`x-flood-${index}`]: `v${index}`,
    "user-agent": `flood-client/${index}`,
  };
  switch (index % 3) {
    case 0:
      return { url: `${base}/api/items`, headers };
    case 1: {
      const payload = encodeURIComponent(`x${index}' OR '${index}'='${index}`);
      return { url: `${base}/search?name=${payload}`, headers };
    }
    default: {
      const payload = encodeURIComponent(`<img src=x onerror=alert(${index})>`);
      return { url: `${base}/page?q=${payload}`, headers };
    }
  }
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(path.join(tmpdir(), "rampart-flood-"));
  const policy = path.join(workDir, "rampart.policy.yaml");
  writeFileSync(
    policy,
    [
      "mode: block",
      "trustedProxies: [127.0.0.1]",
      ...(storeMaxEntries === undefined
        ? []
        : [`store: { type: memory, maxEntries: ${storeMaxEntries} }`]),
      "rateLimits:",
      "  - { route: /api/*, key: ip, limit: 1000, windowSeconds: 60 }",
      ...(waves ? ["attackWaves: { detectionThreshold: 1000 }"] : []),
    ].join("\n"),
  );
  const app = await startApp({
    script: "faults-gate.cjs",
    loader: "require",
    env: { RAMPART_POLICY: policy, NODE_OPTIONS: "--expose-gc" },
  });

  const memory = async () =>
    (await (await fetch(`${app.url}/memory`)).json()) as NodeJS.MemoryUsage;
  const sizes = async () => (await (await fetch(`${app.url}/sizes`)).json()) as object;
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  const report = async (done: number) => {
    const usage = await memory();
    console.log(
      `${String(done).padStart(7)} requests: rss ${mb(usage.rss)} MB, heapUsed ${mb(usage.heapUsed)} MB, ` +
        `external ${mb(usage.external)} MB, gate ${JSON.stringify(await sizes())}`,
    );
  };

  await report(0);
  const started = Date.now();
  const statuses = new Map<number, number>();
  let next = 0;
  let checkpoint = total / 10;
  const worker = async () => {
    while (next < total) {
      const index = next++;
      const { url, headers } = requestFor(app.url, index);
      const response = await fetch(url, { headers });
      await response.arrayBuffer();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (next >= checkpoint) {
        checkpoint += total / 10;
        await report(index + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (Date.now() - started) / 1000;

  await report(total);
  console.log(
    `${total} requests in ${seconds.toFixed(1)} s (${(total / seconds).toFixed(0)}/s), statuses ${JSON.stringify([...statuses])}, ` +
      `events written ${app.events().length}, node ${process.version}`,
  );
  await app.stop();
  rmSync(workDir, { recursive: true, force: true });
}

void main();
