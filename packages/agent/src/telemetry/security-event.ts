import { randomUUID } from "node:crypto";

import type { Mode } from "../config";
import type { RequestContext } from "../context/request-context";
import type { Finding } from "../detectors/types";
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
export type AttackType = "sql_injection";

/** One security event, written as one JSON line; docs/event.schema.json describes every field. */
export interface SecurityEvent {
  time: string;
  event_id: string;
  attack_type: AttackType;
  sink: string;
  action: "blocked" | "monitored";
  reason: string;
  input: { source: string; path: string; value: string; length: number };
  operation: string;
  request: {
    method: string | undefined;
    path: string;
    route: string | undefined;
    client_ip: string | undefined;
    request_id: string;
    user_agent: string | undefined;
  };
  stack: string[];
  agent: { name: "rampart"; version: string; mode: Mode };
}

/** An inspected sink operation together with the detector's finding. */
export interface Detection {
  readonly attackType: AttackType;
  readonly sink: string;
  readonly operation: string;
  readonly finding: Finding;
}

function redactInput(finding: Finding): string {
  const { path, value } = finding.input;
  if (isSensitivePath(path)) return maskSecret(value);
  return truncate(maskSecretShapes(value), maxInputLength);
}

function redactOperation(detection: Detection): string {
  const { path, value } = detection.finding.input;
  const operation = isSensitivePath(path)
    ? detection.operation.split(value).join(maskSecret(value))
    : detection.operation;
  return truncate(maskSecretShapes(operation), maxOperationLength);
}

function requestPath(url: string | undefined): string {
  const pathOnly = (url ?? "/").split("?", 1)[0] ?? "/";
  return truncate(pathOnly, maxInputLength);
}

/** Builds the redacted event for a detection in the current request. */
export function createSecurityEvent(
  detection: Detection,
  context: RequestContext,
  mode: Mode,
): SecurityEvent {
  const { req } = context;
  const userAgent = req.headers["user-agent"];

  return {
    time: new Date().toISOString(),
    event_id: randomUUID(),
    attack_type: detection.attackType,
    sink: detection.sink,
    action: mode === "block" ? "blocked" : "monitored",
    reason: detection.finding.reason,
    input: {
      source: detection.finding.input.source,
      path: detection.finding.input.path,
      value: redactInput(detection.finding),
      length: detection.finding.input.value.length,
    },
    operation: redactOperation(detection),
    request: {
      method: req.method,
      path: requestPath(req.url),
      route: context.route(),
      client_ip: context.clientIp(),
      request_id: context.requestId(),
      user_agent: userAgent === undefined ? undefined : truncate(userAgent, maxInputLength),
    },
    stack: applicationStack(),
    agent: { name: "rampart", version: agentVersion, mode },
  };
}
