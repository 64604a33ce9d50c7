import { durationBuckets, type MetricsSnapshot } from "./metrics";

/** Labels of `rampart_agent_info`. */
export interface AgentInfo {
  readonly version: string;
  readonly mode: string;
  /** Hash of the effective configuration, until a policy file carries a version. */
  readonly policy_version: string;
}

export interface Sample {
  /** Full sample name, such as `rampart_inspection_duration_seconds_bucket`. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One metric with its samples, in the shape of the Prometheus text exposition format. */
export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "histogram";
  readonly samples: readonly Sample[];
}

function counterFamily(
  name: string,
  help: string,
  samples: readonly { labels: Readonly<Record<string, string>>; value: number }[],
): MetricFamily {
  return { name, help, type: "counter", samples: samples.map((sample) => ({ name, ...sample })) };
}

function durationFamily(snapshot: MetricsSnapshot): MetricFamily {
  const name = "rampart_inspection_duration_seconds";
  const samples: Sample[] = [];
  for (const histogram of snapshot.durations) {
    histogram.buckets.forEach((value, index) =>
      samples.push({
        name: `${name}_bucket`,
        labels: { ...histogram.labels, le: String(durationBuckets[index]) },
        value,
      }),
    );
    samples.push({
      name: `${name}_bucket`,
      labels: { ...histogram.labels, le: "+Inf" },
      value: histogram.count,
    });
    samples.push({ name: `${name}_sum`, labels: histogram.labels, value: histogram.sum });
    samples.push({ name: `${name}_count`, labels: histogram.labels, value: histogram.count });
  }
  return {
    name,
    help: "Time spent judging one sink operation, in seconds",
    type: "histogram",
    samples,
  };
}

/** Builds every metric of docs/metrics.md from a snapshot of the agent's counters. */
export function metricFamilies(snapshot: MetricsSnapshot, info: AgentInfo): MetricFamily[] {
  return [
    counterFamily("rampart_requests_total", "HTTP requests seen by the agent", [
      { labels: {}, value: snapshot.requests },
    ]),
    counterFamily(
      "rampart_inspections_total",
      "Sink operations inspected, per attack type and sink",
      snapshot.inspections,
    ),
    counterFamily(
      "rampart_detections_total",
      "Attacks detected, per attack type and action (blocked or monitored)",
      snapshot.detections,
    ),
    durationFamily(snapshot),
    counterFamily(
      "rampart_agent_errors_total",
      "Internal errors of the agent per kind; each one failed open",
      snapshot.agentErrors,
    ),
    counterFamily(
      "rampart_events_dropped_total",
      "Security events not delivered, per exporter and reason",
      snapshot.droppedEvents,
    ),
    counterFamily(
      "rampart_events_deduplicated_total",
      "Security events folded into a deduplication summary",
      [{ labels: {}, value: snapshot.deduplicatedEvents }],
    ),
    counterFamily(
      "rampart_inspection_failures_total",
      "Inspections without a trusted verdict, per attack type, reason and outcome",
      snapshot.inspectionFailures,
    ),
    counterFamily(
      "rampart_policy_rejections_total",
      "Policies rejected at start or on a reload; the last valid policy stays in force",
      [{ labels: {}, value: snapshot.policyRejections }],
    ),
    counterFamily(
      "rampart_detector_breaker_trips_total",
      "Times a detector was switched off after consecutive failed inspections",
      snapshot.breakerTrips,
    ),
    {
      name: "rampart_detector_off",
      help: "1 while the breaker keeps a detector switched off, else 0",
      type: "gauge",
      samples: snapshot.detectorsOff.map((sample) => ({ name: "rampart_detector_off", ...sample })),
    },
    {
      name: "rampart_agent_info",
      help: "Agent version, mode and configuration hash; the value is always 1",
      type: "gauge",
      samples: [{ name: "rampart_agent_info", labels: { ...info }, value: 1 }],
    },
  ];
}

/** Escapes a label value: backslash, double quote and line feed (exposition format 0.0.4). */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function formatValue(value: number): string {
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return Number.isNaN(value) ? "NaN" : String(value);
}

function formatSample(sample: Sample): string {
  const labels = Object.entries(sample.labels)
    .map(([key, value]) => `${key}="${escapeLabelValue(value)}"`)
    .join(",");
  return `${sample.name}${labels === "" ? "" : `{${labels}}`} ${formatValue(sample.value)}`;
}

/** Writes metric families in the Prometheus text exposition format 0.0.4. */
export function formatExposition(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${family.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) lines.push(formatSample(sample));
  }
  return lines.join("\n") + "\n";
}
