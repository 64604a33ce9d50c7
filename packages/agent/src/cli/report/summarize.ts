import type { Snapshot } from "../../forensics/snapshot";
import { eventRoute, matchingRule, type AllowRule } from "./allow-rules";
import type { AgentLogLine, LogContents, ReportedEvent } from "./read-events";

/** Version of the JSON report layout; docs/report.md describes every field. */
export const reportFormatVersion = 1;

/** Rows kept in each top list of the report. */
export const maxTopRows = 10;

/** False-positive events listed one by one; the count covers all of them. */
export const maxListedFalsePositives = 50;

export interface CountRow {
  key: string;
  detections: number;
  blocked: number;
  monitored: number;
}

export interface SourceRow {
  client_ip: string;
  detections: number;
  blocked: number;
  attack_types: string[];
  first_seen: string;
  last_seen: string;
}

export interface DayRow {
  day: string;
  detections: number;
  blocked: number;
  false_positives: number;
}

export interface DurationStats {
  count: number;
  p50_ms: number;
  p95_ms: number;
  max_ms: number;
}

export interface Report {
  report_version: number;
  input: {
    events_file: string;
    since: string | null;
    lines: number;
    events: number;
    skipped_before_since: number;
    malformed_lines: number;
    unrecognized_lines: number;
    partial_last_line: boolean;
    agent_log_lines: number;
    snapshots_dir: string | null;
    snapshots_matched: number;
    snapshots_unreadable: number;
  };
  period: { first: string | null; last: string | null };
  totals: { detections: number; blocked: number; monitored: number; false_positives: number };
  by_attack_type: CountRow[];
  by_route: CountRow[];
  by_input_path: CountRow[];
  by_input_source: CountRow[];
  by_sink: CountRow[];
  by_client: CountRow[];
  top_sources: SourceRow[];
  by_day: DayRow[];
  false_positives: {
    rules: AllowRule[];
    by_rule: { rule: number; matches: number }[];
    events: {
      event_id: string;
      time: string;
      attack_type: string;
      route: string;
      input_path: string;
    }[];
  };
  timing: { time_to_detect: DurationStats | null; time_to_block: DurationStats | null };
  agent: {
    versions: string[];
    modes: string[];
    errors_total: number;
    errors: { kind: string; count: number }[];
    dropped_total: number;
    dropped: { exporter: string; count: number }[];
  };
}

export interface SummaryInput {
  eventsFile: string;
  contents: LogContents;
  /** Agent log lines read from `--log` files, besides those in the events file. */
  extraLogLines: AgentLogLine[];
  since: Date | undefined;
  rules: AllowRule[];
  snapshotsDir: string | undefined;
  snapshotTimings: Map<string, Snapshot["timings"]> | undefined;
  snapshotsUnreadable: number;
}

function routeKey(event: ReportedEvent): string {
  const route = eventRoute(event);
  if (route === undefined) return "(outside a request)";
  const method = event.request?.method;
  return method === undefined ? route : `${method} ${route}`;
}

class Counter {
  private readonly rows = new Map<string, CountRow>();

  add(key: string, event: ReportedEvent): void {
    let row = this.rows.get(key);
    if (row === undefined) {
      row = { key, detections: 0, blocked: 0, monitored: 0 };
      this.rows.set(key, row);
    }
    row.detections++;
    if (event.action === "blocked") row.blocked++;
    else row.monitored++;
  }

  /** Rows by detections, most first; ties by key so the output is stable. */
  sorted(): CountRow[] {
    return [...this.rows.values()].sort(
      (a, b) => b.detections - a.detections || a.key.localeCompare(b.key),
    );
  }
}

function summarizeSources(events: readonly ReportedEvent[]): SourceRow[] {
  const sources = new Map<string, SourceRow & { types: Set<string> }>();
  for (const event of events) {
    const ip = event.request?.client_ip ?? "(unknown)";
    let row = sources.get(ip);
    if (row === undefined) {
      row = {
        client_ip: ip,
        detections: 0,
        blocked: 0,
        attack_types: [],
        first_seen: event.time,
        last_seen: event.time,
        types: new Set(),
      };
      sources.set(ip, row);
    }
    row.detections++;
    if (event.action === "blocked") row.blocked++;
    row.types.add(event.attack_type);
    if (event.time < row.first_seen) row.first_seen = event.time;
    if (event.time > row.last_seen) row.last_seen = event.time;
  }

  return [...sources.values()]
    .sort((a, b) => b.detections - a.detections || a.client_ip.localeCompare(b.client_ip))
    .slice(0, maxTopRows)
    .map(({ types, ...row }) => ({ ...row, attack_types: [...types].sort() }));
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], fraction: number): number {
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[rank - 1] ?? 0;
}

function durationStats(values: number[]): DurationStats | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50_ms: percentile(sorted, 0.5),
    p95_ms: percentile(sorted, 0.95),
    max_ms: sorted[sorted.length - 1] ?? 0,
  };
}

function summarizeTimings(
  events: readonly ReportedEvent[],
  timings: Map<string, Snapshot["timings"]> | undefined,
): { matched: number; timing: Report["timing"] } {
  const detect: number[] = [];
  const block: number[] = [];
  let matched = 0;
  for (const event of events) {
    const timing = timings?.get(event.event_id);
    if (timing === undefined) continue;
    matched++;
    if (typeof timing.time_to_detect_ms === "number") detect.push(timing.time_to_detect_ms);
    if (event.action === "blocked" && typeof timing.time_to_block_ms === "number")
      block.push(timing.time_to_block_ms);
  }
  return {
    matched,
    timing: { time_to_detect: durationStats(detect), time_to_block: durationStats(block) },
  };
}

/** Adds the dropped-event counts of one log line to `dropped`, by exporter. */
function addDropped(line: AgentLogLine, dropped: Map<string, number>): void {
  const add = (exporter: string, count: unknown) => {
    if (typeof count === "number" && count > 0)
      dropped.set(exporter, (dropped.get(exporter) ?? 0) + count);
  };

  if (typeof line.dropped === "number") {
    add(line.exporter ?? line.kind ?? "(unnamed)", line.dropped);
    return;
  }
  if (typeof line.dropped === "object" && line.dropped !== null) {
    // Keys are `exporter/reason`; values are the drops since the previous warning.
    for (const [key, count] of Object.entries(line.dropped))
      add(key.split("/", 1)[0] ?? key, count);
  }
}

/**
 * Sums the agent's errors (log lines of level `error`, by `kind`, else `code`, else message) and
 * dropped events (the `dropped` field of warnings, a count or an object of counts by
 * `exporter/reason`, each covering drops since the previous such line).
 */
function summarizeAgent(
  events: readonly ReportedEvent[],
  logLines: readonly AgentLogLine[],
): Report["agent"] {
  const errors = new Map<string, number>();
  const dropped = new Map<string, number>();
  for (const line of logLines) {
    if (line.level === "error") {
      const kind = line.kind ?? line.code ?? line.msg ?? "(unnamed)";
      errors.set(kind, (errors.get(kind) ?? 0) + 1);
    }
    addDropped(line, dropped);
  }

  const byCount = <T extends { count: number }>(rows: T[], key: (row: T) => string) =>
    rows.sort((a, b) => b.count - a.count || key(a).localeCompare(key(b)));
  const distinct = (values: (string | undefined)[]) =>
    [...new Set(values.filter((value): value is string => value !== undefined))].sort();

  const errorRows = byCount(
    [...errors].map(([kind, count]) => ({ kind, count })),
    (row) => row.kind,
  );
  const droppedRows = byCount(
    [...dropped].map(([exporter, count]) => ({ exporter, count })),
    (row) => row.exporter,
  );
  return {
    versions: distinct(events.map((event) => event.agent?.version)),
    modes: distinct(events.map((event) => event.agent?.mode)),
    errors_total: errorRows.reduce((sum, row) => sum + row.count, 0),
    errors: errorRows,
    dropped_total: droppedRows.reduce((sum, row) => sum + row.count, 0),
    dropped: droppedRows,
  };
}

/** Builds the report of a JSON Lines event log. */
export function summarize(input: SummaryInput): Report {
  const sinceMs = input.since?.getTime();
  const events = input.contents.events.filter(
    (event) => sinceMs === undefined || Date.parse(event.time) >= sinceMs,
  );

  const counters = {
    attackType: new Counter(),
    route: new Counter(),
    inputPath: new Counter(),
    inputSource: new Counter(),
    sink: new Counter(),
    client: new Counter(),
  };
  const days = new Map<string, DayRow>();
  const ruleMatches = input.rules.map(() => 0);
  const falsePositives: Report["false_positives"]["events"] = [];
  let falsePositiveCount = 0;

  for (const event of events) {
    counters.attackType.add(event.attack_type, event);
    counters.route.add(routeKey(event), event);
    counters.inputPath.add(event.input?.path ?? "(no input)", event);
    counters.inputSource.add(event.input?.source ?? "(no input)", event);
    counters.sink.add(event.sink, event);
    counters.client.add(event.request?.client_ip ?? "(unknown)", event);

    const day = event.time.slice(0, 10);
    const dayRow = days.get(day) ?? { day, detections: 0, blocked: 0, false_positives: 0 };
    days.set(day, dayRow);
    dayRow.detections++;
    if (event.action === "blocked") dayRow.blocked++;

    const rule = matchingRule(input.rules, event);
    if (rule < 0) continue;
    ruleMatches[rule] = (ruleMatches[rule] ?? 0) + 1;
    falsePositiveCount++;
    dayRow.false_positives++;
    if (falsePositives.length < maxListedFalsePositives)
      falsePositives.push({
        event_id: event.event_id,
        time: event.time,
        attack_type: event.attack_type,
        route: routeKey(event),
        input_path: event.input?.path ?? "(no input)",
      });
  }

  const times = events.map((event) => event.time).sort();
  const blocked = events.filter((event) => event.action === "blocked").length;
  const { matched, timing } = summarizeTimings(events, input.snapshotTimings);
  const { contents } = input;
  return {
    report_version: reportFormatVersion,
    input: {
      events_file: input.eventsFile,
      since: input.since?.toISOString() ?? null,
      lines: contents.lines,
      events: contents.events.length,
      skipped_before_since: contents.events.length - events.length,
      malformed_lines: contents.malformed,
      unrecognized_lines: contents.unrecognized,
      partial_last_line: contents.partialLastLine,
      agent_log_lines: contents.logLines.length + input.extraLogLines.length,
      snapshots_dir: input.snapshotsDir ?? null,
      snapshots_matched: matched,
      snapshots_unreadable: input.snapshotsUnreadable,
    },
    period: { first: times[0] ?? null, last: times[times.length - 1] ?? null },
    totals: {
      detections: events.length,
      blocked,
      monitored: events.length - blocked,
      false_positives: falsePositiveCount,
    },
    by_attack_type: counters.attackType.sorted(),
    by_route: counters.route.sorted(),
    by_input_path: counters.inputPath.sorted(),
    by_input_source: counters.inputSource.sorted(),
    by_sink: counters.sink.sorted(),
    by_client: counters.client.sorted(),
    top_sources: summarizeSources(events),
    by_day: [...days.values()].sort((a, b) => a.day.localeCompare(b.day)),
    false_positives: {
      rules: input.rules,
      by_rule: ruleMatches.map((matches, rule) => ({ rule, matches })),
      events: falsePositives,
    },
    timing,
    agent: summarizeAgent(events, [...contents.logLines, ...input.extraLogLines]),
  };
}
