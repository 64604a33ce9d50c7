import assert from "node:assert/strict";

import type { RunningApp } from "./app-process";
import { loadCorpus } from "./corpus";
import {
  describeMismatches,
  runSqlCorpus,
  type CorpusReport,
  type CorpusRoute,
} from "./sql-corpus";

/** Returns the `payload` strings of one corpus file, leaving out entries with only `payload_json`. */
export function corpusPayloads(name: string): string[] {
  return loadCorpus(name).flatMap((entry) =>
    typeof entry.payload === "string" ? [entry.payload] : [],
  );
}

/** Fails with the first mismatches of each kind. */
export function assertNoMismatches(report: CorpusReport): void {
  assert.equal(
    report.missed.length,
    0,
    `breaking payloads not caught: ${describeMismatches(report.missed)}`,
  );
  assert.equal(
    report.falsePositives.length,
    0,
    `flagged in error: ${describeMismatches(report.falsePositives)}`,
  );
  assert.equal(
    report.wrongEvents.length,
    0,
    `events with wrong fields: ${describeMismatches(report.wrongEvents)}`,
  );
  assert.equal(
    report.wrongBodies.length,
    0,
    `403 bodies without the event id: ${describeMismatches(report.wrongBodies)}`,
  );
}

/**
 * Runs the monitor-mode corpus: each route gets only the payloads that its oracle marks as breaking out, because
 * the block-mode run already checked the others, and every one of them must produce a monitored event
 * while the request is not blocked. Each route gets a fresh app, because the corpus runner numbers
 * requests per run and reads every event of the app. Returns the merged report of all routes.
 */
export async function runMonitorCorpus(options: {
  start: () => Promise<RunningApp>;
  routes: readonly CorpusRoute[];
  payloads: readonly string[];
  sink: string;
  label: string;
}): Promise<CorpusReport> {
  const reports: CorpusReport[] = [];
  for (const route of options.routes) {
    const app = await options.start();
    try {
      const report = await runSqlCorpus({
        app,
        routes: [route],
        payloads: options.payloads.filter((payload) => !route.oracle(payload)),
        mode: "monitor",
        sink: options.sink,
        label: options.label,
      });
      reports.push(report);
    } finally {
      await app.stop();
    }
  }

  return {
    counts: reports.flatMap((report) => report.counts),
    missed: reports.flatMap((report) => report.missed),
    falsePositives: reports.flatMap((report) => report.falsePositives),
    wrongEvents: reports.flatMap((report) => report.wrongEvents),
    wrongBodies: reports.flatMap((report) => report.wrongBodies),
  };
}
