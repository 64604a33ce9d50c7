import assert from "node:assert/strict";
import { test } from "node:test";

import { readConfig } from "../src/config";

test("defaults are monitor and stdout", () => {
  const { config, problems } = readConfig({});
  assert.equal(config.mode, "monitor");
  assert.equal(config.events, "stdout");
  assert.deepEqual(problems, []);
});

test("mode and events parsed", () => {
  const { config } = readConfig({ RAMPART_MODE: " BLOCK ", RAMPART_EVENTS: "/tmp/events.jsonl" });
  assert.equal(config.mode, "block");
  assert.deepEqual(config.events, { file: "/tmp/events.jsonl" });
});

test("invalid values fall back and are reported", () => {
  const { config, problems } = readConfig({ RAMPART_MODE: "enforce", RAMPART_LOG_LEVEL: "loud" });
  assert.equal(config.mode, "monitor");
  assert.equal(config.logLevel, "info");
  assert.deepEqual(
    problems.map((problem) => [problem.variable, problem.value]),
    [
      ["RAMPART_MODE", "enforce"],
      ["RAMPART_LOG_LEVEL", "loud"],
    ],
  );
});
