// Shared state of demo-telemetry.mjs: the run's secret and trace id, the failed checks and the
// closing table (exporter | events | secrets leaked | trace ids | after receiver stopped).

import { randomBytes } from "node:crypto";

/** A fresh secret and trace id per run, so that no check can pass on a leftover file. */
export const secret = `rampart-demo-secret-${randomBytes(8).toString("hex")}`;
export const traceId = randomBytes(16).toString("hex");
export const parentSpanId = randomBytes(8).toString("hex");

const failures = [];
const table = [];

/** Records a failed check. The demo goes on, so that one run lists every failure. */
export function fail(message) {
  failures.push(message);
}

/** Returns the table row of an exporter, or undefined before its check added it. */
export function findRow(exporter) {
  return table.find((entry) => entry.exporter === exporter);
}

export function rawOf(receiver) {
  return receiver.received.map((entry) => entry.raw).join("\n");
}

/** Fails a check when the run's secret occurs in `text`; returns the number of occurrences. */
export function checkNoSecret(where, text) {
  const count = text.split(secret).length - 1;
  check(count === 0, `${where}: the secret marker appears ${count} times`);
  return count;
}

export function check(condition, message) {
  if (!condition) fail(message);
}

export function traceMatch(received) {
  if (received === undefined || received === null) return "missing";
  return received === traceId ? "match" : `mismatch (${received})`;
}

export function addRow(exporter, events, leaks, traces, after = "") {
  table.push({ exporter, events, leaks: String(leaks), traces, after });
}

export function setRowOutcome(exporter, after) {
  const row = findRow(exporter);
  if (row) row.after = after;
}

export function indent(text) {
  return text
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n");
}

/** Prints the table and the failed checks, then exits 0 when every check passed, else 1. */
export function finish() {
  const header = {
    exporter: "exporter",
    events: "events",
    leaks: "secrets leaked",
    traces: "trace ids",
    after: "after receiver stopped",
  };
  const rows = [header, ...table];
  const widths = Object.keys(header).map((key) => Math.max(...rows.map((row) => row[key].length)));
  console.log("");
  for (const [index, row] of rows.entries()) {
    console.log(
      Object.keys(header)
        .map((key, column) => row[key].padEnd(widths[column]))
        .join(" | "),
    );
    if (index === 0) console.log(widths.map((width) => "-".repeat(width)).join("-|-"));
  }

  if (failures.length > 0) {
    console.log(`\nFAIL: ${failures.length} check(s) failed:`);
    for (const failure of failures) console.log(`  ${failure}`);
    process.exit(1);
  }
  console.log(
    "\nPASS: every exporter delivered, no secret leaked, trace ids matched, and the app answered unchanged with its receivers stopped.",
  );
  process.exit(0);
}
