import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import yaml from "js-yaml";

import { metricNamesIn, metricOfSeries, rampartMetrics } from "./helpers/promql-metrics";

const prometheusDir = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../docs/prometheus",
);
const rulesFile = path.join(prometheusDir, "alerts.yml");
const rulesTestFile = path.join(prometheusDir, "alerts.test.yml");

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
}

function rules(): Rule[] {
  const document = yaml.load(readFileSync(rulesFile, "utf8")) as { groups: { rules: Rule[] }[] };
  return document.groups.flatMap((group) => group.rules);
}

function promtoolAvailable(): boolean {
  const probe = spawnSync("promtool", ["--version"], { encoding: "utf8" });
  return probe.error === undefined && probe.status === 0;
}

/** Runs promtool, or skips outside CI when it is not installed; under CI=true a missing promtool fails. */
function runPromtool(
  t: { skip(message: string): void },
  args: string[],
): { status: number | null; output: string } | undefined {
  if (!promtoolAvailable()) {
    assert.notEqual(
      process.env.CI,
      "true",
      "promtool is not installed; .ci/run installs it (package prometheus)",
    );
    t.skip("promtool is not installed (Debian package prometheus); rule checks skipped");
    return undefined;
  }
  const result = spawnSync("promtool", args, { encoding: "utf8", cwd: prometheusDir });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("prometheus rules", () => {
  test("promtool check rules", (t) => {
    const result = runPromtool(t, ["check", "rules", rulesFile]);
    if (result === undefined) return;
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, /SUCCESS: \d+ rules found/);
  });

  test("promtool rule unit tests", (t) => {
    const result = runPromtool(t, ["test", "rules", rulesTestFile]);
    if (result === undefined) return;
    assert.equal(result.status, 0, result.output);
  });

  test("alerts page and ticket as documented", () => {
    const alerts = new Map(
      rules()
        .filter((rule) => rule.alert !== undefined)
        .map((rule) => [rule.alert, rule]),
    );
    const severities: Record<string, string> = {
      RampartMassBlocking: "page",
      RampartAgentErrors: "page",
      RampartInspectionLatencyHigh: "page",
      RampartEventsDropped: "page",
      RampartAttackDetected: "ticket",
    };
    for (const [name, severity] of Object.entries(severities))
      assert.equal(alerts.get(name)?.labels?.severity, severity, `${name} severity`);
    for (const rule of alerts.values())
      assert.ok(["page", "ticket"].includes(rule.labels?.severity ?? ""), `${rule.alert} severity`);
  });

  test("rules query known metrics only", () => {
    for (const rule of rules()) {
      const names = metricNamesIn(rule.expr);
      assert.ok(names.length > 0, `no metric in ${rule.alert ?? rule.record}`);
      for (const name of names)
        assert.ok(
          rampartMetrics.has(metricOfSeries(name)),
          `unknown metric ${name} in ${rule.alert ?? rule.record}`,
        );
    }
  });
});
