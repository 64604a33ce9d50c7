import assert from "node:assert/strict";
import { after, describe, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";

/** Requests sent per test: enough for the primary's round-robin to reach both workers. */
const requestCount = 8;

describe("cluster", () => {
  const apps: RunningApp[] = [];
  after(() => Promise.all(apps.map((app) => app.stop())));

  test("each forked worker writes events", async () => {
    const app = await startApp({ script: "cluster-http.cjs", loader: "require", mode: "monitor" });
    apps.push(app);

    // In monitor mode the command runs and the response names the worker's pid; the nonce in
    // each attack ties its event to the response.
    const workerByNonce = new Map<string, number>();
    for (let i = 0; i < requestCount; i++) {
      const nonce = `n${i}`;
      const response = await fetch(`${app.url}/?name=${encodeURIComponent(`x; echo ${nonce}`)}`);
      assert.equal(response.status, 200, app.stderr());
      const body = (await response.json()) as { output: string; pid: number; node: string };
      assert.equal(body.node, process.version, "workers run on the test's Node.js");
      assert.match(body.output, new RegExp(`^${nonce}$`, "m"), "the command ran (monitor mode)");
      workerByNonce.set(nonce, body.pid);
    }

    const pids = new Set(workerByNonce.values());
    assert.equal(pids.size, 2, `both workers served requests: ${[...pids].join(", ")}`);
    assert.ok(!pids.has(app.process.pid ?? -1), "the primary served no request");

    const events = await app.waitForEvents(requestCount);
    assert.equal(events.length, requestCount, app.stderr());

    const pidsWithEvents = new Set<number>();
    for (const event of events) {
      assert.equal(event.attack_type, "shell_injection");
      assert.equal(event.action, "monitored");
      const nonce = /n\d+/.exec(event.input.value)?.[0];
      assert.ok(nonce !== undefined, `event input names its request: ${event.input.value}`);
      const pid = workerByNonce.get(nonce);
      assert.ok(pid !== undefined, `nonce ${nonce} was sent by this test`);
      pidsWithEvents.add(pid);
    }
    assert.deepEqual([...pidsWithEvents].sort(), [...pids].sort());
  });

  test("each forked worker blocks", async () => {
    const app = await startApp({ script: "cluster-http.cjs", loader: "require", mode: "block" });
    apps.push(app);

    const eventIds = new Set<string>();
    for (let i = 0; i < requestCount; i++) {
      const response = await fetch(`${app.url}/?name=${encodeURIComponent("x; id")}`);
      assert.equal(response.status, 403, app.stderr());
      eventIds.add(((await response.json()) as { event_id: string }).event_id);
    }
    assert.equal(eventIds.size, requestCount);

    const events = await app.waitForEvents(requestCount);
    assert.deepEqual(new Set(events.map((event) => event.event_id)), eventIds);

    // Round-robin sends every other connection to the second worker, so both responded with 403 above;
    // the benign requests show that both are still up.
    const pids = new Set<number>();
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${app.url}/?name=alice`);
      pids.add(((await response.json()) as { pid: number }).pid);
    }
    assert.equal(pids.size, 2);
  });
});
