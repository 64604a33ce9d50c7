import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";

import { readConfig, type ConfigProblem } from "../../src/config";
import { policyVersion } from "../../src/forensics/policy-version";
import { enforceRetention, selectExpired } from "../../src/forensics/retention";
import { redactQuery } from "../../src/forensics/snapshot";
import { droppedEventTotals } from "../../src/telemetry/metrics";
import { agentInfo } from "../../src/telemetry/prometheus";
import { readSnapshotConfig } from "../../src/forensics/snapshot-config";
import { maxPendingSnapshots, snapshotFileName, SnapshotStore } from "../../src/forensics/store";
import { sampleSnapshot } from "../helpers/snapshot-files";

const dayMs = 24 * 60 * 60 * 1000;

function temporaryDir(): string {
  return mkdtempSync(path.join(tmpdir(), "rampart-store-"));
}

test("store writes one file per snapshot", async () => {
  const dir = path.join(temporaryDir(), "nested", "snapshots");
  const store = new SnapshotStore(dir, { maxAgeDays: 1, maxBytes: 1_000_000 });
  try {
    store.add(sampleSnapshot("event-a"));
    store.add(sampleSnapshot("event-b"));
    await store.drain();

    assert.deepEqual(readdirSync(dir).sort(), ["event-a.json", "event-b.json"]);
    const written = JSON.parse(readFileSync(path.join(dir, "event-a.json"), "utf8")) as {
      event_id: string;
    };
    assert.equal(written.event_id, "event-a");
    assert.equal(store.stats.written, 2);
  } finally {
    rmSync(path.dirname(path.dirname(dir)), { recursive: true, force: true });
  }
});

test("store drops beyond the queue cap", async () => {
  const dir = temporaryDir();
  const store = new SnapshotStore(dir, { maxAgeDays: 1, maxBytes: 100_000_000 });
  try {
    const extra = 25;
    const metricBefore = droppedEventTotals().get("snapshots\u0000queue_full") ?? 0;
    for (let index = 0; index < maxPendingSnapshots + extra; index++)
      store.add(sampleSnapshot(`event-${index}`));
    assert.equal(store.stats.dropped, extra);
    assert.equal(droppedEventTotals().get("snapshots\u0000queue_full"), metricBefore + extra);

    await store.drain();
    assert.equal(store.stats.written, maxPendingSnapshots);
    assert.equal(readdirSync(dir).length, maxPendingSnapshots);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("store counts write failures", async () => {
  const work = temporaryDir();
  const blocker = path.join(work, "file");
  writeFileSync(blocker, "");
  const store = new SnapshotStore(path.join(blocker, "snapshots"), {
    maxAgeDays: 1,
    maxBytes: 1_000,
  });
  try {
    store.add(sampleSnapshot("event-a"));
    store.add(sampleSnapshot("event-b"));
    await store.drain();
    assert.equal(store.stats.failed, 2);
    assert.equal(droppedEventTotals().get("snapshots\u0000delivery_failed"), 2);
    assert.equal(store.stats.written, 0);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test("file names keep to id characters", () => {
  assert.equal(snapshotFileName("../../etc/passwd"), "______etc_passwd.json");
  assert.equal(snapshotFileName("0b6a-11"), "0b6a-11.json");
});

test("retention keeps the newest within limits", () => {
  const now = Date.now();
  const files = [
    { name: "a.json", size: 400, mtimeMs: now - 1 * dayMs },
    { name: "b.json", size: 400, mtimeMs: now - 2 * dayMs },
    { name: "c.json", size: 400, mtimeMs: now - 3 * dayMs },
    { name: "d.json", size: 10, mtimeMs: now - 4 * dayMs },
    { name: "e.json", size: 10, mtimeMs: now - 9 * dayMs },
  ];
  const bySize = selectExpired(files, { maxAgeDays: 30, maxBytes: 1_000 }, now);
  assert.deepEqual(
    bySize.expired.map((file) => file.name),
    ["c.json", "d.json", "e.json"],
  );
  assert.equal(bySize.keptBytes, 800);

  const byAge = selectExpired(files, { maxAgeDays: 5, maxBytes: 10_000 }, now);
  assert.deepEqual(
    byAge.expired.map((file) => file.name),
    ["e.json"],
  );
});

test("retention deletes only snapshot files", async () => {
  const dir = temporaryDir();
  try {
    const old = new Date(Date.now() - 40 * dayMs);
    for (const name of ["old.json", "keep.txt", "old.json.123.tmp"]) {
      writeFileSync(path.join(dir, name), "{}");
      utimesSync(path.join(dir, name), old, old);
    }
    writeFileSync(path.join(dir, "new.json"), "{}");

    const result = await enforceRetention(dir, { maxAgeDays: 7, maxBytes: 1_000 });
    assert.equal(result.removed, 2);
    assert.deepEqual(readdirSync(dir).sort(), ["keep.txt", "new.json"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("retention accepts a missing directory", async () => {
  const result = await enforceRetention(path.join(tmpdir(), "rampart-no-such-dir-xyz"), {
    maxAgeDays: 1,
    maxBytes: 1,
  });
  assert.deepEqual(result, { removed: 0, keptBytes: 0 });
});

test("query secrets are masked", () => {
  assert.equal(redactQuery("a=1&password=hunter2"), "a=1&password=%5Bredacted%207%20chars%5D");
  assert.equal(redactQuery("q=caf%C3%A9&flag"), "q=caf%C3%A9&flag");
  const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.abcdefghij";
  assert.ok(!redactQuery(`q=${jwt}`).includes("eyJzdWIiOiIxMjMifQ"));
  assert.equal(redactQuery(""), "");
});

test("snapshot settings parse with defaults", () => {
  const problems: ConfigProblem[] = [];
  const defaults = readSnapshotConfig({}, problems, "/srv/app");
  assert.deepEqual(defaults, {
    capture: "blocks",
    dir: "/srv/app/.rampart/snapshots",
    maxAgeDays: 14,
    maxBytes: 100 * 1024 * 1024,
  });

  const custom = readSnapshotConfig(
    {
      RAMPART_SNAPSHOTS: "ALL",
      RAMPART_SNAPSHOT_DIR: "forensics",
      RAMPART_SNAPSHOT_MAX_AGE_DAYS: "2.5",
      RAMPART_SNAPSHOT_MAX_BYTES: "5000",
    },
    problems,
    "/srv/app",
  );
  assert.deepEqual(custom, {
    capture: "all",
    dir: "/srv/app/forensics",
    maxAgeDays: 2.5,
    maxBytes: 5000,
  });
  assert.deepEqual(problems, []);

  const invalidProblems: ConfigProblem[] = [];
  const invalid = readSnapshotConfig(
    { RAMPART_SNAPSHOTS: "sometimes", RAMPART_SNAPSHOT_MAX_BYTES: "-1" },
    invalidProblems,
    "/srv/app",
  );
  assert.equal(invalid.capture, "blocks");
  assert.equal(invalid.maxBytes, 100 * 1024 * 1024);
  assert.deepEqual(
    invalidProblems.map((problem) => problem.variable),
    ["RAMPART_SNAPSHOTS", "RAMPART_SNAPSHOT_MAX_BYTES"],
  );
});

test("policy version matches agent info", () => {
  const base = readConfig({ RAMPART_MODE: "block" }).config;
  const otherMode = readConfig({ RAMPART_MODE: "monitor" }).config;
  const otherDetector = readConfig({
    RAMPART_MODE: "block",
    RAMPART_DETECTOR_MODES: "xss=block",
  }).config;

  assert.match(policyVersion(base), /^[0-9a-f]{12}$/);
  assert.equal(policyVersion(base), agentInfo(base).policy_version);
  assert.equal(policyVersion(base), policyVersion(readConfig({ RAMPART_MODE: "block" }).config));
  assert.notEqual(policyVersion(base), policyVersion(otherMode));
  assert.notEqual(policyVersion(base), policyVersion(otherDetector));
});
