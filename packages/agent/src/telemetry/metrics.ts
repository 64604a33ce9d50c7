import { internalErrorCounts } from "../failsafe";
import { attackTypes, type AttackType } from "./security-event";

/**
 * In-process counters behind every metric the agent reports. The hot path only increments numbers
 * in preallocated arrays; exporters (Prometheus, OpenTelemetry) read a snapshot when they collect.
 * docs/metrics.md lists the metrics.
 */

/** Upper bounds of the inspection duration histogram, in seconds (1 µs to 100 ms). */
export const durationBuckets: readonly number[] = [
  0.000001, 0.0000025, 0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
  0.005, 0.01, 0.025, 0.1,
];

const typeCount = attackTypes.length;

const typeIndex: Record<string, number> = Object.create(null) as Record<string, number>;
attackTypes.forEach((type, index) => (typeIndex[type] = index));

/** Inspections per sink, one slot per attack type. */
const inspectionsBySink = new Map<string, Float64Array>();

/** Bucket counts per attack type; slot `durationBuckets.length` counts durations above the last bound. */
const durationCounts = attackTypes.map(() => new Float64Array(durationBuckets.length + 1));
const durationSums = new Float64Array(typeCount);

/** Detections per attack type: slot 0 blocked, slot 1 monitored. */
const detectionCounts = attackTypes.map(() => new Float64Array(2));

const droppedEvents = new Map<string, number>();

/** Reason an inspection ended without a trusted verdict; docs/metrics.md lists the values. */
export type InspectionFailure = "error" | "over_budget" | "detector_off";

/** Outcome of the operation after such a failure. */
export type FailureOutcome = "allowed" | "monitored" | "blocked";

const failureReasons: readonly InspectionFailure[] = ["error", "over_budget", "detector_off"];
const failureOutcomes: readonly FailureOutcome[] = ["allowed", "monitored", "blocked"];

/** Failed inspections per attack type, one slot per reason and outcome pair. */
const failureCounts = attackTypes.map(
  () => new Float64Array(failureReasons.length * failureOutcomes.length),
);

/** Times each detector was switched off by its breaker. */
const breakerTrips = new Float64Array(typeCount);

/** Per attack type, the `performance.now()` time until which the detector is off; 0 when on. */
const detectorsOffUntil = new Float64Array(typeCount);

let requestCount = 0;
let policyRejections = 0;
let deduplicatedCount = 0;

/**
 * Durations recorded since a consumer last drained them, for exporters that need the individual
 * values (OpenTelemetry histograms have no way to import bucket counts). Filled only while a
 * consumer is registered.
 * NOTE: the consumer drains once a second, so beyond 4096 inspections per second the OpenTelemetry
 * histogram misses the rest; the Prometheus histogram counts every inspection.
 */
const pendingDurationCapacity = 4096;
const pendingDurations = new Float64Array(pendingDurationCapacity);
const pendingDurationTypes = new Uint8Array(pendingDurationCapacity);
let pendingDurationLength = 0;
let durationsCollected = false;

/** Counts one inspection at a sink and its duration in milliseconds (from `performance.now()`). */
export function countInspection(attackType: AttackType, sink: string, durationMs: number): void {
  const index = typeIndex[attackType] ?? 0;

  let bySink = inspectionsBySink.get(sink);
  if (bySink === undefined) {
    bySink = new Float64Array(typeCount);
    inspectionsBySink.set(sink, bySink);
  }
  bySink[index]! += 1;

  const seconds = durationMs / 1000;
  const counts = durationCounts[index]!;
  let bucket = 0;
  while (bucket < durationBuckets.length && seconds > durationBuckets[bucket]!) bucket++;
  counts[bucket]! += 1;
  durationSums[index]! += seconds;

  if (durationsCollected && pendingDurationLength < pendingDurationCapacity) {
    pendingDurations[pendingDurationLength] = seconds;
    pendingDurationTypes[pendingDurationLength] = index;
    pendingDurationLength++;
  }
}

/** Counts one detection and what happened to the operation. */
export function countDetection(attackType: AttackType, action: "blocked" | "monitored"): void {
  const counts = detectionCounts[typeIndex[attackType] ?? 0]!;
  counts[action === "blocked" ? 0 : 1]! += 1;
}

/** Counts an inspection that ended without a trusted verdict and what happened to the operation. */
export function countInspectionFailure(
  attackType: AttackType,
  reason: InspectionFailure,
  outcome: FailureOutcome,
): void {
  const slot =
    failureReasons.indexOf(reason) * failureOutcomes.length + failureOutcomes.indexOf(outcome);
  failureCounts[typeIndex[attackType] ?? 0]![slot]! += 1;
}

/** Counts a breaker trip and records until when (`performance.now()` time) the detector is off. */
export function countBreakerTrip(attackType: AttackType, offUntil: number): void {
  const index = typeIndex[attackType] ?? 0;
  breakerTrips[index]! += 1;
  detectorsOffUntil[index] = offUntil;
}

/** Records that a detector is back on before its cool-down time (a policy reload). */
export function clearDetectorOff(attackType: AttackType): void {
  detectorsOffUntil[typeIndex[attackType] ?? 0] = 0;
}

/** Counts a policy rejected at start or on a reload (invalid, unreadable or deleted). */
export function countPolicyRejection(): void {
  policyRejections++;
}

/** Counts events that an exporter did not deliver. `reason` is one of docs/metrics.md's drop reasons. */
export function countDroppedEvents(exporter: string, reason: string, count = 1): void {
  const key = `${exporter}\u0000${reason}`;
  droppedEvents.set(key, (droppedEvents.get(key) ?? 0) + count);
}

/** Counts events folded into a deduplication summary instead of being sent on their own. */
export function countDeduplicatedEvent(): void {
  deduplicatedCount++;
}

/**
 * Counts one request of a node:http or node:https server (Express and Fastify included), called
 * by the request source. HTTP/2 servers are not counted.
 */
export function countRequest(server: object): void {
  if (!ignoredServers.has(server)) requestCount++;
}

/** Servers whose requests are not the app's (the agent's own metrics endpoint). */
const ignoredServers = new WeakSet<object>();

/** Leaves the requests of this server out of rampart_requests_total. */
export function ignoreRequestsOf(server: object): void {
  ignoredServers.add(server);
}

/** Makes `countInspection` keep individual durations until `drainDurations` takes them. */
export function collectDurations(): void {
  durationsCollected = true;
}

/** Passes every duration kept since the last call to `record`, in seconds, and empties the buffer. */
export function drainDurations(record: (attackType: AttackType, seconds: number) => void): void {
  const length = pendingDurationLength;
  pendingDurationLength = 0;
  for (let index = 0; index < length; index++) {
    record(attackTypes[pendingDurationTypes[index]!]!, pendingDurations[index]!);
  }
}

export interface CounterSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface HistogramSample {
  readonly labels: Readonly<Record<string, string>>;
  /** Cumulative counts, one per bound of `durationBuckets`. */
  readonly buckets: readonly number[];
  readonly count: number;
  readonly sum: number;
}

/** Current value of every counter, read by exporters when they collect. */
export interface MetricsSnapshot {
  readonly requests: number;
  readonly inspections: readonly CounterSample[];
  readonly detections: readonly CounterSample[];
  readonly durations: readonly HistogramSample[];
  readonly agentErrors: readonly CounterSample[];
  readonly droppedEvents: readonly CounterSample[];
  readonly deduplicatedEvents: number;
  readonly policyRejections: number;
  readonly inspectionFailures: readonly CounterSample[];
  readonly breakerTrips: readonly CounterSample[];
  /** Gauge: 1 for each detector switched off by its breaker at the time of the snapshot. */
  readonly detectorsOff: readonly CounterSample[];
}

function inspectionSamples(): CounterSample[] {
  const samples: CounterSample[] = [];
  for (const [sink, counts] of inspectionsBySink) {
    counts.forEach((value, index) => {
      if (value > 0) samples.push({ labels: { attack_type: attackTypes[index]!, sink }, value });
    });
  }
  return samples;
}

function detectionSamples(): CounterSample[] {
  const samples: CounterSample[] = [];
  detectionCounts.forEach((counts, index) => {
    const attackType = attackTypes[index]!;
    if (counts[0]! > 0)
      samples.push({ labels: { attack_type: attackType, action: "blocked" }, value: counts[0]! });
    if (counts[1]! > 0)
      samples.push({ labels: { attack_type: attackType, action: "monitored" }, value: counts[1]! });
  });
  return samples;
}

function durationSamples(): HistogramSample[] {
  const samples: HistogramSample[] = [];
  durationCounts.forEach((counts, index) => {
    let cumulative = 0;
    const buckets = durationBuckets.map((_, bucket) => (cumulative += counts[bucket]!));
    const count = cumulative + counts[durationBuckets.length]!;
    if (count === 0) return;
    samples.push({
      labels: { attack_type: attackTypes[index]! },
      buckets,
      count,
      sum: durationSums[index]!,
    });
  });
  return samples;
}

function droppedSamples(): CounterSample[] {
  return [...droppedEvents].map(([key, value]) => {
    const [exporter = "", reason = ""] = key.split("\u0000");
    return { labels: { exporter, reason }, value };
  });
}

function agentErrorSamples(): CounterSample[] {
  return [...internalErrorCounts()].map(([kind, value]) => ({ labels: { kind }, value }));
}

function failureSamples(): CounterSample[] {
  const samples: CounterSample[] = [];
  failureCounts.forEach((counts, index) => {
    counts.forEach((value, slot) => {
      if (value === 0) return;
      const reason = failureReasons[Math.floor(slot / failureOutcomes.length)]!;
      const outcome = failureOutcomes[slot % failureOutcomes.length]!;
      samples.push({ labels: { attack_type: attackTypes[index]!, reason, outcome }, value });
    });
  });
  return samples;
}

function breakerSamples(): CounterSample[] {
  const samples: CounterSample[] = [];
  breakerTrips.forEach((value, index) => {
    if (value > 0) samples.push({ labels: { attack_type: attackTypes[index]! }, value });
  });
  return samples;
}

function detectorOffSamples(): CounterSample[] {
  const now = performance.now();
  const samples: CounterSample[] = [];
  breakerTrips.forEach((trips, index) => {
    // Only detectors that were ever switched off get a series, so the gauge does not list every type.
    if (trips === 0) return;
    const off = detectorsOffUntil[index]! > now ? 1 : 0;
    samples.push({ labels: { attack_type: attackTypes[index]! }, value: off });
  });
  return samples;
}

/** Reads every counter. Costs a walk over the counters, so exporters call it only when they collect. */
export function metricsSnapshot(): MetricsSnapshot {
  return {
    requests: requestCount,
    inspections: inspectionSamples(),
    detections: detectionSamples(),
    durations: durationSamples(),
    agentErrors: agentErrorSamples(),
    droppedEvents: droppedSamples(),
    deduplicatedEvents: deduplicatedCount,
    policyRejections,
    inspectionFailures: failureSamples(),
    breakerTrips: breakerSamples(),
    detectorsOff: detectorOffSamples(),
  };
}

/** Total of dropped events per exporter and reason, for the periodic warning. */
export function droppedEventTotals(): ReadonlyMap<string, number> {
  return droppedEvents;
}
