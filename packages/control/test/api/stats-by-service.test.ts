import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { agentRequest, startControl, type RunningControl } from "../helpers/control-client";
import { databaseKinds, type TestDatabase } from "../helpers/databases";

interface ServiceCount {
  service: string;
  environment: string;
  action: string;
  count: number;
}

/** Builds a minimal agent event of one action, `secondsAgo` before now. */
function event(id: number, action: string, secondsAgo: number): Record<string, unknown> {
  return {
    time: new Date(Date.now() - secondsAgo * 1000).toISOString(),
    event_id: `10000000-0000-4000-8000-${String(id).padStart(12, "0")}`,
    attack_type: "sql_injection",
    sink: "pg.query",
    action,
    request: { method: "GET", path: "/", client_ip: "203.0.113.9" },
  };
}

for (const { kind, create } of databaseKinds) {
  describe(`stats by service on ${kind}`, () => {
    let database: TestDatabase;
    let control: RunningControl;

    /** Registers an agent of a service and posts its events. */
    async function postEvents(service: string, events: Record<string, unknown>[]): Promise<void> {
      const created = await control.admin.request<{ token: string }>("POST", "/api/tokens", {
        name: service,
        service,
        environment: "production",
      });
      const token = created.body.token;
      const registered = await agentRequest<{ agent_id: string }>(
        control.plane.url,
        token,
        "POST",
        "/api/agents/register",
        { instance: `${service}-1`, agent_version: "0.1.0", node_version: process.version },
      );
      const posted = await agentRequest<{ accepted: number }>(
        control.plane.url,
        token,
        "POST",
        `/api/agents/${registered.body.agent_id}/events`,
        { events },
      );
      assert.equal(posted.body.accepted, events.length);
    }

    before(async () => {
      database = await create();
      control = await startControl(database);
      await postEvents("shop", [
        event(1, "blocked", 60),
        event(2, "blocked", 120),
        event(3, "monitored", 60),
        // Two hours ago: outside the last hour.
        event(4, "blocked", 7200),
      ]);
      await postEvents("billing", [event(5, "blocked", 30)]);
    });
    after(async () => {
      await control?.stop();
      await database?.drop();
    });

    test("blocks of the last hour count per service", async () => {
      const from = Date.now() - 3600_000;
      const stats = await control.admin.request<{ byService: ServiceCount[] }>(
        "GET",
        `/api/stats?from=${from}&action=blocked&bucket=300`,
      );

      assert.equal(stats.status, 200);
      assert.deepEqual(stats.body.byService, [
        { service: "shop", environment: "production", action: "blocked", count: 2 },
        { service: "billing", environment: "production", action: "blocked", count: 1 },
      ]);
    });

    test("each action counts separately", async () => {
      const stats = await control.admin.request<{ byService: ServiceCount[] }>(
        "GET",
        `/api/stats?from=${Date.now() - 3 * 3600_000}&service=shop`,
      );
      const counts = Object.fromEntries(stats.body.byService.map((row) => [row.action, row.count]));

      assert.deepEqual(counts, { blocked: 3, monitored: 1 });
    });
  });
}
