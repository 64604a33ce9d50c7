import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { metricNamesIn, metricOfSeries, rampartMetrics } from "./helpers/promql-metrics";

const grafanaDir = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../docs/grafana",
);

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string }[];
}

interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string }[] };
}

/** Panel titles each dashboard must have; a dashboard may have more. */
const expectedPanels: Record<string, string[]> = {
  "executive.json": [
    "Detections",
    "Blocks",
    "Detections and blocks over time",
    "Detections by attack type",
    "Blocks by attack type",
    "False-positive trend",
  ],
  "on-call.json": [
    "Active blocks by job",
    "Inspection latency p50 / p99",
    "Agent errors by kind",
    "Dropped events by exporter",
  ],
  "debug.json": [
    "Inspections per sink",
    "Inspections per attack type",
    "Detections per attack type and action",
    "Agent mode and policy",
  ],
};

function readDashboard(name: string): Dashboard {
  return JSON.parse(readFileSync(path.join(grafanaDir, name), "utf8")) as Dashboard;
}

function queries(dashboard: Dashboard): string[] {
  return dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
}

function overlaps(a: Panel["gridPos"], b: Panel["gridPos"]): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

describe("grafana dashboards", () => {
  for (const [name, titles] of Object.entries(expectedPanels)) {
    test(`${name} has its panels`, () => {
      const dashboard = readDashboard(name);
      assert.match(dashboard.uid, /^rampart-/);
      const present = dashboard.panels.map((panel) => panel.title);
      for (const title of titles)
        assert.ok(present.includes(title), `${name} lacks panel "${title}"`);
      assert.deepEqual(
        dashboard.templating.list.map((variable) => variable.name),
        ["datasource", "job"],
      );
    });

    test(`${name} queries known metrics only`, () => {
      const dashboard = readDashboard(name);
      for (const panel of dashboard.panels) {
        if (panel.type === "text") continue;
        assert.ok((panel.targets ?? []).length > 0, `panel "${panel.title}" has no query`);
        assert.equal(panel.datasource?.uid, "${datasource}", `panel "${panel.title}" data source`);
        for (const target of panel.targets ?? []) {
          const names = metricNamesIn(target.expr);
          assert.ok(names.length > 0, `no metric in "${target.expr}"`);
          for (const metric of names)
            assert.ok(
              rampartMetrics.has(metricOfSeries(metric)),
              `unknown metric ${metric} in "${target.expr}"`,
            );
          assert.match(target.expr, /job=~"\$job"/, `"${target.expr}" ignores the job variable`);
        }
      }
    });

    test(`${name} panels do not overlap`, () => {
      const panels = readDashboard(name).panels;
      assert.equal(
        new Set(panels.map((panel) => panel.id)).size,
        panels.length,
        "duplicate panel ids",
      );
      for (const [index, panel] of panels.entries()) {
        assert.ok(
          panel.gridPos.x + panel.gridPos.w <= 24,
          `panel "${panel.title}" is wider than the grid`,
        );
        for (const other of panels.slice(index + 1))
          assert.ok(
            !overlaps(panel.gridPos, other.gridPos),
            `"${panel.title}" overlaps "${other.title}"`,
          );
      }
    });
  }

  test("dashboards use every metric", () => {
    const used = new Set(
      Object.keys(expectedPanels)
        .flatMap((name) => queries(readDashboard(name)))
        .flatMap(metricNamesIn)
        .map(metricOfSeries),
    );
    assert.deepEqual(
      [...rampartMetrics].filter((metric) => !used.has(metric)),
      [],
    );
  });

  test("on-call latency uses p50 and p99", () => {
    const expressions = queries(readDashboard("on-call.json")).join("\n");
    assert.match(
      expressions,
      /histogram_quantile\(0\.5,.*rampart_inspection_duration_seconds_bucket/,
    );
    assert.match(
      expressions,
      /histogram_quantile\(0\.99,.*rampart_inspection_duration_seconds_bucket/,
    );
  });

  test("metric name extraction", () => {
    assert.deepEqual(
      metricNamesIn(
        'sum by (job) (rate(rampart_detections_total{action="blocked"}[5m])) / sum(up)',
      ),
      ["rampart_detections_total", "up"],
    );
    assert.deepEqual(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le) (rate(x_bucket{job=~"$job"}[$__rate_interval]))) > 1e-3',
      ),
      ["x_bucket"],
    );
  });
});
