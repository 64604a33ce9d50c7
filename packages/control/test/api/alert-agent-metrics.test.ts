import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";

import { alertValue, evaluateAlerts } from "../../src/alerts/alert-evaluator";
import type { AlertRule } from "../../src/alerts/alert-rules";
import {
  agentRequest,
  createAgentToken,
  registerAgent,
  startControl,
  type RunningControl,
} from "../helpers/control-client";
import { databaseKinds, type TestDatabase } from "../helpers/databases";

/** Maximum wait for a webhook call after the rules were evaluated, in milliseconds. */
const webhookTimeoutMs = 5_000;

for (const { kind, create } of databaseKinds) {
  describe(`alerts on agent figures on ${kind}`, () => {
    let database: TestDatabase;
    let control: RunningControl;
    let receiver: http.Server;
    const received: Record<string, unknown>[] = [];

    before(async () => {
      database = await create();
      control = await startControl(database);
      receiver = http.createServer((req, res) => {
        let body = "";
        req.on("data", (chunk: Buffer) => (body += chunk.toString()));
        req.on("end", () => {
          received.push(JSON.parse(body) as Record<string, unknown>);
          res.end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));

      // Two agents of "orders": 2.5 ms and 0.4 ms of overhead, 6 errors over 2,000 requests.
      const token = await createAgentToken(control.admin, "orders", "production");
      const agents = [
        { instance: "pod-1", stats: { requests: 1500, internal_errors: 6, overhead_ms: 2.5 } },
        { instance: "pod-2", stats: { requests: 500, internal_errors: 0, overhead_ms: 0.4 } },
      ];
      for (const { instance, stats } of agents) {
        const agentId = await registerAgent(control.plane.url, token, instance);
        const beat = await agentRequest(
          control.plane.url,
          token,
          "POST",
          `/api/agents/${agentId}/heartbeat`,
          { stats },
        );
        assert.equal(beat.status, 200);
      }
    });

    after(async () => {
      receiver?.close();
      await control?.stop();
      await database?.drop();
    });

    function rule(metric: AlertRule["metric"], service: string | null = "orders"): AlertRule {
      return {
        id: `test-${metric}`,
        name: metric,
        metric,
        service,
        threshold: 0,
        window_seconds: 60,
        webhook_url: "http://127.0.0.1:9/unused",
        enabled: true,
        last_fired_at: null,
      };
    }

    test("overhead is the largest agent's, in µs", async () => {
      assert.equal(await alertValue(control.db, rule("overhead_us"), Date.now()), 2500);
      assert.equal(await alertValue(control.db, rule("overhead_us", "billing"), Date.now()), 0);
    });

    test("errors per 1,000 requests", async () => {
      assert.equal(await alertValue(control.db, rule("agent_errors"), Date.now()), 3);
    });

    test("sync lag and rollbacks without rollouts", async () => {
      assert.equal(await alertValue(control.db, rule("sync_lag_ms", null), Date.now()), 0);
      assert.equal(await alertValue(control.db, rule("rollbacks"), Date.now()), 0);
    });

    test("rollback counted in its window", async () => {
      const policy = await control.admin.request<{ id: string }>("POST", "/api/policies", {
        service: "orders",
        environment: "production",
        content: "mode: block\n",
        comment: "block",
      });
      const rollout = await control.admin.request<{ id: string }>("POST", "/api/rollouts", {
        policy_id: policy.body.id,
        canary_percent: 10,
        reason: "try blocking",
      });
      const rolledBack = await control.admin.request(
        "POST",
        `/api/rollouts/${rollout.body.id}/rollback`,
        { reason: "too strict" },
      );
      assert.equal(rolledBack.status, 200, JSON.stringify(rolledBack.body));

      assert.equal(await alertValue(control.db, rule("rollbacks"), Date.now()), 1);
      const anHourLater = Date.now() + 3_600_000;
      assert.equal(await alertValue(control.db, rule("rollbacks"), anHourLater), 0);
    });

    test("rule with an invalid service rejected", async () => {
      const rejected = await control.admin.request<{ error: { message: string } }>(
        "POST",
        "/api/alerts",
        {
          name: "bad service",
          metric: "blocks",
          service: "<b>orders</b>",
          threshold: 1,
          window_seconds: 60,
          webhook_url: "http://127.0.0.1:9/hook",
        },
      );
      assert.equal(rejected.status, 400);
      assert.match(rejected.body.error.message, /service must be 1-100 letters/);
    });

    test("overhead rule calls its webhook", async () => {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const created = await control.admin.request("POST", "/api/alerts", {
        name: "agent overhead above 2 ms",
        metric: "overhead_us",
        service: "orders",
        threshold: 2000,
        window_seconds: 60,
        webhook_url: url,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));

      // The control plane also evaluates its rules on a timer; whichever run claims the firing
      // calls the webhook, once.
      await evaluateAlerts(control.db);
      const deadline = Date.now() + webhookTimeoutMs;
      while (!received.some((body) => body.metric === "overhead_us")) {
        assert.ok(Date.now() < deadline, `no webhook call within ${webhookTimeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const calls = received.filter((body) => body.metric === "overhead_us");
      assert.equal(calls.length, 1, "one call per window");
      const call = calls[0];
      assert.equal(call?.value, 2500);
      assert.equal(call?.threshold, 2000);
      assert.equal(call?.service, "orders");
    });
  });
}
