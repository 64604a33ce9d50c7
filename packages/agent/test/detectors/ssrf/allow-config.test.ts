import assert from "node:assert/strict";
import { test } from "node:test";

import { readConfig } from "../../../src/config";

test("allow-list read from environment", () => {
  const { config, problems } = readConfig({
    RAMPART_SSRF_ALLOW_HOSTS: " Billing.Internal, 10.1.0.0/16,,fd12::/16 ,192.168.5.5",
  });
  assert.deepEqual(config.ssrfAllowHosts, [
    "billing.internal",
    "10.1.0.0/16",
    "fd12::/16",
    "192.168.5.5",
  ]);
  assert.deepEqual(problems, []);
});

test("invalid allow-list entries reported", () => {
  const { config, problems } = readConfig({
    RAMPART_SSRF_ALLOW_HOSTS: "ok.internal,bad host,10.0.0.0/40",
  });
  assert.deepEqual(config.ssrfAllowHosts, ["ok.internal"]);
  assert.deepEqual(
    problems.map((problem) => [problem.variable, problem.value]),
    [
      ["RAMPART_SSRF_ALLOW_HOSTS", "bad host"],
      ["RAMPART_SSRF_ALLOW_HOSTS", "10.0.0.0/40"],
    ],
  );
});

test("allow-list empty by default", () => {
  assert.deepEqual(readConfig({}).config.ssrfAllowHosts, []);
});
