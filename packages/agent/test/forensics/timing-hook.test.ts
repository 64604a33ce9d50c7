import assert from "node:assert/strict";
import diagnosticsChannel from "node:diagnostics_channel";
import { test } from "node:test";

import { readConfig } from "../../src/config";
import { takeSnapshot } from "../../src/forensics";
import { requestStart } from "../../src/forensics/request-timing";
import { setAgentState } from "../../src/guard/agent-state";

// Importing the forensics module subscribes to this channel; the tests share that one subscription.
const requestStartChannel = diagnosticsChannel.channel("http.server.request.start");

test("timing hook records request starts", () => {
  assert.equal(typeof takeSnapshot, "function");
  setAgentState({
    config: readConfig({ RAMPART_SNAPSHOT_DIR: "/nonexistent/rampart-test" }).config,
  });

  const request = {};
  const before = performance.now();
  requestStartChannel.publish({ request });
  const start = requestStart(request);
  assert.ok(start !== undefined, "start not recorded");
  assert.ok(start.monotonicMs >= before);
  assert.ok(Math.abs(start.epochMs - Date.now()) < 1_000, `epoch ${start.epochMs}`);
});

test("timing hook unsubscribes when off", () => {
  assert.ok(requestStartChannel.hasSubscribers, "no subscriber before the first request");
  setAgentState({ config: readConfig({ RAMPART_SNAPSHOTS: "off" }).config });

  const request = {};
  requestStartChannel.publish({ request });
  assert.equal(requestStart(request), undefined);
  assert.equal(requestStartChannel.hasSubscribers, false);
});
