import { contextStorage } from "../context/storage";
import { failOpen } from "../failsafe";
import { log } from "../log";
import { agentVersion } from "../version";
import type { DropReason, EventExporter } from "./exporter";
import {
  collectDurations,
  drainDurations,
  durationBuckets,
  metricsSnapshot,
  type CounterSample,
} from "./metrics";
import { activeSpan, globalMeter, type OtelMeter, type OtelObservable } from "./otel-api";
import type { AgentInfo } from "./prometheus-text";
import type { SecurityEvent } from "./security-event";

/** Name of the span event that carries a security event. */
export const spanEventName = "rampart.security_event";

type Attributes = Record<string, string | number | boolean>;

/** `at handler (/srv/app/routes.js:14:22)` or `at /srv/app/routes.js:14:22`. */
const framePattern = /^at (?:(.+?) \()?(.+?):(\d+):(\d+)\)?$/;

/** Code attributes (OpenTelemetry semantic conventions 1.30) of the first application frame. */
function codeAttributes(stack: readonly string[]): Attributes {
  const match = framePattern.exec(stack[0] ?? "");
  if (match === null) return {};

  const [, functionName, filePath, line, column] = match;
  const attributes: Attributes = {
    "code.file.path": filePath!,
    "code.line.number": Number(line),
    "code.column.number": Number(column),
  };
  if (functionName !== undefined) attributes["code.function.name"] = functionName;
  return attributes;
}

function setIfDefined(
  attributes: Attributes,
  key: string,
  value: string | number | undefined,
): void {
  if (value !== undefined) attributes[key] = value;
}

/**
 * Attributes of the span event: OpenTelemetry semantic convention names for what they cover
 * (HTTP, client, user agent, code location), `rampart.*` for the rest.
 */
export function spanEventAttributes(event: SecurityEvent): Attributes {
  const attributes: Attributes = {
    "rampart.event_id": event.event_id,
    "rampart.attack_type": event.attack_type,
    "rampart.sink": event.sink,
    "rampart.action": event.action,
    "rampart.reason": event.reason,
    "rampart.operation": event.operation,
    "rampart.agent.version": event.agent.version,
    "rampart.agent.mode": event.agent.mode,
  };

  const input = event.input;
  if (input !== null) {
    attributes["rampart.input.source"] = input.source;
    attributes["rampart.input.path"] = input.path;
    attributes["rampart.input.value"] = input.value;
    attributes["rampart.input.length"] = input.length;
  }

  const request = event.request;
  if (request !== null) {
    setIfDefined(attributes, "http.request.method", request.method);
    setIfDefined(attributes, "url.path", request.path);
    setIfDefined(attributes, "http.route", request.route);
    setIfDefined(attributes, "client.address", request.client_ip);
    setIfDefined(attributes, "user_agent.original", request.user_agent);
    attributes["rampart.request_id"] = request.request_id;
  }
  setIfDefined(attributes, "rampart.count", event.count);
  return { ...attributes, ...codeAttributes(event.stack) };
}

/**
 * Adds each event to the active span of the app's OpenTelemetry SDK as a span event. It runs
 * synchronously in the guard's call, because the span may end as soon as the request's
 * synchronous work returns. Adding an event only appends to the span's in-memory list.
 */
export class OtelSpanExporter implements EventExporter {
  readonly name = "otel";
  readonly deduplicated = false;
  added = 0;

  enqueue(event: SecurityEvent): DropReason | undefined {
    const span = activeSpan();
    // An event outside any span (a startup query, a deduplication summary) has no span to join.
    if (span === undefined || !span.isRecording()) return undefined;

    span.addEvent(spanEventName, spanEventAttributes(event));
    this.added++;
    return undefined;
  }

  close(): void {}
}

/** How often the agent looks for a meter provider registered after it started, and records durations, in ms. */
const metricsPollMs = 1000;

function observeSamples(
  observable: OtelObservable,
  samples: () => readonly CounterSample[],
  prefixLabels: boolean,
): void {
  observable.addCallback((result) => {
    for (const sample of samples()) {
      const attributes: Attributes = {};
      for (const [key, value] of Object.entries(sample.labels))
        attributes[prefixLabels ? `rampart.${key}` : key] = value;
      result.observe(sample.value, attributes);
    }
  });
}

function createInstruments(meter: OtelMeter, info: AgentInfo): () => void {
  const counter = (name: string, description: string) =>
    meter.createObservableCounter(name, { description });

  observeSamples(
    counter("rampart.requests", "Requests seen by the agent"),
    () => [{ labels: {}, value: metricsSnapshot().requests }],
    true,
  );
  observeSamples(
    counter("rampart.inspections", "Sink operations inspected"),
    () => metricsSnapshot().inspections,
    true,
  );
  observeSamples(
    counter("rampart.detections", "Attacks detected"),
    () => metricsSnapshot().detections,
    true,
  );
  observeSamples(
    counter("rampart.agent.errors", "Internal errors of the agent, each failed open"),
    () => metricsSnapshot().agentErrors,
    true,
  );
  observeSamples(
    counter("rampart.events.dropped", "Security events an exporter did not deliver"),
    () => metricsSnapshot().droppedEvents,
    true,
  );
  observeSamples(
    counter("rampart.events.deduplicated", "Security events folded into a summary"),
    () => [{ labels: {}, value: metricsSnapshot().deduplicatedEvents }],
    true,
  );
  observeSamples(
    counter("rampart.inspection.failures", "Inspections without a trusted verdict"),
    () => metricsSnapshot().inspectionFailures,
    true,
  );
  observeSamples(
    counter("rampart.policy.rejections", "Policies rejected at start or on a reload"),
    () => [{ labels: {}, value: metricsSnapshot().policyRejections }],
    true,
  );
  observeSamples(
    counter("rampart.detector.breaker.trips", "Times a detector was switched off"),
    () => metricsSnapshot().breakerTrips,
    true,
  );
  observeSamples(
    meter.createObservableGauge("rampart.detector.off", {
      description: "1 while the breaker keeps a detector switched off",
    }),
    () => metricsSnapshot().detectorsOff,
    true,
  );
  observeSamples(
    meter.createObservableGauge("rampart.agent.info", {
      description: "Agent version, mode and configuration hash; always 1",
    }),
    () => [{ labels: { ...info }, value: 1 }],
    true,
  );

  const histogram = meter.createHistogram("rampart.inspection.duration", {
    description: "Time spent judging one sink operation",
    unit: "s",
    advice: { explicitBucketBoundaries: [...durationBuckets] },
  });
  return () =>
    drainDurations((attackType, seconds) =>
      histogram.record(seconds, { "rampart.attack_type": attackType }),
    );
}

/**
 * Reports the agent's metrics through the app's OpenTelemetry meter provider, once one is
 * registered: observable counters read the agent's counters when the SDK collects, and inspection
 * durations are recorded into a histogram every second.
 */
export function startOtelMetrics(info: AgentInfo): void {
  // Durations of inspections before the SDK registers its provider wait in the buffer.
  collectDurations();
  contextStorage.exit(() => {
    let recordDurations: (() => void) | undefined;
    const timer = setInterval(() => {
      failOpen("telemetry.otel.metrics", undefined, () => {
        if (recordDurations !== undefined) {
          recordDurations();
          return;
        }
        const meter = globalMeter("rampart", agentVersion);
        if (meter === undefined) return;

        recordDurations = createInstruments(meter, info);
        recordDurations();
        log.info({}, "OpenTelemetry meter provider found; agent metrics are reported through it");
      });
    }, metricsPollMs);
    timer.unref();
  });
}
