import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import {
  maxErrorKinds,
  internalErrorCounts,
  reportInternalError,
  warnOnce,
} from "../../src/failsafe";
import { SnapshotStore, maxPendingSnapshots } from "../../src/forensics/store";
import { MemoryStore } from "../../src/gate/stores/memory-store";
import { setLogLevel } from "../../src/log";
import { BoundedQueue } from "../../src/telemetry/bounded-queue";
import { Deduplicator, maxTrackedEvents } from "../../src/telemetry/dedup";
import { EventLog, maxQueuedLines } from "../../src/telemetry/event-log";
import type { SecurityEvent } from "../../src/telemetry/security-event";
import { startApp, type RunningApp } from "../helpers/app-process";

/** Builds a minimal event whose deduplication identity is its client address. */
function eventFrom(clientIp: string): SecurityEvent {
  return {
    time: new Date().toISOString(),
    event_id: `id-${clientIp}`,
    attack_type: "sql_injection",
    sink: "pg.query",
    action: "blocked",
    reason: "spans-tokens",
    input: { source: "query", path: "query.name", value: "x", length: 1 },
    operation: "SELECT 1",
    request: {
      method: "GET",
      path: "/search",
      route: "/search",
      client_ip: clientIp,
      request_id: clientIp,
      user_agent: undefined,
    },
    stack: [],
    agent: { name: "rampart", version: "0", mode: "block" },
  };
}

/** Returns the n-th distinct IPv4 address in 10.0.0.0/8. */
function addressOf(index: number): string {
  return `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`;
}

describe("structures keyed by client input stay at their caps", () => {
  test("gate memory store", () => {
    const store = new MemoryStore(1_000);
    for (let index = 0; index < 5_000; index++) store.increment(`ip:${addressOf(index)}`, 60_000);
    assert.equal(store.size, 1_000);
    // The newest keys survive: least recently used eviction.
    assert.equal(store.markedFor(`ip:${addressOf(4_999)}`) > 0, true);
    assert.equal(store.markedFor(`ip:${addressOf(0)}`), 0);
  });

  test("deduplication windows", () => {
    const emitted: SecurityEvent[] = [];
    const deduplicator = new Deduplicator(60_000, (event) => emitted.push(event));
    const total = maxTrackedEvents + 5_000;
    for (let index = 0; index < total; index++) deduplicator.add(eventFrom(addressOf(index)));

    assert.equal(deduplicator.size, maxTrackedEvents);
    // Events beyond the cap are passed on, not lost.
    assert.equal(emitted.length, total);
    deduplicator.sweep(true);
    assert.equal(deduplicator.size, 0);
  });

  test("event log queue", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "rampart-bounds-"));
    try {
      const eventLog = new EventLog({ file: path.join(dir, "events.jsonl") });
      // The flush runs on setImmediate, so these synchronous appends all meet a full queue.
      for (let index = 0; index < maxQueuedLines + 250; index++)
        eventLog.append(eventFrom(addressOf(index)));
      assert.equal(eventLog.dropped, 250);
      eventLog.close();
      assert.equal(eventLog.written, maxQueuedLines);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("exporter queue", () => {
    const queue = new BoundedQueue<number>(1_000);
    let accepted = 0;
    for (let index = 0; index < 3_000; index++) if (queue.push(index)) accepted++;
    assert.equal(accepted, 1_000);
    assert.equal(queue.length, 1_000);
  });

  test("snapshot queue", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "rampart-bounds-"));
    try {
      const store = new SnapshotStore(dir, { maxAgeDays: 1, maxBytes: 1_000_000 });
      let reserved = 0;
      for (let index = 0; index < maxPendingSnapshots + 100; index++)
        if (store.reserve()) reserved++;
      assert.equal(reserved, maxPendingSnapshots);
      assert.equal(store.stats.dropped, 100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("internal error kinds and warnings", () => {
    setLogLevel("silent");
    try {
      for (let index = 0; index < maxErrorKinds * 2; index++) {
        reportInternalError(`bounds-test.${index}`, new Error("counted only"));
        warnOnce(`bounds-test.${index}`, {}, "counted only");
      }
      assert.ok(internalErrorCounts().size <= maxErrorKinds + 1, `${internalErrorCounts().size}`);
      assert.ok((internalErrorCounts().get("other") ?? 0) > 0);
    } finally {
      setLogLevel("info");
    }
  });
});

describe("gate structures under a flood of distinct clients", () => {
  let workDir: string;
  let app: RunningApp;
  const storeCap = 1_000;

  before(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), "rampart-bounds-app-"));
    const policy = path.join(workDir, "rampart.policy.yaml");
    writeFileSync(
      policy,
      [
        "mode: block",
        "trustedProxies: [127.0.0.1]",
        `store: { type: memory, maxEntries: ${storeCap} }`,
        "rateLimits:",
        "  - { route: /api/*, key: ip, limit: 1000, windowSeconds: 60 }",
        "attackWaves: { detectionThreshold: 1000 }",
      ].join("\n"),
    );
    app = await startApp({
      script: "faults-gate.cjs",
      loader: "require",
      env: { RAMPART_POLICY: policy, RAMPART_EVENTS_RATE: "1000" },
    });
  });
  after(async () => {
    await app.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test("store entries stop at the cap", async () => {
    const clients = 3_000;
    let next = 0;
    const statuses = new Map<number, number>();
    const worker = async () => {
      while (next < clients) {
        const index = next++;
        const headers = { "x-forwarded-for": addressOf(index) };
        const payload = encodeURIComponent(`x${index}' OR '${index}'='${index}`);
        const url = index % 2 === 0 ? `${app.url}/api/items` : `${app.url}/search?name=${payload}`;
        const response = await fetch(url, { headers });
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));

    assert.equal(statuses.get(200), clients / 2, JSON.stringify([...statuses]));
    assert.equal(statuses.get(403), clients / 2, JSON.stringify([...statuses]));

    const sizes = (await (await fetch(`${app.url}/sizes`)).json()) as Record<string, number>;
    assert.equal(sizes.storeMax, storeCap);
    assert.equal(sizes.store, storeCap, JSON.stringify(sizes));
    assert.ok(sizes.local! <= sizes.localMax!, JSON.stringify(sizes));
    assert.ok(sizes.waves! <= sizes.wavesMax!, JSON.stringify(sizes));
  });
});
