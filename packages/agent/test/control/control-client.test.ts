import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";
import { freePort, TestControlPlane, waitFor, type AgentView } from "./control-plane";

const service = "shop";
const environment = "production";
const blockPolicy = "mode: block\n";
const monitorPolicy = "mode: monitor\n";

const attackPath = (marker: string) =>
  `/query?filter[name]=${encodeURIComponent(`x' OR '${marker}'='${marker}`)}`;
const benignPath = "/query?filter[name]=lamp";

async function statusOf(app: RunningApp, path: string): Promise<number> {
  const response = await fetch(`${app.url}${path}`);
  await response.arrayBuffer();
  return response.status;
}

/**
 * Sends 20 pairs of an attack (expecting 403) and a benign request (expecting 200) and returns the
 * slowest pair's time, in milliseconds.
 */
async function slowestRequestPair(app: RunningApp, marker: string): Promise<number> {
  let slowest = 0;
  for (let index = 0; index < 20; index++) {
    const started = performance.now();
    assert.equal(await statusOf(app, attackPath(`${marker}${index}`)), 403);
    assert.equal(await statusOf(app, benignPath), 200);
    slowest = Math.max(slowest, performance.now() - started);
  }
  return slowest;
}

async function eventCount(control: TestControlPlane, agentId: string): Promise<number> {
  const row = await control.db.get<{ count: number }>(
    "SELECT COUNT(*) AS count FROM events WHERE agent_id = ?",
    [agentId],
  );
  return Number(row?.count ?? 0);
}

/** Starts the Express test app under the agent, connected to the control plane. */
function startAgentApp(
  control: TestControlPlane,
  token: string,
  instance: string,
  env: Record<string, string> = {},
): Promise<RunningApp> {
  return startApp({
    script: "frameworks/express.cjs",
    loader: "require",
    env: {
      FRAMEWORK: "express4",
      // Empty, so that the delivered policy decides the mode (a set variable would override it).
      RAMPART_MODE: "",
      RAMPART_CONTROL_URL: control.url,
      RAMPART_TOKEN: token,
      RAMPART_INSTANCE: instance,
      ...env,
    },
  });
}

describe("agent control plane client", () => {
  let control: TestControlPlane;
  let token: string;
  let app: RunningApp;
  let agent: AgentView;

  before(async () => {
    control = await TestControlPlane.start();
    token = await control.createToken(service, environment);
    app = await startAgentApp(control, token, "shop-1");
  });
  after(async () => {
    await app?.stop();
    await control?.close();
  });

  const agentRow = async () =>
    (await control.agents(service)).find((candidate) => candidate.instance === "shop-1");

  test("agent registers with versions and instance", async () => {
    agent = await waitFor("registration", agentRow);
    assert.equal(agent.agent_version, "0.1.0");
    assert.equal(agent.node_version, process.version);
    assert.equal(agent.online, true);
    assert.equal(agent.applied_version, null);
    assert.doesNotMatch(app.stderr(), new RegExp(token), "the token must never be logged");
  });

  test("canary policy applies within 5 seconds and is acknowledged", async () => {
    // Draw 0 is inside every canary, so a 50 % canary contains this agent.
    await control.db.run("UPDATE agents SET canary_draw = 0 WHERE id = ?", [agent.id]);
    assert.equal(await statusOf(app, attackPath("a")), 200, "monitor mode before the rollout");

    const policy = await control.createPolicy(service, environment, blockPolicy);
    const started = Date.now();
    await control.rollout(policy.id, 50);
    await waitFor("block mode", async () =>
      (await statusOf(app, attackPath("b"))) === 403 ? true : undefined,
    );
    const lagMs = Date.now() - started;
    console.log(`policy applied ${lagMs} ms after the rollout started`);
    assert.ok(lagMs < 5000, `applied after ${lagMs} ms`);

    const acked = await waitFor("acknowledgement", async () => {
      const row = await agentRow();
      return row?.applied_version === `${service}/${environment}@1` ? row : undefined;
    });
    assert.notEqual(acked.applied_at, null);
  });

  test("events reach the control plane with the delivered version", async () => {
    assert.equal(await statusOf(app, attackPath("c")), 403);
    const rows = await waitFor("stored events", async () => {
      const found = await control.db.all<{ policy_version: string; action: string }>(
        "SELECT policy_version, action FROM events WHERE agent_id = ? AND action = 'blocked'",
        [agent.id],
      );
      return found.length >= 2 ? found : undefined;
    });
    for (const row of rows) assert.equal(row.policy_version, `${service}/${environment}@1`);
  });

  test("rolled-back canary returns the agent to local settings", async () => {
    const rollouts = await control.admin.request<{ rollouts: { id: string }[] }>(
      "GET",
      `/api/rollouts?service=${service}`,
    );
    const canary = rollouts.body.rollouts[0]!;
    const decided = await control.admin.request("POST", `/api/rollouts/${canary.id}/rollback`, {
      reason: "test",
    });
    assert.equal(decided.status, 200);

    await waitFor("local settings", async () =>
      (await statusOf(app, attackPath("d"))) === 200 ? true : undefined,
    );
    const row = await waitFor("acknowledgement of local settings", async () => {
      const current = await agentRow();
      return current?.applied_version === null ? current : undefined;
    });
    assert.equal(row.applied_version, null);
  });

  test("rejected policy is reported and the last good one kept", async () => {
    const good = await control.createPolicy(service, environment, blockPolicy);
    await control.rollout(good.id, 100);
    await waitFor("block mode", async () =>
      (await statusOf(app, attackPath("e"))) === 403 ? true : undefined,
    );

    // A key this agent does not know, as a newer agent's policy would have. The control plane
    // checks policies with its own copy of the validator, so the row is written directly.
    await control.db.run(
      `INSERT INTO policies (id, service, environment, version, content, content_hash, comment, created_by, created_at)
       VALUES ('future', ?, ?, 3, ?, 'future', 'newer agent key', 'admin', ?)`,
      [service, environment, "mode: monitor\nfutureSetting: true\n", Date.now()],
    );
    await control.rollout("future", 100);

    const row = await waitFor("rejection", async () => {
      const current = await agentRow();
      return current?.rejected_version === `${service}/${environment}@3` ? current : undefined;
    });
    assert.equal(row.applied_version, `${service}/${environment}@2`);
    assert.notEqual(row.rejected_problems, null);
    assert.ok(row.rejected_problems!.length > 0);
    assert.match(row.rejected_problems!.join("\n"), /futureSetting/);
    assert.equal(await statusOf(app, attackPath("f")), 403, "the last good policy stays");
  });

  test("outage keeps requests fast, buffers events, then resumes", async () => {
    const before = await waitFor("events delivered so far", async () => {
      const count = await eventCount(control, agent.id);
      return count >= 4 ? count : undefined;
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const delivered = await eventCount(control, agent.id);
    assert.ok(delivered >= before);
    await control.stopServer();

    const slowest = await slowestRequestPair(app, "outage");
    console.log(`slowest request pair while the control plane was down: ${slowest.toFixed(1)} ms`);
    assert.ok(slowest < 1000, `a request pair took ${slowest} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(await eventCount(control, agent.id), delivered, "nothing stored while down");
    assert.match(app.stderr(), /control plane unreachable/);

    await control.restartServer();
    await waitFor(
      "buffered events",
      async () => ((await eventCount(control, agent.id)) >= delivered + 20 ? true : undefined),
      20_000,
    );
    const outageLogs = app.stderr().match(/control plane unreachable/g) ?? [];
    assert.equal(outageLogs.length, 1, "one log line per outage");

    const next = await control.createPolicy(service, environment, monitorPolicy);
    await control.rollout(next.id, 100);
    await waitFor(
      "policy sync after the restart",
      async () => ((await statusOf(app, attackPath("g"))) === 200 ? true : undefined),
      20_000,
    );
    const row = await waitFor("acknowledgement after the restart", async () => {
      const current = await agentRow();
      return current?.applied_version === `${service}/${environment}@4` ? current : undefined;
    });
    assert.equal(row.applied_version, `${service}/${environment}@4`);
    assert.doesNotMatch(app.stderr(), new RegExp(token), "the token must never be logged");
  });

  test("flood while down keeps the newest buffered events", async () => {
    const metricsPort = await freePort();
    await control.stopServer();
    const flooded = await startAgentApp(control, token, "shop-flood", {
      RAMPART_MODE: "monitor",
      RAMPART_CONTROL_BUFFER: "100",
      RAMPART_PROMETHEUS_PORT: String(metricsPort),
    });
    try {
      for (let index = 0; index < 250; index++)
        assert.equal(await statusOf(flooded, attackPath(`flood${index}`)), 200);

      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const dropped =
        /rampart_events_dropped_total\{exporter="control",reason="queue_full"\} (\d+)/.exec(
          metrics,
        );
      assert.equal(
        Number(dropped?.[1]),
        150,
        metrics
          .split("\n")
          .filter((line) => line.includes("dropped"))
          .join("\n"),
      );

      await control.restartServer();
      const row = await waitFor(
        "registration after the restart",
        async () =>
          (await control.agents(service)).find((candidate) => candidate.instance === "shop-flood"),
        20_000,
      );
      const stored = await waitFor(
        "the buffered events",
        async () => {
          const count = await eventCount(control, row.id);
          return count >= 100 ? count : undefined;
        },
        20_000,
      );
      assert.equal(stored, 100);
      const markers = await control.db.all<{ payload: string }>(
        "SELECT payload FROM events WHERE agent_id = ?",
        [row.id],
      );
      assert.ok(
        markers.some((event) => event.payload.includes("flood249")),
        "the newest is kept",
      );
      assert.ok(
        !markers.some((event) => event.payload.includes("flood0'")),
        "the oldest is dropped",
      );
    } finally {
      await flooded.stop();
    }
  });
});

describe("agent with an unresponsive control plane", () => {
  let silent: net.Server;
  const sockets = new Set<net.Socket>();
  let app: RunningApp;

  before(async () => {
    // Accepts connections and reads every request, but never responds.
    silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.resume();
    });
    silent.listen(0, "127.0.0.1");
    await once(silent, "listening");
    const { port } = silent.address() as net.AddressInfo;

    app = await startApp({
      script: "frameworks/express.cjs",
      loader: "require",
      env: {
        FRAMEWORK: "express4",
        RAMPART_MODE: "block",
        RAMPART_CONTROL_URL: `http://127.0.0.1:${port}`,
        RAMPART_TOKEN: "token-of-a-silent-control-plane",
        RAMPART_INSTANCE: "shop-silent",
      },
    });
  });
  after(async () => {
    await app?.stop();
    for (const socket of sockets) socket.destroy();
    silent?.close();
  });

  test("requests stay fast and protected", async () => {
    await waitFor("a connection to the control plane", async () =>
      sockets.size > 0 ? true : undefined,
    );

    const slowest = await slowestRequestPair(app, "silent");
    assert.ok(slowest < 1000, `a request pair took ${slowest} ms`);
  });
});

describe("agent snapshots sent to the control plane", () => {
  let control: TestControlPlane;
  let app: RunningApp;
  let snapshotDir: string;

  before(async () => {
    control = await TestControlPlane.start();
    const token = await control.createToken(service, environment);
    snapshotDir = mkdtempSync(path.join(tmpdir(), "rampart-snapshots-"));
    app = await startAgentApp(control, token, "shop-snapshots", {
      RAMPART_MODE: "block",
      RAMPART_SNAPSHOTS: "blocks",
      RAMPART_SNAPSHOT_DIR: snapshotDir,
    });
  });
  after(async () => {
    await app?.stop();
    await control?.close();
    rmSync(snapshotDir, { recursive: true, force: true });
  });

  test("blocked request's snapshot stored with its event", async () => {
    assert.equal(await statusOf(app, attackPath("snap")), 403);

    const row = await waitFor(
      "the snapshot at the control plane",
      async () =>
        (
          await control.db.all<{ event_id: string; content: string }>(
            "SELECT event_id, content FROM snapshots",
          )
        )[0],
      20_000,
    );
    const snapshot = JSON.parse(row.content) as {
      event_id: string;
      action: string;
      timings: { time_to_block_ms?: number };
    };
    assert.equal(snapshot.event_id, row.event_id);
    assert.equal(snapshot.action, "blocked");
    assert.equal(typeof snapshot.timings.time_to_block_ms, "number");

    const event = await control.db.get<{ id: string }>("SELECT id FROM events WHERE id = ?", [
      row.event_id,
    ]);
    assert.equal(event?.id, row.event_id, "the event of the snapshot is stored too");
  });
});

describe("agent with a busy control plane", () => {
  /** Each events call: when it came (ms since the test started), its status, its event ids. */
  const calls: { at: number; status: number; ids: string[] }[] = [];
  const started = performance.now();
  let stub: http.Server;
  let app: RunningApp;

  before(async () => {
    // The agent's side of the API, with an event store that is busy for the first batch.
    stub = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        const url = req.url ?? "";
        if (url.endsWith("/register")) return sendJson(res, 200, { agent_id: "busy-1" });
        if (url.includes("/policy")) {
          // A long poll that ends without a change.
          setTimeout(() => res.writeHead(304).end(), 500);
          return undefined;
        }
        if (!url.endsWith("/events")) return sendJson(res, 200, { ok: true });

        const ids = (JSON.parse(body) as { events: { event_id: string }[] }).events.map(
          (event) => event.event_id,
        );
        const status = calls.length === 0 ? 429 : 202;
        calls.push({ at: performance.now() - started, status, ids });
        if (status === 429) {
          res.writeHead(429, { "retry-after": "1", "content-type": "application/json" });
          return res.end('{"error":{"code":"busy"}}');
        }
        return sendJson(res, 202, { accepted: ids.length, duplicates: 0, rejected: 0 });
      });
    });
    stub.listen(0, "127.0.0.1");
    await once(stub, "listening");

    app = await startApp({
      script: "frameworks/express.cjs",
      loader: "require",
      env: {
        FRAMEWORK: "express4",
        RAMPART_MODE: "block",
        RAMPART_CONTROL_URL: `http://127.0.0.1:${(stub.address() as net.AddressInfo).port}`,
        RAMPART_TOKEN: "token-of-a-busy-control-plane",
        RAMPART_INSTANCE: "shop-busy",
      },
    });
  });
  after(async () => {
    await app?.stop();
    stub?.closeAllConnections();
    stub?.close();
  });

  test("429 retried after Retry-After", async () => {
    assert.equal(await statusOf(app, attackPath("busy")), 403);

    const delivered = await waitFor(
      "a batch taken after the busy answer",
      async () => calls.find((call) => call.status === 202),
      20_000,
    );
    const busy = calls[0]!;
    assert.equal(busy.status, 429);
    assert.deepEqual(delivered.ids, busy.ids, "the same events are sent again");
    assert.ok(
      delivered.at - busy.at >= 900,
      `sent again after ${(delivered.at - busy.at).toFixed(0)} ms, before Retry-After`,
    );
  });
});

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
