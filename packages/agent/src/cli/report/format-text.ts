import type { Snapshot } from "../../forensics/snapshot";
import { allowRuleText } from "./allow-rule-text";
import { maxTopRows, type CountRow, type DurationStats, type Report } from "./summarize";
import { field, fit, table, terminalWidth, wrap } from "./text-layout";

function countTable(title: string, rows: readonly CountRow[]): string[] {
  return table(
    title,
    ["detected", "blocked", "monitored"],
    rows.map((row) => [row.key, row.detections, row.blocked, row.monitored] as const),
    maxTopRows,
  );
}

function formatStats(stats: DurationStats | null, missing: string): string {
  if (stats === null) return missing;
  return `n=${stats.count}  p50 ${stats.p50_ms} ms  p95 ${stats.p95_ms} ms  max ${stats.max_ms} ms`;
}

function inputSection(report: Report): string[] {
  const { input } = report;
  const read = [
    `${input.lines} lines`,
    `${input.events} events`,
    `${input.malformed_lines} malformed`,
    `${input.unrecognized_lines} unrecognized`,
  ];
  if (input.partial_last_line) read.push("last line incomplete");
  if (input.since !== null) read.push(`${input.skipped_before_since} before ${input.since}`);
  return [
    fit(`Rampart report of ${input.events_file}`, terminalWidth),
    ...field("Period", `${report.period.first ?? "-"} to ${report.period.last ?? "-"}`),
    ...field("Read", read.join(", ")),
  ];
}

function totalsSection(report: Report): string[] {
  const { totals } = report;
  return field(
    "Detections",
    `${totals.detections} (blocked ${totals.blocked}, monitored ${totals.monitored}, false positives ${totals.false_positives})`,
  );
}

function sourcesSection(report: Report): string[] {
  return table(
    "Top sources (client, attack types)",
    ["detected", "blocked"],
    report.top_sources.map(
      (row) =>
        [`${row.client_ip} ${row.attack_types.join(",")}`, row.detections, row.blocked] as const,
    ),
    maxTopRows,
  );
}

function falsePositiveSection(report: Report): string[] {
  const { rules, by_rule: byRule } = report.false_positives;
  if (rules.length === 0) return ["False positives: no allow rules given (--allow FILE)"];
  return table(
    "False positives by allow rule",
    ["matches"],
    byRule.map((row) => [allowRuleText(rules[row.rule] ?? {}), row.matches] as const),
    maxTopRows,
  );
}

function timingSection(report: Report): string[] {
  const noSnapshots =
    report.input.snapshots_dir === null
      ? "no snapshots read (--snapshots DIR)"
      : "no matching snapshots";
  return [
    ...field("Detect", formatStats(report.timing.time_to_detect, noSnapshots)),
    ...field("Block", formatStats(report.timing.time_to_block, noSnapshots)),
  ];
}

function agentSection(report: Report): string[] {
  const { agent } = report;
  const errors = agent.errors.map((row) => `${row.kind} ${row.count}`).join(", ");
  const dropped = agent.dropped.map((row) => `${row.exporter} ${row.count}`).join(", ");
  return [
    ...field("Versions", agent.versions.join(", ") || "-"),
    ...field("Modes", agent.modes.join(", ") || "-"),
    ...field("Errors", `${agent.errors_total}${errors === "" ? "" : ` (${errors})`}`),
    ...field("Dropped", `${agent.dropped_total}${dropped === "" ? "" : ` (${dropped})`}`),
  ];
}

/** Renders a report for an 80-column terminal. */
export function formatReportText(report: Report): string {
  const sections = [
    inputSection(report),
    totalsSection(report),
    countTable("By attack type", report.by_attack_type),
    countTable("By route", report.by_route),
    countTable("By input path", report.by_input_path),
    countTable("By sink", report.by_sink),
    countTable("By client", report.by_client),
    sourcesSection(report),
    falsePositiveSection(report),
    ["Time from request start, from snapshots:", ...timingSection(report)],
    ["Agent:", ...agentSection(report)],
  ];
  return sections.map((lines) => lines.join("\n")).join("\n\n") + "\n";
}

function timingsText(timings: Snapshot["timings"]): string {
  const parts = [`detected ${timings.detected_at}`];
  if (timings.time_to_detect_ms !== null) parts.push(`${timings.time_to_detect_ms} ms after start`);
  if (timings.time_to_block_ms !== null)
    parts.push(`response sent after ${timings.time_to_block_ms} ms`);
  return parts.join(", ");
}

function requestLines(request: NonNullable<Snapshot["request"]>): string[] {
  const target = request.query === "" ? request.path : `${request.path}?${request.query}`;
  const lines = [
    ...field("Request", `${request.method ?? "?"} ${target} HTTP/${request.http_version}`),
    ...field("Route", request.route ?? "-"),
    ...field("Client", `${request.client_ip ?? "-"}, request id ${request.request_id}`),
    "Headers:",
  ];
  for (const [name, value] of Object.entries(request.headers))
    lines.push(...wrap(`${name}: ${value}`, "  "));
  if (request.headers_omitted > 0)
    lines.push(`  … ${request.headers_omitted} more headers not kept`);
  return lines;
}

/** Renders one snapshot for an 80-column terminal; long values wrap. */
export function formatSnapshotText(snapshot: Snapshot): string {
  const input = snapshot.input;
  const lines = [
    ...field("Event", snapshot.event_id),
    ...field("Time", snapshot.time),
    ...field("Attack", `${snapshot.attack_type} at ${snapshot.sink}, ${snapshot.action}`),
    ...field("Reason", snapshot.reason),
    ...field(
      "Agent",
      `${snapshot.agent.version}, mode ${snapshot.agent.mode}, policy ${snapshot.agent.policy_version}`,
    ),
    ...(snapshot.request === null
      ? field("Request", "none (outside a request)")
      : requestLines(snapshot.request)),
    ...field(
      "Input",
      input === null
        ? "none"
        : `${input.path} (${input.source}, ${input.length} chars): ${input.value}`,
    ),
    "Operation:",
    ...wrap(snapshot.operation, "  "),
    "Stack:",
    ...snapshot.stack.flatMap((frame) => wrap(frame, "  ")),
    ...field("Timings", timingsText(snapshot.timings)),
  ];
  return lines.join("\n") + "\n";
}
