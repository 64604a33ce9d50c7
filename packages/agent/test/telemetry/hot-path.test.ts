import assert from "node:assert/strict";
import { test } from "node:test";

import { countInspection, metricsSnapshot } from "../../src/telemetry/metrics";

test("counting an inspection stays cheap", () => {
  const sinks = ["pg.query", "fs.readFile", "http.request", "child_process.exec"];
  const iterations = 1_000_000;

  // Warm-up, so the measurement runs optimized code.
  for (let index = 0; index < 100_000; index++)
    countInspection("sql_injection", sinks[index & 3]!, 0.002);

  const started = process.hrtime.bigint();
  for (let index = 0; index < iterations; index++)
    countInspection("sql_injection", sinks[index & 3]!, 0.002);
  const perCallNs = Number(process.hrtime.bigint() - started) / iterations;

  // performance.now() twice around an inspection is part of the cost the guard pays.
  const timerStarted = process.hrtime.bigint();
  let sink = 0;
  for (let index = 0; index < iterations; index++) sink += performance.now();
  const timerNs = Number(process.hrtime.bigint() - timerStarted) / iterations;

  console.log(
    `countInspection: ${perCallNs.toFixed(1)} ns per call; performance.now(): ${timerNs.toFixed(1)} ns (${sink > 0})`,
  );
  assert.ok(
    perCallNs + 2 * timerNs < 500,
    `${perCallNs.toFixed(1)} ns + 2 × ${timerNs.toFixed(1)} ns per inspection`,
  );

  const counted = metricsSnapshot().inspections.find(
    (sample) => sample.labels.sink === "pg.query" && sample.labels.attack_type === "sql_injection",
  );
  assert.equal(counted?.value, (iterations + 100_000) / 4);
});
