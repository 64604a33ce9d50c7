import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const demoScript = path.join(repoDir, "examples", "express-sqlite", "demo-telemetry.mjs");

/** Exporter rows of the demo's closing table, in the order the demo prints them. */
const exporterRows = [
  "JSON Lines",
  "webhook (json)",
  "syslog UDP (CEF)",
  "OpenTelemetry spans",
  "Prometheus /metrics",
  "snapshots",
  "webhook (slack)",
  "syslog TCP (CEF)",
];

interface DemoResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runDemo(): Promise<DemoResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [demoScript],
      { cwd: repoDir, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        let code: number | null = 0;
        if (error !== null) code = typeof error.code === "number" ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Splits the table row that starts with `exporter` into its trimmed cells. */
function tableRow(stdout: string, exporter: string): string[] | undefined {
  // Other output lines start with the same names, so the cell separator is part of the match.
  const line = stdout
    .split("\n")
    .find((candidate) => candidate.startsWith(`${exporter} `) && candidate.includes(" | "));
  return line?.split(" | ").map((cell) => cell.trim());
}

test("telemetry demo passes every exporter check", { timeout: 100_000 }, async () => {
  const result = await runDemo();
  const output = `${result.stdout}\n${result.stderr}`;

  assert.equal(result.code, 0, `demo-telemetry.mjs failed:\n${output.slice(-6000)}`);
  assert.match(result.stdout, /^PASS: every exporter delivered/m);

  for (const exporter of exporterRows) {
    const row = tableRow(result.stdout, exporter);
    assert.ok(row, `no table row for ${exporter}`);

    const [, events, leaks, traces, after] = row;
    assert.match(events!, /^[1-9]\d*/, `${exporter}: no events`);
    assert.equal(leaks, "0", `${exporter}: secrets leaked`);
    assert.ok(traces === "match" || traces === "n/a", `${exporter}: trace ids ${traces}`);
    assert.notEqual(after, "", `${exporter}: no outcome after the receiver stopped`);
  }

  assert.match(
    result.stdout,
    /rampart_detections_total\{attack_type="sql_injection",action="blocked"\} [1-9]/,
  );
  assert.match(result.stdout, /Detections: \d+ \(blocked \d+, monitored \d+/);
  assert.match(result.stdout, /Operation:\n(?:.*\n){0,3}.*\[redacted \d+ chars\]/);
});
