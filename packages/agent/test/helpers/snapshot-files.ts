import { readFileSync } from "node:fs";
import path from "node:path";

import type { Snapshot } from "../../src/forensics/snapshot";

/** Polls for the snapshot of an event until `timeoutMs`; undefined when it was not written. */
export async function waitForSnapshot(
  dir: string,
  eventId: string,
  timeoutMs = 8_000,
): Promise<Snapshot | undefined> {
  const file = path.join(dir, `${eventId}.json`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return JSON.parse(readFileSync(file, "utf8")) as Snapshot;
    } catch {
      if (Date.now() > deadline) return undefined;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Builds a complete snapshot with plausible values, for tests of code that reads snapshots. */
export function sampleSnapshot(eventId: string, overrides: Partial<Snapshot> = {}): Snapshot {
  return {
    snapshot_version: 1,
    event_id: eventId,
    time: "2026-01-10T10:00:00.000Z",
    attack_type: "sql_injection",
    action: "blocked",
    sink: "pg.query",
    reason: "input changed the SQL structure",
    agent: { version: "0.1.0", mode: "block", policy_version: "0123456789ab" },
    request: {
      method: "GET",
      path: "/users",
      query: "name=x",
      route: "/users",
      http_version: "1.1",
      client_ip: "127.0.0.1",
      request_id: "req-1",
      headers: { host: "127.0.0.1" },
      headers_omitted: 0,
    },
    input: { source: "query", path: "query.name", value: "x", length: 1 },
    operation: "SELECT 1",
    stack: ["at handler (/app/server.js:10:5)"],
    timings: {
      request_start: "2026-01-10T09:59:59.990Z",
      detected_at: "2026-01-10T10:00:00.000Z",
      time_to_detect_ms: 10,
      time_to_block_ms: 12,
    },
    ...overrides,
  };
}
