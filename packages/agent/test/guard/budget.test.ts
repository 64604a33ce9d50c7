import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { afterEach, beforeEach, describe, test } from "node:test";

import { readConfig } from "../../src/config";
import type { Finding } from "../../src/detectors/types";
import { RampartBlockedError } from "../../src/errors";
import { internalErrorCounts } from "../../src/failsafe";
import { setAgentState } from "../../src/guard/agent-state";
import { resetBreakers } from "../../src/guard/breaker";
import { inspect } from "../../src/guard/guard";
import { compilePolicy } from "../../src/policy/compiled";
import type { PolicyDocument } from "../../src/policy/document";
import { setLogLevel } from "../../src/log";
import { parsePolicyText } from "../../src/policy/load";
import { countPolicyRejection, metricsSnapshot } from "../../src/telemetry/metrics";
import { formatExposition, metricFamilies } from "../../src/telemetry/prometheus-text";

// The agent's diagnostics of injected faults would fill the test output.
setLogLevel("silent");

/** Installs an agent state in block mode with the given `inspection` section. */
function useInspectionPolicy(inspection: PolicyDocument["inspection"]): void {
  const document: PolicyDocument = { mode: "block", inspection };
  const { config } = readConfig({ RAMPART_MODE: "block", RAMPART_LOG_LEVEL: "silent" });
  setAgentState({ config, policy: compilePolicy(document, "budget-test", {}) });
}

/** Spins for `ms` milliseconds, as a detector on a pathological input would. */
function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Burning time on purpose.
  }
}

const finding: Finding = { offset: 0, reason: "test-finding" };

let sinkCounter = 0;

/** Returns a new sink name per call, so counters and once-per-kind logs start from zero. */
function freshSink(): string {
  return `test.sink${sinkCounter++}`;
}

/** Inspects one operation outside a request, as sinks do for operations refused without input. */
function inspectWith(
  sink: string,
  detect: () => Finding | undefined,
  attackType = "ssrf" as const,
) {
  return inspect({
    attackType,
    sink,
    operation: "GET http://127.0.0.1/",
    detect,
    withoutInputs: true,
  });
}

function failureCount(attackType: string, reason: string, outcome: string): number {
  const sample = metricsSnapshot().inspectionFailures.find(
    (candidate) =>
      candidate.labels.attack_type === attackType &&
      candidate.labels.reason === reason &&
      candidate.labels.outcome === outcome,
  );
  return sample?.value ?? 0;
}

describe("inspection budget and fail mode", () => {
  beforeEach(() => resetBreakers());
  afterEach(() => resetBreakers());

  test("throwing detector fails open by default", () => {
    useInspectionPolicy(undefined);
    const sink = freshSink();
    const before = failureCount("ssrf", "error", "allowed");

    const result = inspectWith(sink, () => {
      throw new Error("detector fault injected by the test");
    });

    assert.equal(result, undefined);
    assert.equal(failureCount("ssrf", "error", "allowed"), before + 1);
    assert.equal(internalErrorCounts().get(`detector.${sink}`), 1);
  });

  test("throwing detector fails closed when asked", () => {
    useInspectionPolicy({ detectors: { ssrf: { failMode: "closed" } } });
    const before = failureCount("ssrf", "error", "blocked");

    const result = inspectWith(freshSink(), () => {
      throw new Error("detector fault injected by the test");
    });

    assert.ok(result instanceof RampartBlockedError);
    assert.equal(result.attackType, "ssrf");
    assert.equal(failureCount("ssrf", "error", "blocked"), before + 1);
  });

  test("fail mode applies per attack type", () => {
    useInspectionPolicy({ failMode: "closed", detectors: { ssrf: { failMode: "open" } } });
    const thrower = () => {
      throw new Error("detector fault injected by the test");
    };

    assert.equal(inspectWith(freshSink(), thrower, "ssrf"), undefined);
    const blocked = inspect({
      attackType: "path_traversal",
      sink: freshSink(),
      operation: "/etc/passwd",
      detect: thrower,
      withoutInputs: true,
    });
    assert.ok(blocked instanceof RampartBlockedError);
  });

  test("overrun without finding follows fail mode", () => {
    useInspectionPolicy({ budgetMs: 1, failMode: "open" });
    const openBefore = failureCount("ssrf", "over_budget", "allowed");
    assert.equal(
      inspectWith(freshSink(), () => {
        busyWait(5);
        return undefined;
      }),
      undefined,
    );
    assert.equal(failureCount("ssrf", "over_budget", "allowed"), openBefore + 1);

    useInspectionPolicy({ budgetMs: 1, failMode: "closed" });
    const closedBefore = failureCount("ssrf", "over_budget", "blocked");
    const result = inspectWith(freshSink(), () => {
      busyWait(5);
      return undefined;
    });
    assert.ok(result instanceof RampartBlockedError);
    assert.equal(failureCount("ssrf", "over_budget", "blocked"), closedBefore + 1);
  });

  test("late finding still blocks under fail open", () => {
    useInspectionPolicy({ budgetMs: 1, failMode: "open" });
    const before = failureCount("ssrf", "over_budget", "blocked");

    const result = inspectWith(freshSink(), () => {
      busyWait(5);
      return finding;
    });

    assert.ok(result instanceof RampartBlockedError);
    assert.equal(failureCount("ssrf", "over_budget", "blocked"), before + 1);
  });

  test("fast detector is not counted as failed", () => {
    useInspectionPolicy({ budgetMs: 1000 });
    const before = metricsSnapshot().inspectionFailures.reduce((sum, s) => sum + s.value, 0);

    assert.equal(
      inspectWith(freshSink(), () => undefined),
      undefined,
    );
    assert.ok(inspectWith(freshSink(), () => finding) instanceof RampartBlockedError);

    const after = metricsSnapshot().inspectionFailures.reduce((sum, s) => sum + s.value, 0);
    assert.equal(after, before);
  });
});

describe("detector breaker", () => {
  beforeEach(() => resetBreakers());
  afterEach(() => resetBreakers());

  test("consecutive failures switch detector off", () => {
    useInspectionPolicy({ breaker: { failures: 3, coolDownSeconds: 60 } });
    const sink = freshSink();
    let calls = 0;
    const thrower = () => {
      calls++;
      throw new Error("detector fault injected by the test");
    };
    const tripsBefore =
      metricsSnapshot().breakerTrips.find((s) => s.labels.attack_type === "ssrf")?.value ?? 0;

    for (let index = 0; index < 3; index++) inspectWith(sink, thrower);
    assert.equal(calls, 3);

    const offBefore = failureCount("ssrf", "detector_off", "allowed");
    for (let index = 0; index < 5; index++) assert.equal(inspectWith(sink, thrower), undefined);
    assert.equal(calls, 3, "the switched-off detector must not be called");
    assert.equal(failureCount("ssrf", "detector_off", "allowed"), offBefore + 5);

    const snapshot = metricsSnapshot();
    const trips = snapshot.breakerTrips.find((s) => s.labels.attack_type === "ssrf")?.value;
    assert.equal(trips, tripsBefore + 1);
    const off = snapshot.detectorsOff.find((s) => s.labels.attack_type === "ssrf")?.value;
    assert.equal(off, 1);
  });

  test("a success resets the failure count", () => {
    useInspectionPolicy({ breaker: { failures: 3, coolDownSeconds: 60 } });
    let calls = 0;
    let fail = true;
    const detect = () => {
      calls++;
      if (fail) throw new Error("detector fault injected by the test");
      return undefined;
    };

    for (let round = 0; round < 4; round++) {
      fail = true;
      inspectWith(freshSink(), detect);
      inspectWith(freshSink(), detect);
      fail = false;
      inspectWith(freshSink(), detect);
    }
    assert.equal(calls, 12, "two failures in a row never reach the threshold of three");
  });

  test("switched-off detector fails closed", () => {
    useInspectionPolicy({
      failMode: "closed",
      budgetMs: 1,
      breaker: { failures: 2, coolDownSeconds: 60 },
    });
    const slow = () => {
      busyWait(3);
      return undefined;
    };
    inspectWith(freshSink(), slow);
    inspectWith(freshSink(), slow);

    let called = false;
    const result = inspectWith(freshSink(), () => {
      called = true;
      return undefined;
    });
    assert.equal(called, false);
    assert.ok(result instanceof RampartBlockedError);
  });

  test("detector comes back after cool-down", async () => {
    useInspectionPolicy({ breaker: { failures: 2, coolDownSeconds: 1 } });
    let calls = 0;
    let fail = true;
    const detect = () => {
      calls++;
      if (fail) throw new Error("detector fault injected by the test");
      return undefined;
    };
    inspectWith(freshSink(), detect);
    inspectWith(freshSink(), detect);
    inspectWith(freshSink(), detect);
    assert.equal(calls, 2);

    await new Promise((resolve) => setTimeout(resolve, 1100));
    fail = false;
    inspectWith(freshSink(), detect);
    assert.equal(calls, 3, "the detector runs again once the cool-down is over");
    const off = metricsSnapshot().detectorsOff.find((s) => s.labels.attack_type === "ssrf");
    assert.equal(off?.value, 0);
  });

  test("failure on probation trips at once", async () => {
    useInspectionPolicy({ breaker: { failures: 3, coolDownSeconds: 1 } });
    let calls = 0;
    const thrower = () => {
      calls++;
      throw new Error("detector fault injected by the test");
    };
    for (let index = 0; index < 3; index++) inspectWith(freshSink(), thrower);
    await new Promise((resolve) => setTimeout(resolve, 1100));

    inspectWith(freshSink(), thrower);
    inspectWith(freshSink(), thrower);
    assert.equal(calls, 4, "one failure after the cool-down switches the detector off again");
  });

  test("zero failures never switches off", () => {
    useInspectionPolicy({ breaker: { failures: 0 } });
    let calls = 0;
    for (let index = 0; index < 50; index++)
      inspectWith(freshSink(), () => {
        calls++;
        throw new Error("detector fault injected by the test");
      });
    assert.equal(calls, 50);
  });
});

describe("inspection policy keys", () => {
  test("valid section accepted", () => {
    const result = parsePolicyText(
      [
        "inspection:",
        "  budgetMs: 2.5",
        "  failMode: open",
        "  detectors:",
        "    sql_injection: { failMode: closed, budgetMs: 10 }",
        "  breaker: { failures: 5, coolDownSeconds: 10 }",
      ].join("\n"),
      "p.yaml",
    );
    assert.equal(result.ok, true, result.ok ? "" : JSON.stringify(result.problems));
    if (!result.ok) return;

    const limits = compilePolicy(result.policy.document, "v", {}).inspection;
    assert.deepEqual(limits.byType.sql_injection, { budgetMs: 10, failMode: "closed" });
    assert.deepEqual(limits.byType.ssrf, { budgetMs: 2.5, failMode: "open" });
    assert.equal(limits.breakerFailures, 5);
    assert.equal(limits.coolDownMs, 10_000);
  });

  test("defaults without a section", () => {
    const limits = compilePolicy({}, "v", {}).inspection;
    assert.deepEqual(limits.byType.xss, { budgetMs: 5, failMode: "open" });
    assert.equal(limits.breakerFailures, 10);
    assert.equal(limits.coolDownMs, 30_000);
  });

  test("invalid values rejected with their line", () => {
    const result = parsePolicyText(
      [
        "inspection:",
        "  budgetMs: 0",
        "  failMode: shut",
        "  detectors:",
        "    sqli: { failMode: closed }",
        "    ssrf: {}",
        "  breaker: { coolDownSeconds: 0 }",
      ].join("\n"),
      "p.yaml",
    );
    assert.equal(result.ok, false);
    if (result.ok) return;

    const lines = result.problems.map(
      (problem) => `${problem.line}: ${problem.path}: ${problem.message}`,
    );
    assert.ok(
      lines.some((line) => line.startsWith("2: inspection.budgetMs: 0 is out of range")),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((line) => line.startsWith('3: inspection.failMode: invalid value "shut"')),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((line) => line.startsWith("5: inspection.detectors.sqli: unknown attack type")),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((line) =>
        line.startsWith("6: inspection.detectors.ssrf: must set at least 1 key(s)"),
      ),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((line) =>
        line.startsWith("7: inspection.breaker.coolDownSeconds: 0 is out of range"),
      ),
      lines.join("\n"),
    );
  });
});

describe("failure metrics exposition", () => {
  afterEach(() => resetBreakers());

  test("new families pass promtool", () => {
    useInspectionPolicy({ breaker: { failures: 1, coolDownSeconds: 60 } });
    inspectWith(freshSink(), () => {
      throw new Error("detector fault injected by the test");
    });
    inspectWith(freshSink(), () => undefined);
    countPolicyRejection();

    const text = formatExposition(
      metricFamilies(metricsSnapshot(), { version: "0", mode: "block", policy_version: "0" }),
    );
    const problems = execFileSync("promtool", ["check", "metrics"], {
      input: text,
      encoding: "utf8",
    });
    assert.equal(problems.trim(), "");
    assert.match(
      text,
      /^rampart_inspection_failures_total\{attack_type="ssrf",reason="error",outcome="allowed"\} [1-9]/m,
    );
    assert.match(
      text,
      /^rampart_inspection_failures_total\{attack_type="ssrf",reason="detector_off",outcome="allowed"\} [1-9]/m,
    );
    assert.match(text, /^rampart_detector_breaker_trips_total\{attack_type="ssrf"\} [1-9]/m);
    assert.match(text, /^rampart_detector_off\{attack_type="ssrf"\} 1$/m);
    assert.match(text, /^rampart_policy_rejections_total [1-9]/m);
  });
});
