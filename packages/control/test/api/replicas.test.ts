import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
  ensureFirstAdmin,
  openDatabase,
  startServer,
  type ControlPlane,
  type Database,
} from "../../src/index";
import { evaluateRollouts } from "../../src/fleet/rollout-evaluator";
import { migrations } from "../../src/store/migrations";
import {
  AdminClient,
  adminPassword,
  agentRequest,
  createAgentToken,
  registerAgent,
} from "../helpers/control-client";
import { createPostgresDatabase, type TestDatabase } from "../helpers/databases";

describe("two replicas on one PostgreSQL database", () => {
  let database: TestDatabase;
  const replicas: { db: Database; plane: ControlPlane }[] = [];

  before(async () => {
    database = await createPostgresDatabase();
    // Both start at once: the migration lock lets one create the schema while the other waits.
    const dbs = await Promise.all([
      openDatabase(database.location),
      openDatabase(database.location),
    ]);
    await ensureFirstAdmin(dbs[0] as Database, "admin", adminPassword);
    for (const db of dbs)
      replicas.push({ db, plane: await startServer(db, { port: 0, host: "127.0.0.1" }) });
  });
  after(async () => {
    for (const replica of replicas) {
      await replica.plane.close();
      await replica.db.close();
    }
    await database?.drop();
  });

  test("the schema was migrated once", async () => {
    const rows = await (replicas[0] as { db: Database }).db.all(
      "SELECT version FROM schema_migrations",
    );
    assert.equal(rows.length, migrations.length);
  });

  test("writes on one replica serve the other", async () => {
    const [a, b] = replicas.map((replica) => replica.plane.url) as [string, string];
    const adminOnA = await AdminClient.signIn(a, "admin", adminPassword);
    // The session lives in the database, so the other replica accepts the same cookie.
    const session = await fetch(`${b}/api/session`, { headers: { cookie: adminOnA.cookie } });
    assert.equal(session.status, 200);

    const token = (
      await adminOnA.request<{ token: string }>("POST", "/api/tokens", {
        name: "t",
        service: "api",
        environment: "prod",
      })
    ).body.token;
    const agent = (
      await agentRequest<{ agent_id: string }>(b, token, "POST", "/api/agents/register", {
        instance: "pod",
        agent_version: "0.1.0",
        node_version: "v20",
      })
    ).body.agent_id;
    const etag =
      (await agentRequest(b, token, "GET", `/api/agents/${agent}/policy`)).headers.get("etag") ??
      "";

    // The agent waits on replica B while the admin rolls out on replica A.
    const waiting = agentRequest<{ version: string }>(
      b,
      token,
      "GET",
      `/api/agents/${agent}/policy?wait=20`,
      undefined,
      { "if-none-match": etag },
    );
    const policy = (
      await adminOnA.request<{ id: string }>("POST", "/api/policies", {
        service: "api",
        environment: "prod",
        content: "mode: block\n",
        comment: "block",
      })
    ).body;
    const startedAt = Date.now();
    const rollout = await adminOnA.request("POST", "/api/rollouts", {
      policy_id: policy.id,
      canary_percent: 100,
      reason: "all at once",
    });
    assert.equal(rollout.status, 201);

    const delivered = await waiting;
    assert.equal(delivered.status, 200);
    assert.equal(delivered.body.version, "api/prod@1");
    assert.ok(
      Date.now() - startedAt < 3000,
      `delivered across replicas in ${Date.now() - startedAt} ms`,
    );
  });

  test("concurrent policy versions on both replicas get distinct numbers", async () => {
    const clients = await Promise.all(
      replicas.map((replica) => AdminClient.signIn(replica.plane.url, "admin", adminPassword)),
    );
    const created = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        (clients[index % 2] as AdminClient).request<{ version: number }>("POST", "/api/policies", {
          service: "race",
          environment: "prod",
          content: `mode: monitor\nversion: "v${index}"\n`,
          comment: `version ${index}`,
        }),
      ),
    );
    const versions = created.map((response) => response.body.version).sort((x, y) => x - y);
    assert.deepEqual(versions, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  test("both replicas judge a canary: one decision", async () => {
    const [first] = replicas.map((replica) => replica.plane.url) as [string];
    const admin = await AdminClient.signIn(first, "admin", adminPassword);
    const token = await createAgentToken(admin, "judged", "prod");
    const agentIds: string[] = [];
    for (let index = 0; index < 8; index++) {
      agentIds.push(await registerAgent(first, token, `pod-${index}`));
    }

    const policy = await admin.request<{ id: string }>("POST", "/api/policies", {
      service: "judged",
      environment: "prod",
      content: "mode: block\n",
      comment: "block",
    });
    const rollout = await admin.request<{ id: string }>("POST", "/api/rollouts", {
      policy_id: policy.body.id,
      canary_percent: 99,
      thresholds: { minRequests: 10, maxAgentErrorsPerThousand: 1 },
      reason: "judged by both",
    });
    // Every agent applies what it is given and reports an error rate above the threshold.
    for (const id of agentIds) {
      const delivery = await agentRequest<{ version: string }>(
        first,
        token,
        "GET",
        `/api/agents/${id}/policy`,
      );
      await agentRequest(first, token, "POST", `/api/agents/${id}/ack`, {
        version: delivery.body.version,
      });
      await agentRequest(first, token, "POST", `/api/agents/${id}/heartbeat`, {
        stats: { requests: 1000, internal_errors: 10 },
      });
    }

    const decisions = await Promise.all(replicas.map((replica) => evaluateRollouts(replica.db)));
    const ours = decisions.flat().filter((decision) => decision.id === rollout.body.id);
    // The replicas' own timers may have decided first; at most one run decides either way.
    assert.ok(ours.length <= 1, `${ours.length} decisions`);
    const audit = await admin.request<{
      entries: { action: string; detail: { rollout_id?: string } }[];
    }>("GET", "/api/audit?limit=500");
    const rollbacks = audit.body.entries.filter(
      (entry) => entry.action === "rollout.rollback" && entry.detail.rollout_id === rollout.body.id,
    );
    assert.equal(rollbacks.length, 1, JSON.stringify(audit.body.entries.slice(0, 5)));
  });
});
