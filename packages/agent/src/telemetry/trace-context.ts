import type { IncomingHttpHeaders } from "node:http";

import { activeSpan } from "./otel-api";

/** Trace and span ids of an event, lower-case hex as W3C Trace Context writes them. */
export interface TraceIds {
  trace_id: string;
  span_id: string;
}

/** version-traceid-parentid-flags, version 00 being exactly 55 characters (W3C Trace Context level 1). */
const traceparentPattern = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const invalidTraceId = "0".repeat(32);
const invalidSpanId = "0".repeat(16);

/**
 * Parses a `traceparent` header. Returns undefined for an invalid value: a malformed field, version
 * `ff`, an all-zero id, or version 00 with extra fields.
 */
export function parseTraceparent(header: string | undefined): TraceIds | undefined {
  if (header === undefined || header.length > 512) return undefined;

  const match = traceparentPattern.exec(header.trim());
  if (match === null) return undefined;

  const [, version, traceId, spanId, , rest] = match;
  if (version === "ff" || traceId === invalidTraceId || spanId === invalidSpanId) return undefined;
  if (version === "00" && rest !== undefined) return undefined;
  return { trace_id: traceId!, span_id: spanId! };
}

/**
 * Returns the ids of the active OpenTelemetry span when the app runs an SDK and a valid span is
 * active, else those of the request's `traceparent` header, else undefined. With the header, the
 * span id is the caller's span, the parent of any span this service would have started.
 */
export function currentTraceIds(headers: IncomingHttpHeaders | undefined): TraceIds | undefined {
  const spanContext = activeSpan()?.spanContext();
  if (
    spanContext !== undefined &&
    /^[0-9a-f]{32}$/.test(spanContext.traceId) &&
    spanContext.traceId !== invalidTraceId &&
    /^[0-9a-f]{16}$/.test(spanContext.spanId) &&
    spanContext.spanId !== invalidSpanId
  ) {
    return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
  }

  const header = headers?.traceparent;
  return parseTraceparent(Array.isArray(header) ? header[0] : header);
}
