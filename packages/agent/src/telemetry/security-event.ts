import { randomUUID } from "node:crypto";

import type { Mode } from "../config";
import type { RequestContext } from "../context/request-context";
import type { Finding, UserInput } from "../detectors/types";
import { agentVersion } from "../version";
import {
  isSensitivePath,
  maskSecret,
  maskSecretShapes,
  maxInputLength,
  maxOperationLength,
  truncate,
} from "./redact";
import { applicationStack } from "./stack";

/** Attack types that detectors report; the event schema in docs/ lists the same values. */
export const attackTypes = [
  "sql_injection",
  "shell_injection",
  "argument_injection",
  "path_traversal",
  "ssrf",
  "code_injection",
  "nosql_injection",
  "prototype_pollution",
  "unsafe_deserialization",
  "xss",
  "header_injection",
  "open_redirect",
] as const;

export type AttackType = (typeof attackTypes)[number];

/** One security event, written as one JSON line; docs/event.schema.json describes every field. */
export interface SecurityEvent {
  time: string;
  event_id: string;
  attack_type: AttackType;
  sink: string;
  action: "blocked" | "monitored";
  reason: string;
  input: { source: string; path: string; value: string; length: number } | null;
  operation: string;
  request: RequestSummary | null;
  stack: string[];
  agent: { name: "rampart"; version: string; mode: Mode };
}

/** The request fields of an event. */
export interface RequestSummary {
  method: string | undefined;
  path: string;
  route: string | undefined;
  client_ip: string | undefined;
  request_id: string;
  user_agent: string | undefined;
}

/** An inspected sink operation together with the detector's finding. */
export interface Detection {
  readonly attackType: AttackType;
  readonly sink: string;
  readonly operation: string;
  readonly finding: Finding;
}

function redactInput(input: UserInput): SecurityEvent["input"] {
  const { path, value } = input;
  const redacted = isSensitivePath(path)
    ? maskSecret(value)
    : truncate(maskSecretShapes(value), maxInputLength);
  return { source: input.source, path, value: redacted, length: value.length };
}

function redactOperation(detection: Detection): string {
  const input = detection.finding.input;
  if (input === undefined)
    return truncate(maskSecretShapes(detection.operation), maxOperationLength);

  const { path, value } = input;
  const operation = isSensitivePath(path)
    ? detection.operation.split(value).join(maskSecret(value))
    : detection.operation;
  return truncate(maskSecretShapes(operation), maxOperationLength);
}

function requestPath(url: string | undefined): string {
  const pathOnly = (url ?? "/").split("?", 1)[0] ?? "/";
  return truncate(pathOnly, maxInputLength);
}

function summarizeRequest(context: RequestContext): RequestSummary {
  const { req } = context;
  const userAgent = req.headers["user-agent"];
  return {
    method: req.method,
    path: requestPath(req.url),
    route: context.route(),
    client_ip: context.clientIp(),
    request_id: context.requestId(),
    user_agent: userAgent === undefined ? undefined : truncate(userAgent, maxInputLength),
  };
}

/**
 * Builds the redacted event for a detection. `context` is undefined for an operation outside any
 * request; `mode` is the agent's mode and `action` what happened to this operation.
 */
export function createSecurityEvent(
  detection: Detection,
  context: RequestContext | undefined,
  mode: Mode,
  action: SecurityEvent["action"],
): SecurityEvent {
  const input = detection.finding.input;
  return {
    time: new Date().toISOString(),
    event_id: randomUUID(),
    attack_type: detection.attackType,
    sink: detection.sink,
    action,
    reason: detection.finding.reason,
    input: input === undefined ? null : redactInput(input),
    operation: redactOperation(detection),
    request: context === undefined ? null : summarizeRequest(context),
    stack: applicationStack(),
    agent: { name: "rampart", version: agentVersion, mode },
  };
}
