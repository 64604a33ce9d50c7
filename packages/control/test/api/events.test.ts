import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";

import { evaluateAlerts } from "../../src/alerts/alert-evaluator";
import { deleteOldEvents } from "../../src/events/retention";
import { agentRequest, startControl, type RunningControl } from "../helpers/control-client";
import { databaseKinds, type TestDatabase } from "../helpers/databases";

/** Builds an event as the agent writes it, with the fields that the store indexes. */
function agentEvent(
  index: number,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    time: new Date(Date.UTC(2026, 11, 1, 12, 0, index)).toISOString(),
    event_id: `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`,
    attack_type: index % 3 === 0 ? "shell_injection" : "sql_injection",
    sink: "pg.query",
    action: index % 2 === 0 ? "blocked" : "monitored",
    reason: "spans-tokens",
    input: { source: "query", path: "query.name", value: "x' OR '1'='1", length: 12 },
    operation: "SELECT 1",
    request: {
      method: "GET",
      path: "/users",
      route: "/users",
      client_ip: `203.0.113.${index % 4}`,
      request_id: `r${index}`,
    },
    stack: [],
    agent: { name: "rampart", version: "0.1.0", mode: "block" },
    ...overrides,
  };
}

for (const { kind, create } of databaseKinds) {
  describe(`event store on ${kind}`, () => {
    let database: TestDatabase;
    let control: RunningControl;
    let token: string;
    let agentId: string;

    before(async () => {
      database = await create();
      control = await startControl(database);
      token = (
        await control.admin.request<{ token: string }>("POST", "/api/tokens", {
          name: "a",
          service: "shop",
          environment: "production",
        })
      ).body.token;
      agentId = (
        await agentRequest<{ agent_id: string }>(
          control.plane.url,
          token,
          "POST",
          "/api/agents/register",
          {
            instance: "pod-1",
            agent_version: "0.1.0",
            node_version: process.version,
          },
        )
      ).body.agent_id;
    });
    after(async () => {
      await control?.stop();
      await database?.drop();
    });

    test("a batch is stored once, malformed events are reported", async () => {
      const batch = [
        ...Array.from({ length: 30 }, (_, index) => agentEvent(index)),
        { event_id: "x" },
        "not an event",
      ];
      const first = await agentRequest<{ accepted: number; rejected: number; reasons: string[] }>(
        control.plane.url,
        token,
        "POST",
        `/api/agents/${agentId}/events`,
        { events: batch },
      );
      assert.equal(first.status, 202);
      assert.equal(first.body.accepted, 30);
      assert.equal(first.body.rejected, 2);
      assert.match(first.body.reasons[0] ?? "", /events\[30\]: time missing/);

      const retry = await agentRequest<{ accepted: number; duplicates: number }>(
        control.plane.url,
        token,
        "POST",
        `/api/agents/${agentId}/events`,
        { events: batch.slice(0, 30) },
      );
      assert.deepEqual([retry.body.accepted, retry.body.duplicates], [0, 30]);
    });

    test("filters and pages return each matching event once, newest first", async () => {
      const seen: string[] = [];
      let before: string | null = null;
      do {
        const query: string = `/api/events?type=sql_injection&action=blocked&limit=4${before === null ? "" : `&before=${encodeURIComponent(before)}`}`;
        const page = await control.admin.request<{
          events: { id: string; attack_type: string; action: string; time: number }[];
          next: string | null;
        }>("GET", query);
        assert.equal(page.status, 200);
        for (const event of page.body.events) {
          assert.equal(event.attack_type, "sql_injection");
          assert.equal(event.action, "blocked");
        }
        seen.push(...page.body.events.map((event) => event.id));
        before = page.body.next;
      } while (before !== null);

      const expected = Array.from({ length: 30 }, (_, index) => index).filter(
        (index) => index % 3 !== 0 && index % 2 === 0,
      );
      assert.equal(seen.length, expected.length);
      assert.equal(new Set(seen).size, seen.length);

      const byClient = await control.admin.request<{ events: unknown[] }>(
        "GET",
        "/api/events?client=203.0.113.1&limit=500",
      );
      // Indexes 1, 5, 9, ..., 29 carry this address.
      assert.equal(byClient.body.events.length, 8);

      const all = await control.admin.request<{ events: unknown[] }>(
        "GET",
        "/api/events?limit=500",
      );
      const byRoute = await control.admin.request<{ events: { route: string }[] }>(
        "GET",
        "/api/events?route=%2Fusers&limit=500",
      );
      assert.equal(byRoute.body.events.length, all.body.events.length);
      assert.ok(byRoute.body.events.every((event) => event.route === "/users"));
      const otherRoute = await control.admin.request<{ events: unknown[] }>(
        "GET",
        "/api/events?route=%2Forders&limit=500",
      );
      assert.equal(otherRoute.body.events.length, 0);
    });

    test("one event has its payload; counts by type and over time add up", async () => {
      const event = await control.admin.request<{ payload: { input: { value: string } } }>(
        "GET",
        `/api/events/${String(agentEvent(2).event_id)}`,
      );
      assert.equal(event.status, 200);
      assert.equal(event.body.payload.input.value, "x' OR '1'='1");

      const stats = await control.admin.request<{
        byType: { count: number }[];
        overTime: { count: number }[];
      }>("GET", `/api/stats?from=${Date.UTC(2026, 11, 1)}&bucket=60`);
      assert.equal(stats.status, 200);
      const total = (rows: { count: number }[]) => rows.reduce((sum, row) => sum + row.count, 0);
      assert.equal(total(stats.body.byType), 30);
      assert.equal(total(stats.body.overTime), 30);
    });

    test("marking a false positive proposes the narrowest allow rule", async () => {
      const marked = await control.admin.request<{ rule: Record<string, string> }>(
        "POST",
        `/api/events/${String(agentEvent(1).event_id)}/false-positive`,
        { reason: "name search" },
      );
      assert.equal(marked.status, 200);
      assert.deepEqual(marked.body.rule, {
        attackType: "sql_injection",
        route: "/users",
        input: "query.name",
      });

      const proposals = await control.admin.request<{
        rules: { rule: Record<string, string>; events: number }[];
      }>("GET", "/api/proposals?service=shop&environment=production");
      assert.deepEqual(proposals.body.rules, [{ rule: marked.body.rule, events: 1 }]);
    });

    test("an alert rule above its threshold calls its webhook once per window", async () => {
      const received: unknown[] = [];
      const receiver = http.createServer((req, res) => {
        let body = "";
        req.on("data", (chunk: Buffer) => (body += chunk.toString()));
        req.on("end", () => {
          received.push(JSON.parse(body));
          res.end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
      try {
        const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
        const rule = await control.admin.request("POST", "/api/alerts", {
          name: "blocks spike",
          metric: "blocks",
          threshold: 5,
          window_seconds: 60,
          webhook_url: url,
        });
        assert.equal(rule.status, 201, JSON.stringify(rule.body));

        // The stored events are from 2026-12-01; count them as if it were shortly after.
        const now = Date.UTC(2026, 11, 1, 12, 0, 40);
        const fired = await evaluateAlerts(control.db, now);
        assert.equal(fired.length, 1);
        assert.equal(fired[0]?.value, 15);
        assert.equal(
          (await evaluateAlerts(control.db, now + 1000)).length,
          0,
          "not again within the window",
        );
        assert.deepEqual((received[0] as { alert: string; value: number }).value, 15);
      } finally {
        receiver.close();
      }
    });

    test("retention deletes events older than the limit", async () => {
      const deleted = await deleteOldEvents(control.db, 1, Date.UTC(2026, 11, 2, 12, 0, 15));
      assert.equal(deleted, 15);
      const left = await control.admin.request<{ events: unknown[] }>(
        "GET",
        "/api/events?limit=500",
      );
      assert.equal(left.body.events.length, 15);
    });

    test("bad filters are refused with a message", async () => {
      const bad = await control.admin.request<{ error: { message: string } }>(
        "GET",
        "/api/events?from=yesterday",
      );
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, /from must be an ISO date/);
    });
  });
}
