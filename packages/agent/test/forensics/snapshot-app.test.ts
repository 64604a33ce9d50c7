import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { startApp, type RunningApp } from "../helpers/app-process";
import { HttpClient } from "../helpers/http-client";
import { sampleSnapshot, waitForSnapshot } from "../helpers/snapshot-files";
import { createFixtureFile, type FixtureFile } from "../helpers/sqlite-files";

const cliPath = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../dist/cli/main.js",
);

// Secrets sent with the attack; none may appear in a snapshot file.
const secrets = {
  bearer: "Bearer s3cr3tBearerValue123",
  cookie: "sid=cookieSecretValue456",
  apiKey: "apiKeySecretValue789",
  sessionHeader: "sessionHeaderSecret000",
  queryToken: "queryTokenSecret111",
};

const attackPath = `/string?name=${encodeURIComponent("x' OR '1'='1")}&token=${secrets.queryToken}`;

function attackHeaders(): Record<string, string> {
  return {
    authorization: secrets.bearer,
    cookie: secrets.cookie,
    "x-api-key": secrets.apiKey,
    "x-session-token": secrets.sessionHeader,
    "user-agent": "snapshot-test/1.0",
  };
}

function blockedEventId(body: string): string {
  const eventId = (JSON.parse(body) as { event_id?: string }).event_id;
  assert.ok(eventId, `403 body has no event_id: ${body}`);
  return eventId;
}

describe("snapshots of a block-mode app", () => {
  let fixture: FixtureFile;
  let snapshotDir: string;
  let app: RunningApp;
  let client: HttpClient;

  before(async () => {
    fixture = createFixtureFile();
    snapshotDir = mkdtempSync(path.join(tmpdir(), "rampart-snapshots-"));
    app = await startApp({
      script: "better-sqlite3-app.cjs",
      loader: "require",
      mode: "block",
      env: { ...fixture.env, RAMPART_SNAPSHOT_DIR: snapshotDir },
    });
    client = new HttpClient(app.url, 1);
  });

  after(async () => {
    client.close();
    await app.stop();
    fixture.drop();
    rmSync(snapshotDir, { recursive: true, force: true });
  });

  test("block writes a redacted snapshot", async () => {
    const response = await client.get(attackPath, attackHeaders());
    assert.equal(response.status, 403);
    const eventId = blockedEventId(response.body);

    const snapshot = await waitForSnapshot(snapshotDir, eventId);
    assert.ok(snapshot, `no snapshot ${eventId}.json in ${snapshotDir}`);
    const text = readFileSync(path.join(snapshotDir, `${eventId}.json`), "utf8");
    for (const [name, secret] of Object.entries(secrets)) {
      const core = secret.replace(/^Bearer |^sid=/, "");
      assert.ok(!text.includes(core), `${name} leaked into the snapshot`);
    }

    assert.equal(snapshot.event_id, eventId);
    assert.equal(snapshot.action, "blocked");
    assert.equal(snapshot.attack_type, "sql_injection");
    assert.equal(snapshot.sink, "better-sqlite3.prepare");
    assert.equal(snapshot.agent.mode, "block");
    assert.match(snapshot.agent.policy_version, /^[0-9a-f]{12}$/);
    assert.equal(snapshot.input?.path, "query.name");
    assert.match(snapshot.operation, /SELECT id, name FROM items/);
    assert.ok(snapshot.stack.some((frame) => frame.includes("better-sqlite3-app.cjs")));

    const request = snapshot.request;
    assert.ok(request);
    assert.equal(request.method, "GET");
    assert.equal(request.path, "/string");
    assert.match(request.query, /^name=.+&token=%5Bredacted%2019%20chars%5D$/);
    assert.equal(request.headers.authorization, `[redacted ${secrets.bearer.length} chars]`);
    assert.equal(request.headers.cookie, `[redacted ${secrets.cookie.length} chars]`);
    assert.equal(request.headers["x-api-key"], `[redacted ${secrets.apiKey.length} chars]`);
    assert.equal(
      request.headers["x-session-token"],
      `[redacted ${secrets.sessionHeader.length} chars]`,
    );
    assert.equal(request.headers["user-agent"], "snapshot-test/1.0");

    const { timings } = snapshot;
    assert.ok(timings.request_start !== null, "request start missing");
    assert.ok(Date.parse(timings.request_start) <= Date.parse(timings.detected_at));
    assert.ok(timings.time_to_detect_ms !== null, "time to detect missing");
    assert.ok(timings.time_to_detect_ms >= 0, `time to detect ${timings.time_to_detect_ms} ms`);
    assert.ok(timings.time_to_detect_ms < 5_000, `time to detect ${timings.time_to_detect_ms} ms`);
    assert.ok(timings.time_to_block_ms !== null, "time to block missing");
    assert.ok(
      timings.time_to_block_ms >= timings.time_to_detect_ms,
      `time to block ${timings.time_to_block_ms} ms`,
    );

    const event = await app.waitForEvent(eventId);
    assert.equal(event?.time, snapshot.time);
  });

  test("report reads the app's output", async () => {
    const response = await client.get(attackPath, attackHeaders());
    const eventId = blockedEventId(response.body);
    assert.ok(await waitForSnapshot(snapshotDir, eventId));
    await app.waitForEvent(eventId);

    const eventsFile = path.join(snapshotDir, "..", "events-copy.jsonl");
    writeFileSync(
      eventsFile,
      app
        .events()
        .map((event) => JSON.stringify(event))
        .join("\n") + "\n",
    );
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [
        cliPath,
        "report",
        eventsFile,
        "--snapshots",
        snapshotDir,
        "--format",
        "json",
      ]);
      const report = JSON.parse(stdout) as {
        totals: { blocked: number };
        timing: { time_to_detect: { count: number } | null };
      };
      assert.equal(report.totals.blocked, app.events().length);
      assert.equal(report.timing.time_to_detect?.count, app.events().length);

      const printed = await promisify(execFile)(process.execPath, [
        cliPath,
        "report",
        "--snapshot",
        eventId,
        "--snapshots",
        snapshotDir,
      ]);
      assert.match(printed.stdout, new RegExp(`Event:\\s+${eventId}`));
      assert.match(printed.stdout, /Attack:\s+sql_injection at better-sqlite3.prepare, blocked/);
    } finally {
      rmSync(eventsFile, { force: true });
    }
  });

  test("safe request writes no snapshot", async () => {
    const before = readdirSync(snapshotDir).length;
    const response = await client.get("/param?name=alice");
    assert.equal(response.status, 200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(readdirSync(snapshotDir).length, before);
  });
});

describe("snapshot capture settings", () => {
  /**
   * Sends one monitor-mode hit with RAMPART_SNAPSHOTS set to `capture`, and runs `check` on its
   * event id and snapshot directory before the app stops. SIGTERM ends the app without its exit
   * handlers, so a snapshot still queued then is lost. The hit runs the query, so the database is
   * read-only and the payload is a tautology.
   */
  async function monitorHit(
    capture: string,
    check: (eventId: string, dir: string) => Promise<void>,
  ): Promise<void> {
    const fixture = createFixtureFile();
    const dir = mkdtempSync(path.join(tmpdir(), "rampart-snapshots-"));
    const app = await startApp({
      script: "better-sqlite3-app.cjs",
      loader: "require",
      mode: "block",
      env: {
        ...fixture.env,
        READ_ONLY: "1",
        RAMPART_DETECTOR_MODES: "sql_injection=monitor",
        RAMPART_SNAPSHOTS: capture,
        RAMPART_SNAPSHOT_DIR: dir,
      },
    });
    const client = new HttpClient(app.url, 1);
    try {
      const response = await client.get(`/string?name=${encodeURIComponent("x' OR '1'='1")}`);
      assert.equal(response.status, 200);
      const [event] = await app.waitForEvents(1);
      assert.equal(event?.action, "monitored");
      await check(event.event_id, dir);
    } finally {
      client.close();
      await app.stop();
      fixture.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test("all captures monitor hits", async () => {
    await monitorHit("all", async (eventId, dir) => {
      const snapshot = await waitForSnapshot(dir, eventId);
      assert.equal(snapshot?.action, "monitored");
      assert.equal(snapshot?.timings.time_to_block_ms, null);
    });
  });

  test("blocks skips monitor hits", async () => {
    await monitorHit("blocks", async (eventId, dir) => {
      assert.equal(await waitForSnapshot(dir, eventId, 300), undefined);
    });
  });
});

describe("snapshot failures and retention", () => {
  test("unwritable directory logged once", async () => {
    const fixture = createFixtureFile();
    const work = mkdtempSync(path.join(tmpdir(), "rampart-snapshots-"));
    const blocker = path.join(work, "not-a-directory");
    writeFileSync(blocker, "a file where the snapshot directory should be\n");
    const app = await startApp({
      script: "better-sqlite3-app.cjs",
      loader: "require",
      mode: "block",
      env: { ...fixture.env, RAMPART_SNAPSHOT_DIR: path.join(blocker, "snapshots") },
    });
    const client = new HttpClient(app.url, 1);
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const response = await client.get(`/string?name=${encodeURIComponent("x' OR '1'='1")}`);
        assert.equal(response.status, 403);
      }
      assert.equal((await client.get("/param?name=alice")).status, 200);
      await app.waitForEvents(3);

      const deadline = Date.now() + 5_000;
      while (!app.stderr().includes("cannot write a forensic snapshot") && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 25));
      const failures = app
        .stderr()
        .split("\n")
        .filter((line) => line.includes("cannot write a forensic snapshot"));
      assert.equal(failures.length, 1, app.stderr());
      assert.match(failures[0] ?? "", /"code":"ENOTDIR"/);
    } finally {
      client.close();
      await app.stop();
      fixture.drop();
      rmSync(work, { recursive: true, force: true });
    }
  });

  test("retention runs when the app starts serving", async () => {
    const fixture = createFixtureFile();
    const dir = mkdtempSync(path.join(tmpdir(), "rampart-snapshots-"));
    const dayMs = 24 * 60 * 60 * 1000;
    const write = (name: string, ageDays: number, size = 100) => {
      const file = path.join(dir, name);
      writeFileSync(
        file,
        JSON.stringify(sampleSnapshot(name.replace(/\.json$/, ""))).padEnd(size, " "),
      );
      const time = new Date(Date.now() - ageDays * dayMs);
      utimesSync(file, time, time);
    };
    write("old-1.json", 10);
    write("old-2.json", 30);
    write("recent-1.json", 1, 4_000);
    write("recent-2.json", 2, 4_000);
    write("recent-3.json", 3, 4_000);
    writeFileSync(path.join(dir, "notes.txt"), "not a snapshot; retention must keep it\n");

    const app = await startApp({
      script: "better-sqlite3-app.cjs",
      loader: "require",
      mode: "block",
      env: {
        ...fixture.env,
        RAMPART_SNAPSHOT_DIR: dir,
        RAMPART_SNAPSHOT_MAX_AGE_DAYS: "7",
        RAMPART_SNAPSHOT_MAX_BYTES: "9000",
      },
    });
    const client = new HttpClient(app.url, 1);
    try {
      assert.equal((await client.get("/param?name=alice")).status, 200);
      const expected = ["notes.txt", "recent-1.json", "recent-2.json"];
      const deadline = Date.now() + 5_000;
      let names = readdirSync(dir).sort();
      while (names.join() !== expected.join() && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        names = readdirSync(dir).sort();
      }
      assert.deepEqual(names, expected);
    } finally {
      client.close();
      await app.stop();
      fixture.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test("ESM app gets snapshots", async () => {
  const fixture = createFixtureFile();
  const dir = mkdtempSync(path.join(tmpdir(), "rampart-snapshots-"));
  const app = await startApp({
    script: "sqlite3-app.mjs",
    loader: "import",
    mode: "block",
    env: { ...fixture.env, RAMPART_SNAPSHOT_DIR: dir },
  });
  const client = new HttpClient(app.url, 1);
  try {
    const response = await client.get(attackPath, attackHeaders());
    assert.equal(response.status, 403);
    const eventId = blockedEventId(response.body);

    const snapshot = await waitForSnapshot(dir, eventId);
    assert.ok(snapshot, `no snapshot ${eventId}.json in ${dir}`);
    assert.equal(snapshot.sink, "sqlite3.all");
    assert.equal(
      snapshot.request?.headers.authorization,
      `[redacted ${secrets.bearer.length} chars]`,
    );
    assert.ok(snapshot.timings.time_to_detect_ms !== null, "time to detect missing");
  } finally {
    client.close();
    await app.stop();
    fixture.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});
