import type { IncomingHttpHeaders } from "node:http";
import { performance } from "node:perf_hooks";

import type { Mode } from "../config";
import type { RequestContext } from "../context/request-context";
import {
  isSensitivePath,
  maskSecret,
  maskSecretShapes,
  maxInputLength,
  maxOperationLength,
  truncate,
} from "../telemetry/redact";
import type { SecurityEvent } from "../telemetry/security-event";
import { millisecondsSince, requestStart } from "./request-timing";

/** Version of the snapshot file format; docs/forensics.md describes each field. */
export const snapshotFormatVersion = 1;

/** Headers masked whatever their value, besides any whose name looks like a secret. */
const sensitiveHeaders: ReadonlySet<string> = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
]);

/** Maximum number of headers kept in a snapshot; a request with more is cut and the cut is counted. */
export const maxSnapshotHeaders = 100;

/** The request part of a snapshot. */
export interface SnapshotRequest {
  method: string | undefined;
  path: string;
  /** Query string without the `?`, secrets masked; empty when the URL had none. */
  query: string;
  route: string | undefined;
  http_version: string;
  client_ip: string | undefined;
  request_id: string;
  headers: Record<string, string>;
  /** Headers left out beyond `maxSnapshotHeaders`. */
  headers_omitted: number;
}

/** Durations measured from the request's arrival at the server. */
export interface SnapshotTimings {
  /** When the server received the request (ISO 8601), null outside a request. */
  request_start: string | null;
  /** When the detector's finding was reported (ISO 8601). */
  detected_at: string;
  /** Milliseconds from request start to detection, null outside a request. */
  time_to_detect_ms: number | null;
  /** Milliseconds from request start until the blocked request's response was sent, else null. */
  time_to_block_ms: number | null;
}

/** One forensic snapshot, written as one JSON file named after its event id. */
export interface Snapshot {
  snapshot_version: number;
  event_id: string;
  time: string;
  attack_type: SecurityEvent["attack_type"];
  action: SecurityEvent["action"];
  sink: string;
  reason: string;
  agent: { version: string; mode: Mode; policy_version: string };
  request: SnapshotRequest | null;
  input: SecurityEvent["input"];
  operation: string;
  stack: string[];
  timings: SnapshotTimings;
}

function isSensitiveHeader(name: string): boolean {
  return sensitiveHeaders.has(name) || isSensitivePath(`headers.${name}`);
}

function headerValue(name: string, raw: string | string[]): string {
  const value = Array.isArray(raw) ? raw.join(", ") : raw;
  if (isSensitiveHeader(name)) return maskSecret(value);
  return truncate(maskSecretShapes(value), maxInputLength);
}

function redactHeaders(
  headers: IncomingHttpHeaders,
): Pick<SnapshotRequest, "headers" | "headers_omitted"> {
  const redacted: Record<string, string> = {};
  let kept = 0;
  let omitted = 0;
  for (const [name, raw] of Object.entries(headers)) {
    if (raw === undefined) continue;
    if (kept >= maxSnapshotHeaders) {
      omitted++;
      continue;
    }
    redacted[name] = headerValue(name, raw);
    kept++;
  }
  return { headers: redacted, headers_omitted: omitted };
}

function decodeQueryPart(part: string): string {
  try {
    return decodeURIComponent(part.replaceAll("+", " "));
  } catch {
    return part;
  }
}

/**
 * Masks the query string pair by pair. A parameter whose name looks like a secret loses its value,
 * and a token shape inside any other value is masked. Untouched pairs keep their original encoding.
 */
export function redactQuery(query: string): string {
  const pairs = query.split("&").map((pair) => {
    const equals = pair.indexOf("=");
    if (equals < 0) return pair;

    const rawName = pair.slice(0, equals);
    const value = decodeQueryPart(pair.slice(equals + 1));
    if (isSensitivePath(`query.${decodeQueryPart(rawName)}`))
      return `${rawName}=${encodeURIComponent(maskSecret(value))}`;

    const masked = maskSecretShapes(value);
    return masked === value ? pair : `${rawName}=${encodeURIComponent(masked)}`;
  });
  return truncate(pairs.join("&"), maxOperationLength);
}

function snapshotRequest(context: RequestContext): SnapshotRequest {
  const { req } = context;
  const url = req.url ?? "/";
  const questionMark = url.indexOf("?");
  const path = questionMark < 0 ? url : url.slice(0, questionMark);
  const query = questionMark < 0 ? "" : url.slice(questionMark + 1);
  return {
    method: req.method,
    path: truncate(path, maxInputLength),
    query: redactQuery(query),
    route: context.route(),
    http_version: req.httpVersion,
    client_ip: context.clientIp(),
    request_id: context.requestId(),
    ...redactHeaders(req.headers),
  };
}

function detectionTimings(
  event: SecurityEvent,
  context: RequestContext | undefined,
  detectedAtMs: number,
): SnapshotTimings {
  const start = context === undefined ? undefined : requestStart(context);
  return {
    request_start: start === undefined ? null : new Date(start.epochMs).toISOString(),
    detected_at: event.time,
    time_to_detect_ms:
      start === undefined ? null : millisecondsSince(start.monotonicMs, detectedAtMs),
    time_to_block_ms: null,
  };
}

/**
 * Builds the snapshot of a detection from its already redacted event and the request. Headers and
 * the query string are redacted here with the event's rules. `detectedAtMs` is `performance.now()`
 * when the finding was reported.
 */
export function buildSnapshot(
  event: SecurityEvent,
  context: RequestContext | undefined,
  policyVersion: string,
  detectedAtMs: number = performance.now(),
): Snapshot {
  return {
    snapshot_version: snapshotFormatVersion,
    event_id: event.event_id,
    time: event.time,
    attack_type: event.attack_type,
    action: event.action,
    sink: event.sink,
    reason: event.reason,
    agent: { version: event.agent.version, mode: event.agent.mode, policy_version: policyVersion },
    request: context === undefined ? null : snapshotRequest(context),
    input: event.input,
    operation: event.operation,
    stack: event.stack,
    timings: detectionTimings(event, context, detectedAtMs),
  };
}
