import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { test } from "node:test";

import { millisecondsSince, requestStart } from "../../src/forensics/request-timing";

test("request start comes from the context's monotonic start time", () => {
  const context = { startedAt: performance.now() };
  const start = requestStart(context);

  assert.equal(start.monotonicMs, context.startedAt);
  assert.ok(Math.abs(start.epochMs - Date.now()) < 1_000, `epoch ${start.epochMs}`);
});

test("durations are rounded to microseconds", () => {
  assert.equal(millisecondsSince(10, 12.3456789), 2.346);
  assert.equal(millisecondsSince(5, 5), 0);
});
