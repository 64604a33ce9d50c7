import assert from "node:assert/strict";
import { test } from "node:test";

import { modeFor, readConfig } from "../src/config";

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

test("detector modes override the global mode, except off", () => {
  const { config, problems } = readConfig({
    RAMPART_MODE: "block",
    RAMPART_DETECTOR_MODES: " XSS=block , shell_injection=monitor,ssrf=off ",
  });
  assert.deepEqual(problems, []);
  assert.equal(modeFor(config, "xss"), "block");
  assert.equal(modeFor(config, "shell_injection"), "monitor");
  assert.equal(modeFor(config, "ssrf"), "off");
  assert.equal(modeFor(config, "sql_injection"), "block");

  const off = readConfig({ RAMPART_MODE: "off", RAMPART_DETECTOR_MODES: "xss=block" }).config;
  assert.equal(modeFor(off, "xss"), "off");
});

test("types that are monitored by default only log in block mode", () => {
  const { config } = readConfig({ RAMPART_MODE: "block" });
  for (const type of ["xss", "open_redirect", "header_injection", "prototype_pollution"] as const)
    assert.equal(modeFor(config, type), "monitor", type);
  assert.equal(modeFor(config, "argument_injection"), "monitor");
  assert.equal(modeFor(config, "path_traversal"), "block");

  const monitor = readConfig({ RAMPART_MODE: "monitor" }).config;
  assert.equal(modeFor(monitor, "xss"), "monitor");
});

test("bad detector mode entries are reported and skipped", () => {
  const { config, problems } = readConfig({
    RAMPART_DETECTOR_MODES: "xss=block,sqli=block,ssrf=deny,,path_traversal",
  });
  assert.deepEqual(config.detectorModes, { xss: "block" });
  assert.deepEqual(
    problems.map((problem) => problem.value),
    ["sqli=block", "ssrf=deny", "path_traversal"],
  );
  assert.ok(problems.every((problem) => problem.variable === "RAMPART_DETECTOR_MODES"));
});
