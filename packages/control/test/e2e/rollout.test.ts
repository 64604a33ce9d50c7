import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp } from "../../../agent/test/helpers/app-process";
import { startControl, type RunningControl } from "../helpers/control-client";
import { databaseKinds, type TestDatabase } from "../helpers/databases";

const service = "storefront";
const environment = "production";
const attackPath = `/query?filter[name]=${encodeURIComponent("x' OR '1'='1")}`;

interface AgentView {
  readonly id: string;
  readonly instance: string;
  readonly canary_draw: number;
  readonly applied_version: string | null;
}

interface RolloutView {
  readonly id: string;
  readonly state: string;
  readonly decided_by: string | null;
  readonly reason: string | null;
}

interface SyncLagView {
  readonly synced: number;
  readonly pending: number;
  readonly maxLagMs: number;
}

async function waitFor<T>(
  description: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      assert.fail(`timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function attackStatus(app: RunningApp): Promise<number> {
  const response = await fetch(`${app.url}${attackPath}`);
  await response.arrayBuffer();
  return response.status;
}

for (const { kind, create } of databaseKinds) {
  describe(`rollout end to end on ${kind}`, () => {
    let database: TestDatabase;
    let control: RunningControl;
    const apps = new Map<string, RunningApp>();
    let canary: AgentView;
    let stable: AgentView;
    let canaryPercent: number;

    before(async () => {
      database = await create();
      control = await startControl(database);
      const created = await control.admin.request<{ token: string }>("POST", "/api/tokens", {
        name: "storefront agents",
        service,
        environment,
      });
      assert.equal(created.status, 201);

      for (const instance of ["storefront-a", "storefront-b"]) {
        const app = await startApp({
          script: "frameworks/express.cjs",
          loader: "require",
          env: {
            FRAMEWORK: "express4",
            // Empty, so that the delivered policy decides the mode.
            RAMPART_MODE: "",
            RAMPART_CONTROL_URL: control.plane.url,
            RAMPART_TOKEN: created.body.token,
            RAMPART_INSTANCE: instance,
          },
        });
        apps.set(instance, app);
      }
    });
    after(async () => {
      await Promise.all([...apps.values()].map((app) => app.stop()));
      await control?.stop();
      await database?.drop();
    });

    const agents = async (): Promise<AgentView[]> => {
      const response = await control.admin.request<{ agents: AgentView[] }>(
        "GET",
        `/api/agents?service=${service}&environment=${environment}`,
      );
      assert.equal(response.status, 200);
      return response.body.agents;
    };
    const appOf = (agent: AgentView): RunningApp => apps.get(agent.instance)!;
    const version = (n: number) => `${service}/${environment}@${n}`;

    async function createPolicy(content: string): Promise<string> {
      const response = await control.admin.request<{ id: string }>("POST", "/api/policies", {
        service,
        environment,
        content,
        comment: "end-to-end test",
      });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return response.body.id;
    }

    async function rollout(
      policyId: string,
      percent: number,
      thresholds?: Record<string, number>,
    ): Promise<RolloutView> {
      const response = await control.admin.request<RolloutView>("POST", "/api/rollouts", {
        policy_id: policyId,
        canary_percent: percent,
        thresholds,
        reason: "end-to-end test",
      });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return response.body;
    }

    /** Waits until every agent acknowledged its expected version, then reads and prints the sync lag. */
    async function synced(expected: Map<string, string>, step: string): Promise<SyncLagView> {
      await waitFor(`acknowledgements after ${step}`, async () => {
        const list = await agents();
        return list.every((agent) => agent.applied_version === expected.get(agent.instance))
          ? true
          : undefined;
      });
      const lag = await control.admin.request<SyncLagView>(
        "GET",
        `/api/sync-lag?service=${service}&environment=${environment}`,
      );
      assert.equal(lag.status, 200);
      console.log(
        `${kind}: fleet sync lag after ${step}: ${lag.body.maxLagMs} ms (${lag.body.synced} synced, ${lag.body.pending} pending)`,
      );
      assert.equal(lag.body.pending, 0);
      assert.equal(lag.body.synced, 2);
      assert.ok(lag.body.maxLagMs < 5000, `sync lag ${lag.body.maxLagMs} ms`);
      return lag.body;
    }

    test("both agents register and pick a canary", async () => {
      const registered = await waitFor("both registrations", async () => {
        const list = await agents();
        return list.length === 2 ? list : undefined;
      });
      let [low, high] = [...registered].sort((a, b) => a.canary_draw - b.canary_draw) as [
        AgentView,
        AgentView,
      ];
      // Draws are random; when both fall in the same percent, the test spreads them itself.
      if (Math.floor(low.canary_draw / 100) === Math.floor(high.canary_draw / 100)) {
        await control.db.run("UPDATE agents SET canary_draw = ? WHERE id = ?", [1000, low.id]);
        await control.db.run("UPDATE agents SET canary_draw = ? WHERE id = ?", [9000, high.id]);
        low = { ...low, canary_draw: 1000 };
        high = { ...high, canary_draw: 9000 };
      }
      canary = low;
      stable = high;
      canaryPercent = Math.floor(low.canary_draw / 100) + 1;
      assert.ok(canary.canary_draw < canaryPercent * 100);
      assert.ok(stable.canary_draw >= canaryPercent * 100);
    });

    test("monitor policy for all agents", async () => {
      const v1 = await createPolicy("mode: monitor\n");
      await rollout(v1, 100);
      await synced(
        new Map([
          [canary.instance, version(1)],
          [stable.instance, version(1)],
        ]),
        "v1 to all",
      );
      assert.equal(await attackStatus(appOf(canary)), 200);
      assert.equal(await attackStatus(appOf(stable)), 200);
    });

    test("block policy on the canary only, then promoted", async () => {
      const v2 = await createPolicy("mode: block\n");
      const started = await rollout(v2, canaryPercent);
      assert.equal(started.state, "canary");
      await synced(
        new Map([
          [canary.instance, version(2)],
          [stable.instance, version(1)],
        ]),
        `v2 to a ${canaryPercent} % canary`,
      );
      assert.equal(await attackStatus(appOf(canary)), 403, "blocked on the canary agent");
      assert.equal(await attackStatus(appOf(stable)), 200, "only monitored on the other");

      const promoted = await control.admin.request<RolloutView>(
        "POST",
        `/api/rollouts/${started.id}/promote`,
        { reason: "canary looks good" },
      );
      assert.equal(promoted.status, 200);
      await synced(
        new Map([
          [canary.instance, version(2)],
          [stable.instance, version(2)],
        ]),
        "v2 promoted",
      );
      assert.equal(await attackStatus(appOf(canary)), 403);
      assert.equal(await attackStatus(appOf(stable)), 403);
    });

    test("canary breaching its thresholds rolls back on its own", async () => {
      const v3 = await createPolicy("mode: block\ndetectors:\n  sql_injection: block\n");
      const started = await rollout(v3, canaryPercent, { maxBlockRate: 0, minRequests: 5 });
      await synced(
        new Map([
          [canary.instance, version(3)],
          [stable.instance, version(2)],
        ]),
        `v3 to a ${canaryPercent} % canary`,
      );

      for (let index = 0; index < 10; index++) assert.equal(await attackStatus(appOf(canary)), 403);

      // The next heartbeat (every 10 s) carries the blocks, and the evaluator runs every 2 s.
      const decided = await waitFor(
        "automatic rollback",
        async () => {
          const response = await control.admin.request<{ rollouts: RolloutView[] }>(
            "GET",
            `/api/rollouts?service=${service}&environment=${environment}`,
          );
          const current = response.body.rollouts.find((rollout) => rollout.id === started.id);
          return current?.state === "canary" ? undefined : current;
        },
        30_000,
      );
      assert.equal(decided.state, "rolled_back");
      assert.equal(decided.decided_by, "automatic");
      assert.match(decided.reason ?? "", /block rate/);

      await synced(
        new Map([
          [canary.instance, version(2)],
          [stable.instance, version(2)],
        ]),
        "the automatic rollback",
      );
      assert.equal(await attackStatus(appOf(canary)), 403, "v2 blocks again");
    });
  });
}
