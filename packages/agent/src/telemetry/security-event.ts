import type { Mode } from "../config";
import type { RequestContext } from "../context/request-context";
import { userOfRequest } from "../context/request-user";
import type { Finding, UserInput } from "../detectors/types";
import { agentState } from "../guard/agent-state";
import { agentVersion } from "../version";
import {
  isSensitivePath,
  maskKnownSecrets,
  maskSecret,
  maskSecretShapes,
  maxInputLength,
  maxOperationLength,
  truncate,
} from "./redact";
import { applicationStack } from "./stack";
import { currentTraceIds } from "./trace-context";
import { nodeCrypto } from "../builtins";

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
  // Request gate decisions (src/gate/): the request was stopped or reported before the app saw it.
  "blocked_ip",
  "blocked_user",
  "scanner",
  "rate_limited",
  "login_throttled",
  "attack_wave",
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
  /** Version of the policy in force when the operation was judged (docs/policy.md). */
  policy_version?: string;
  /** Trace of the active OpenTelemetry span, or of the request's `traceparent` header. */
  trace_id?: string;
  span_id?: string;
  /**
   * Set on a deduplication summary only: how many identical events (same attack type, route,
   * input path and client address) it stands for, after the first one was sent on its own.
   */
  count?: number;
  /** On a summary: the event id and time of the first event of the window. */
  first_event_id?: string;
  first_time?: string;
}

/** The request fields of an event. */
export interface RequestSummary {
  method: string | undefined;
  path: string;
  route: string | undefined;
  client_ip: string | undefined;
  request_id: string;
  user_agent: string | undefined;
  /** The signed-in user, when the app named one with `setUser`. */
  user?: { id: string; name?: string };
}

/** An inspected sink operation together with the detector's finding. */
export interface Detection {
  readonly attackType: AttackType;
  readonly sink: string;
  readonly operation: string;
  readonly finding: Finding;
}

/** True for an input that is a secret's value, not the key naming it (object keys are inputs too). */
function isSecretValue(input: UserInput): boolean {
  if (!isSensitivePath(input.path)) return false;
  return !input.path.endsWith(`.${input.value}`);
}

/** Values of the request's inputs under sensitive keys, longest first so that no secret is left half masked. */
function sensitiveValues(
  context: RequestContext | undefined,
  input: UserInput | undefined,
): string[] {
  const values = new Set<string>();
  if (input !== undefined && isSecretValue(input)) values.add(input.value);
  if (context !== undefined) {
    for (const candidate of context.inputs()) {
      if (isSecretValue(candidate)) values.add(candidate.value);
    }
  }
  return [...values].sort((a, b) => b.length - a.length);
}

function redactInput(input: UserInput, secrets: readonly string[]): SecurityEvent["input"] {
  const { path, value } = input;
  const redacted = isSensitivePath(path)
    ? maskSecret(value)
    : truncate(maskSecretShapes(maskKnownSecrets(value, secrets)), maxInputLength);
  return { source: input.source, path, value: redacted, length: value.length };
}

function redactOperation(detection: Detection, secrets: readonly string[]): string {
  const operation = maskKnownSecrets(detection.operation, secrets);
  return truncate(maskSecretShapes(operation), maxOperationLength);
}

function requestPath(url: string | undefined): string {
  const pathOnly = (url ?? "/").split("?", 1)[0] ?? "/";
  return truncate(pathOnly, maxInputLength);
}

function summarizeRequest(context: RequestContext): RequestSummary {
  const { req } = context;
  const userAgent = req.headers["user-agent"];
  const summary: RequestSummary = {
    method: req.method,
    path: requestPath(req.url),
    route: context.route(),
    client_ip: context.clientIp(),
    request_id: context.requestId(),
    user_agent:
      userAgent === undefined ? undefined : truncate(maskSecretShapes(userAgent), maxInputLength),
  };

  const user = userOfRequest(req);
  if (user !== undefined) {
    summary.user =
      user.name === undefined
        ? { id: user.id }
        : { id: user.id, name: truncate(user.name, maxInputLength) };
  }
  return summary;
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
  const secrets = sensitiveValues(context, input);
  const event: SecurityEvent = {
    time: new Date().toISOString(),
    event_id: nodeCrypto().randomUUID(),
    attack_type: detection.attackType,
    sink: detection.sink,
    action,
    reason: detection.finding.reason,
    input: input === undefined ? null : redactInput(input, secrets),
    operation: redactOperation(detection, secrets),
    request: context === undefined ? null : summarizeRequest(context),
    stack: applicationStack(),
    agent: { name: "rampart", version: agentVersion, mode },
  };

  const policyVersion = agentState()?.config.policyVersion;
  if (policyVersion !== undefined) event.policy_version = policyVersion;

  const traceIds = currentTraceIds(context?.req.headers);
  if (traceIds !== undefined) Object.assign(event, traceIds);
  return event;
}
