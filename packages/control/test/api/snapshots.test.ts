import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { deleteOldEvents } from "../../src/events/retention";
import {
  agentRequest,
  createAgentToken,
  registerAgent,
  startControl,
  type RunningControl,
} from "../helpers/control-client";
import { databaseKinds, type TestDatabase } from "../helpers/databases";

const eventId = "00000000-0000-4000-8000-00000000abcd";

/** An event and its snapshot as the agent sends them, both already redacted by the agent. */
const event = {
  time: new Date().toISOString(),
  event_id: eventId,
  attack_type: "sql_injection",
  sink: "pg.query",
  action: "blocked",
  reason: "spans-tokens",
  input: { source: "query", path: "query.name", value: "x' OR '1'='1", length: 12 },
  operation: "SELECT 1",
  request: { method: "GET", path: "/users", route: "/users", client_ip: "203.0.113.7" },
  stack: [],
  agent: { name: "rampart", version: "0.1.0", mode: "block" },
};
const snapshot = {
  snapshot_version: 1,
  event_id: eventId,
  time: event.time,
  attack_type: "sql_injection",
  action: "blocked",
  request: { method: "GET", url: "/users?name=x", headers: { "user-agent": "curl/8" } },
  timings: { inspection_ms: 0.42, time_to_block_ms: 3.1 },
};

for (const { kind, create } of databaseKinds) {
  describe(`forensic snapshots on ${kind}`, () => {
    let database: TestDatabase;
    let control: RunningControl;
    let token: string;
    let agentId: string;

    before(async () => {
      database = await create();
      control = await startControl(database);
      token = await createAgentToken(control.admin, "shop", "production");
      agentId = await registerAgent(control.plane.url, token, "pod-1");
    });
    after(async () => {
      await control?.stop();
      await database?.drop();
    });

    const send = (body: unknown) =>
      agentRequest<{ snapshots: { accepted: number; rejected: number } }>(
        control.plane.url,
        token,
        "POST",
        `/api/agents/${agentId}/events`,
        body,
      );

    test("snapshot shown with its event", async () => {
      const sent = await send({ events: [event], snapshots: [snapshot] });
      assert.equal(sent.status, 202);
      assert.deepEqual(sent.body.snapshots, { accepted: 1, rejected: 0 });

      const detail = await control.admin.request<{ snapshot: unknown }>(
        "GET",
        `/api/events/${eventId}`,
      );
      assert.equal(detail.status, 200);
      assert.deepEqual(detail.body.snapshot, snapshot);
    });

    test("snapshot sent again stored once", async () => {
      const again = await send({ events: [], snapshots: [snapshot] });
      assert.deepEqual(again.body.snapshots, { accepted: 0, rejected: 0 });
    });

    test("malformed snapshots counted, not stored", async () => {
      const bad = await send({
        events: [],
        snapshots: [{ timings: {} }, "text", { event_id: "x".repeat(101) }],
      });
      assert.equal(bad.status, 202);
      assert.deepEqual(bad.body.snapshots, { accepted: 0, rejected: 3 });

      const notList = await send({ events: [], snapshots: { event_id: eventId } });
      assert.equal(notList.status, 400);
    });

    test("event without snapshot shows null", async () => {
      const other = { ...event, event_id: "00000000-0000-4000-8000-00000000abce" };
      await send({ events: [other] });
      const detail = await control.admin.request<{ snapshot: unknown }>(
        "GET",
        `/api/events/${other.event_id}`,
      );
      assert.equal(detail.body.snapshot, null);
    });

    test("retention removes old snapshots", async () => {
      const aMonthLater = Date.now() + 31 * 24 * 60 * 60 * 1000;
      await deleteOldEvents(control.db, 30, aMonthLater);
      const rows = await control.db.all("SELECT event_id FROM snapshots");
      assert.equal(rows.length, 0);
    });
  });
}
