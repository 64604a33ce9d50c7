/** The metric names that the agent exports, as in docs/grafana and docs/prometheus. */
export const rampartMetrics: ReadonlySet<string> = new Set([
  "rampart_requests_total",
  "rampart_inspections_total",
  "rampart_detections_total",
  "rampart_inspection_duration_seconds",
  "rampart_agent_errors_total",
  "rampart_events_dropped_total",
  "rampart_events_deduplicated_total",
  "rampart_agent_info",
]);

/** Series that Prometheus derives from the one histogram. */
const histogramSeries = ["_bucket", "_sum", "_count"].map(
  (suffix) => `rampart_inspection_duration_seconds${suffix}`,
);

/** PromQL words that are not metric names: operators, modifiers and aggregation clauses. */
const keywords = new Set([
  "by",
  "without",
  "and",
  "or",
  "unless",
  "offset",
  "bool",
  "on",
  "ignoring",
  "group_left",
  "group_right",
]);

/** Maps a series name to the exported metric it belongs to, or returns it unchanged. */
export function metricOfSeries(name: string): string {
  return histogramSeries.includes(name) ? "rampart_inspection_duration_seconds" : name;
}

/**
 * Returns the metric names that a PromQL expression selects. Label matchers, strings, ranges,
 * grouping clauses and function names are removed first, so what is left are metric names,
 * keywords and numbers. Grafana variables (`$job`, `$__range`) count as neither.
 */
export function metricNamesIn(expression: string): string[] {
  const stripped = expression
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\$\{?\w+\}?/g, " ")
    .replace(/[a-zA-Z_:][\w:]*\s*\(/g, "(");

  const names = stripped.match(/[a-zA-Z_:][\w:]*/g) ?? [];
  return names.filter((name) => !keywords.has(name) && !/^(e|Inf|NaN)$/i.test(name));
}
