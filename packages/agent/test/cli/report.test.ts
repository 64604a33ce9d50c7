import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { sampleSnapshot } from "../helpers/snapshot-files";

const cliPath = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../dist/cli/main.js",
);

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

// An empty working directory: the report looks for snapshots in `.rampart/snapshots` below it by
// default, and other tests or the demo may have created that folder in the package.
const cliWorkDir = mkdtempSync(path.join(tmpdir(), "rampart-report-cwd-"));
after(() => rmSync(cliWorkDir, { recursive: true, force: true }));

function runCli(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliPath, ...args], { cwd: cliWorkDir }, (error, stdout, stderr) => {
      let code = 0;
      if (error !== null) code = typeof error.code === "number" ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

interface GeneratedEvent {
  time: string;
  event_id: string;
  attack_type: string;
  sink: string;
  action: "blocked" | "monitored";
  reason: string;
  input: { source: string; path: string; value: string; length: number } | null;
  operation: string;
  request: {
    method: string;
    path: string;
    route?: string;
    client_ip: string;
    request_id: string;
  } | null;
  stack: string[];
  agent: { name: "rampart"; version: string; mode: string };
}

/** Picks one of three clients, unevenly, so that the top source is well defined. */
function clientIndex(index: number): number {
  if (index % 7 === 0) return 1;
  return index % 2 === 0 ? 0 : 2;
}

/** Builds a varied event log: three attack types, four routes, three clients, two days. */
function generateEvents(): GeneratedEvent[] {
  const kinds = [
    { attack_type: "sql_injection", sink: "pg.query", route: "/users/:id", input: "params.id" },
    {
      attack_type: "shell_injection",
      sink: "child_process.exec",
      route: "/ping",
      input: "query.host",
    },
    { attack_type: "xss", sink: "http.ServerResponse.end", route: "/comments", input: "body.text" },
  ];
  const clients = ["203.0.113.7", "198.51.100.2", "192.0.2.44"];
  const events: GeneratedEvent[] = [];
  for (let index = 0; index < 40; index++) {
    let kindIndex = index % 3;
    if (kindIndex !== 0 && index % 5 === 0) kindIndex = 2;
    const kind = kinds[kindIndex]!;
    const day = index < 25 ? "2026-01-10" : "2026-01-11";
    const minute = String(index % 60).padStart(2, "0");
    events.push({
      time: `${day}T10:${minute}:00.000Z`,
      event_id: `event-${index}`,
      attack_type: kind.attack_type,
      sink: kind.sink,
      action: kind.attack_type === "xss" ? "monitored" : "blocked",
      reason: "test",
      input: { source: kind.input.split(".")[0]!, path: kind.input, value: "v", length: 1 },
      operation: "op",
      request: {
        method: index % 4 === 0 ? "POST" : "GET",
        path: kind.route.replace(":id", String(index)),
        route: kind.route,
        client_ip: clients[clientIndex(index)]!,
        request_id: `req-${index}`,
      },
      stack: [],
      agent: { name: "rampart", version: "0.1.0", mode: "block" },
    });
  }
  // An event outside any request, such as a startup query.
  events.push({
    ...events[0]!,
    event_id: "event-outside",
    time: "2026-01-11T12:00:00.000Z",
    request: null,
    input: null,
  });
  return events;
}

const agentLogLines = [
  {
    level: "info",
    time: "2026-01-10T09:00:00.000Z",
    pid: 10,
    name: "rampart",
    msg: "agent started",
  },
  {
    level: "error",
    time: "2026-01-10T09:01:00.000Z",
    pid: 10,
    name: "rampart",
    msg: "internal error",
    kind: "inspect.pg.query",
  },
  {
    level: "error",
    time: "2026-01-10T09:02:00.000Z",
    pid: 10,
    name: "rampart",
    msg: "internal error",
    kind: "inspect.pg.query",
  },
  {
    level: "error",
    time: "2026-01-10T09:03:00.000Z",
    pid: 10,
    name: "rampart",
    msg: "cannot write",
    kind: "snapshot.write",
  },
  {
    level: "warn",
    time: "2026-01-10T09:04:00.000Z",
    pid: 10,
    name: "rampart",
    msg: "security events dropped",
    dropped: { "webhook/queue_full": 3, "syslog/rate_limited": 1 },
    total: 4,
  },
  {
    level: "warn",
    time: "2026-01-10T09:05:00.000Z",
    pid: 10,
    name: "rampart",
    msg: "security events dropped",
    dropped: { "webhook/export_failed": 7 },
    total: 7,
  },
  {
    level: "warn",
    time: "2026-01-10T09:06:00.000Z",
    pid: 11,
    name: "rampart",
    msg: "forensic snapshots were lost",
    kind: "snapshot.summary",
    exporter: "snapshots",
    dropped: 2,
    failed: 0,
  },
];

interface JsonReport {
  report_version: number;
  input: Record<string, unknown>;
  period: { first: string | null; last: string | null };
  totals: { detections: number; blocked: number; monitored: number; false_positives: number };
  by_attack_type: { key: string; detections: number; blocked: number; monitored: number }[];
  by_route: { key: string; detections: number }[];
  by_input_path: { key: string; detections: number }[];
  by_client: { key: string; detections: number }[];
  top_sources: { client_ip: string; detections: number; attack_types: string[] }[];
  by_day: { day: string; detections: number; false_positives: number }[];
  false_positives: { by_rule: { rule: number; matches: number }[]; events: { event_id: string }[] };
  timing: {
    time_to_detect: { count: number; p50_ms: number; max_ms: number } | null;
    time_to_block: { count: number; max_ms: number } | null;
  };
  agent: {
    errors_total: number;
    errors: { kind: string; count: number }[];
    dropped_total: number;
    dropped: { exporter: string; count: number }[];
  };
}

function countBy(
  events: GeneratedEvent[],
  key: (event: GeneratedEvent) => string,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of events) counts.set(key(event), (counts.get(key(event)) ?? 0) + 1);
  return counts;
}

describe("rampart report", () => {
  let work: string;
  let eventsFile: string;
  let logFile: string;
  let allowFile: string;
  let snapshotDir: string;
  const events = generateEvents();

  before(() => {
    work = mkdtempSync(path.join(tmpdir(), "rampart-report-"));
    eventsFile = path.join(work, "events.jsonl");
    logFile = path.join(work, "agent.log");
    allowFile = path.join(work, "allow.json");
    snapshotDir = path.join(work, "snapshots");
    mkdirSync(snapshotDir);

    const lines = events.map((event) => JSON.stringify(event));
    lines.splice(
      5,
      0,
      "this is not json",
      agentLogLines[1] !== undefined ? JSON.stringify(agentLogLines[1]) : "",
    );
    lines.splice(9, 0, JSON.stringify({ unrelated: true }), "");
    // The writer was cut off in the middle of the last line.
    writeFileSync(
      eventsFile,
      lines.join("\n") + '\n{"time":"2026-01-11T13:00:00.000Z","event_id":"cut',
    );
    writeFileSync(logFile, agentLogLines.map((line) => JSON.stringify(line)).join("\n") + "\n");
    writeFileSync(
      allowFile,
      JSON.stringify({
        rules: [
          { route: "/comments", input_path: "body.text" },
          { attack_type: "shell_injection", route: "/ping*" },
        ],
      }),
    );

    // Snapshots of the first five blocked events, with known timings.
    const blocked = events.filter((event) => event.action === "blocked").slice(0, 5);
    blocked.forEach((event, index) => {
      const snapshot = sampleSnapshot(event.event_id, {
        timings: {
          request_start: event.time,
          detected_at: event.time,
          time_to_detect_ms: index + 1,
          time_to_block_ms: index + 2,
        },
      });
      writeFileSync(path.join(snapshotDir, `${event.event_id}.json`), JSON.stringify(snapshot));
    });
    writeFileSync(path.join(snapshotDir, "broken.json"), "{");
  });

  after(() => rmSync(work, { recursive: true, force: true }));

  async function jsonReport(...extra: string[]): Promise<JsonReport> {
    const result = await runCli(["report", eventsFile, "--format", "json", ...extra]);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as JsonReport;
  }

  test("counts events and line problems", async () => {
    const report = await jsonReport();
    assert.equal(report.report_version, 1);
    assert.equal(report.input.events, events.length);
    assert.equal(report.input.malformed_lines, 1);
    assert.equal(report.input.unrecognized_lines, 1);
    assert.equal(report.input.partial_last_line, true);
    assert.equal(report.input.agent_log_lines, 1);
    assert.equal(report.totals.detections, events.length);
    assert.equal(
      report.totals.blocked,
      events.filter((event) => event.action === "blocked").length,
    );
    assert.equal(
      report.totals.monitored,
      events.filter((event) => event.action === "monitored").length,
    );
    assert.equal(report.period.first, "2026-01-10T10:00:00.000Z");
    assert.equal(report.period.last, "2026-01-11T12:00:00.000Z");
  });

  test("groups by type, route, input and client", async () => {
    const report = await jsonReport();
    const byType = countBy(events, (event) => event.attack_type);
    assert.deepEqual(
      new Map(report.by_attack_type.map((row) => [row.key, row.detections])),
      byType,
    );
    const route = (event: GeneratedEvent) =>
      event.request === null
        ? "(outside a request)"
        : `${event.request.method} ${event.request.route}`;
    assert.deepEqual(
      new Map(report.by_route.map((row) => [row.key, row.detections])),
      countBy(events, route),
    );
    assert.deepEqual(
      new Map(report.by_input_path.map((row) => [row.key, row.detections])),
      countBy(events, (event) => event.input?.path ?? "(no input)"),
    );
    const clients = countBy(events, (event) => event.request?.client_ip ?? "(unknown)");
    assert.deepEqual(new Map(report.by_client.map((row) => [row.key, row.detections])), clients);

    const counts = report.by_attack_type.map((row) => row.detections);
    assert.deepEqual(
      counts,
      [...counts].sort((a, b) => b - a),
    );
    const busiest = [...clients].sort((a, b) => b[1] - a[1])[0]!;
    assert.equal(report.top_sources[0]?.client_ip, busiest[0]);
    assert.equal(report.top_sources[0]?.detections, busiest[1]);
  });

  test("allow rules mark false positives", async () => {
    const report = await jsonReport("--allow", allowFile);
    const comments = events.filter((event) => event.request?.route === "/comments").length;
    const ping = events.filter((event) => event.attack_type === "shell_injection").length;
    assert.deepEqual(report.false_positives.by_rule, [
      { rule: 0, matches: comments },
      { rule: 1, matches: ping },
    ]);
    assert.equal(report.totals.false_positives, comments + ping);
    const perDay = report.by_day.reduce((sum, day) => sum + day.false_positives, 0);
    assert.equal(perDay, comments + ping);
  });

  test("allow rules read from a policy file", async () => {
    const policyFile = path.join(work, "rampart.policy.yaml");
    writeFileSync(
      policyFile,
      [
        "version: report-test",
        "allow:",
        "  - route: /comments",
        "    input: body.text",
        "  - attackType: shell_injection",
        "",
      ].join("\n"),
    );
    const report = await jsonReport("--allow", policyFile);
    const comments = events.filter((event) => event.request?.route === "/comments").length;
    const shell = events.filter((event) => event.attack_type === "shell_injection").length;
    assert.deepEqual(report.false_positives.by_rule, [
      { rule: 0, matches: comments },
      { rule: 1, matches: shell },
    ]);
    assert.equal(report.totals.false_positives, comments + shell);

    writeFileSync(policyFile, "allow:\n  - attackType: sqli\n");
    const invalid = await runCli(["report", eventsFile, "--allow", policyFile]);
    assert.equal(invalid.code, 2);
    assert.match(invalid.stderr, /rampart\.policy\.yaml:2: allow\[0\]\.attackType/);
  });

  test("since drops earlier events", async () => {
    const report = await jsonReport("--since", "2026-01-11T00:00:00Z");
    const later = events.filter((event) => event.time >= "2026-01-11").length;
    assert.equal(report.totals.detections, later);
    assert.equal(report.input.skipped_before_since, events.length - later);
    assert.deepEqual(
      report.by_day.map((day) => day.day),
      ["2026-01-11"],
    );
  });

  test("timings come from snapshots", async () => {
    const report = await jsonReport("--snapshots", snapshotDir);
    assert.equal(report.input.snapshots_matched, 5);
    assert.equal(report.input.snapshots_unreadable, 1);
    assert.deepEqual(report.timing.time_to_detect, { count: 5, p50_ms: 3, p95_ms: 5, max_ms: 5 });
    assert.equal(report.timing.time_to_block?.max_ms, 6);

    const without = await jsonReport();
    assert.equal(without.timing.time_to_detect, null);
  });

  test("agent errors and drops from logs", async () => {
    const report = await jsonReport("--log", logFile);
    // Two inspect.pg.query errors in the log file, one more among the events.
    assert.deepEqual(report.agent.errors, [
      { kind: "inspect.pg.query", count: 3 },
      { kind: "snapshot.write", count: 1 },
    ]);
    assert.equal(report.agent.errors_total, 4);
    // Each warning counts the drops since the previous one, so the counts add up.
    assert.deepEqual(report.agent.dropped, [
      { exporter: "webhook", count: 10 },
      { exporter: "snapshots", count: 2 },
      { exporter: "syslog", count: 1 },
    ]);
    assert.equal(report.agent.dropped_total, 13);
  });

  test("text fits 80 columns", async () => {
    const result = await runCli([
      "report",
      eventsFile,
      "--snapshots",
      snapshotDir,
      "--allow",
      allowFile,
      "--log",
      logFile,
    ]);
    assert.equal(result.code, 0, result.stderr);
    for (const line of result.stdout.split("\n"))
      assert.ok(line.length <= 80, `line longer than 80 columns: ${line}`);
    for (const heading of [
      "By attack type",
      "By route",
      "By input path",
      "By client",
      "Top sources",
    ])
      assert.ok(result.stdout.includes(heading), `missing ${heading}`);
    const blocked = events.filter((event) => event.action === "blocked").length;
    const allowed = events.filter(
      (event) => event.request?.route === "/comments" || event.attack_type === "shell_injection",
    ).length;
    assert.ok(
      result.stdout.includes(
        `Detections: ${events.length} (blocked ${blocked}, monitored ${events.length - blocked}, false positives ${allowed})`,
      ),
      result.stdout,
    );
    assert.match(result.stdout, /Errors:\s+4 \(inspect\.pg\.query 3, snapshot\.write 1\)/);
  });

  test("prints one snapshot", async () => {
    const text = await runCli(["report", "--snapshot", "event-1", "--snapshots", snapshotDir]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Event:\s+event-1/);
    assert.match(text.stdout, /Request:\s+GET \/users\?name=x HTTP\/1\.1/);
    for (const line of text.stdout.split("\n")) assert.ok(line.length <= 80, line);

    const json = await runCli([
      "report",
      "--snapshot",
      "event-1",
      "--snapshots",
      snapshotDir,
      "--format",
      "json",
    ]);
    assert.equal((JSON.parse(json.stdout) as { event_id: string }).event_id, "event-1");
  });

  test("usage errors exit 2", async () => {
    for (const args of [
      ["report"],
      ["report", eventsFile, "--format", "xml"],
      ["report", eventsFile, "--since", "yesterday"],
      ["report", "--snapshot", "event-1"],
      ["report", eventsFile, "--bogus"],
      ["frobnicate"],
    ]) {
      const result = await runCli(args);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.ok(result.stderr.length > 0, `${args.join(" ")} printed no error`);
    }
  });

  test("missing files exit 1", async () => {
    const missingEvents = await runCli(["report", path.join(work, "none.jsonl")]);
    assert.equal(missingEvents.code, 1);
    assert.match(missingEvents.stderr, /cannot read the events file/);

    const missingSnapshot = await runCli([
      "report",
      "--snapshot",
      "nope",
      "--snapshots",
      snapshotDir,
    ]);
    assert.equal(missingSnapshot.code, 1);
    assert.match(missingSnapshot.stderr, /no snapshot of event nope/);
  });

  test("invalid allow rules rejected", async () => {
    const badRules = path.join(work, "bad-allow.json");
    writeFileSync(badRules, JSON.stringify([{ route: "/x", host: "y" }]));
    const result = await runCli(["report", eventsFile, "--allow", badRules]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown field "host"/);

    writeFileSync(badRules, JSON.stringify([{}]));
    const empty = await runCli(["report", eventsFile, "--allow", badRules]);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /sets no field/);
  });

  test("help and version", async () => {
    const help = await runCli(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /report\s+summarize an event log/);
    const version = await runCli(["--version"]);
    assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+/);
    const reportHelp = await runCli(["report", "--help"]);
    assert.equal(reportHelp.code, 0);
    for (const line of reportHelp.stdout.split("\n")) assert.ok(line.length <= 80, line);
  });
});

test("package bin is the CLI", () => {
  const packageDir = path.resolve(path.dirname(cliPath), "../..");
  const manifest = JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8")) as {
    bin?: Record<string, string>;
    files?: string[];
  };
  // The bin is a committed launcher, so that npm links it before the first build.
  const launcher = path.resolve(packageDir, manifest.bin?.rampart ?? "");
  assert.equal(launcher, path.join(packageDir, "bin", "rampart.cjs"));
  assert.match(readFileSync(launcher, "utf8"), /^#!\/usr\/bin\/env node\n/);
  assert.match(readFileSync(launcher, "utf8"), /require\("\.\.\/dist\/cli\/main\.js"\)/);
  assert.ok(manifest.files?.includes("bin"), "package files leave out bin");
  assert.ok(manifest.files?.includes("dist"), "package files leave out dist");
  assert.match(readFileSync(cliPath, "utf8"), /^#!\/usr\/bin\/env node\n/);
});

test("package bin runs the CLI", async () => {
  const packageDir = path.resolve(path.dirname(cliPath), "../..");
  const result = await new Promise<{ code: number; stdout: string }>((resolve) => {
    execFile(
      process.execPath,
      [path.join(packageDir, "bin", "rampart.cjs"), "--version"],
      (error, stdout) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
    );
  });
  assert.equal(result.code, 0);
  assert.match(result.stdout, /^\d+\.\d+\.\d+/);
});
