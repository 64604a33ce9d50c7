import { contextOfRequest, type RequestContext } from "../context/request-context";
import { rememberRequestUser, userOfRequest } from "../context/request-user";
import { RampartBlockedError } from "../errors";
import { failOpen } from "../failsafe";
import { loadedBuiltin } from "../instrument/runtime-hooks";
import { rememberBlockedContext } from "../response/block-response";
import { isEnforcing, isGateActive, publishGateEvent, type GateDecision } from "./gate-events";
import { armGateResponse, type GateResponse } from "./gate-response";
import { activeGate, type Gate } from "./gate-state";
import type { LimitVerdict, RateLimitRule } from "./rate-limit";
import { requestPathOf } from "./route-pattern";

/** The signed-in user of a request, as the app names it. */
export interface User {
  readonly id: string | number;
  readonly name?: string;
}

/** Ids longer than this, in characters, are cut. */
const maxUserIdLength = 256;

export { userOfRequest };

/** True for a node:http request, or another object that stands for a request (an HTTP/2 request or stream). */
function isRequestMessage(value: unknown): value is object {
  if (typeof value !== "object" || value === null) return false;
  if (contextOfRequest(value) !== undefined) return true;

  // No IncomingMessage exists before node:http loads, and loading it here would cost a process
  // that never does (a Lambda function).
  const http = loadedBuiltin<typeof import("node:http")>("http");
  return http !== undefined && value instanceof http.IncomingMessage;
}

/**
 * Finds the node:http request behind a framework's request object: Express (the same object),
 * Fastify (`raw`), Koa's context (`req`) or Hono's context on @hono/node-server (`env.incoming`).
 * An HTTP/2 request or stream stands for itself.
 */
function incomingMessageOf(req: unknown): object | undefined {
  if (isRequestMessage(req)) return req;
  if (req === null || typeof req !== "object") return undefined;

  const holder = req as { raw?: unknown; req?: unknown; env?: { incoming?: unknown } };
  for (const candidate of [holder.raw, holder.req, holder.env?.incoming]) {
    if (isRequestMessage(candidate)) return candidate;
  }
  return undefined;
}

/** Counts the request against user-keyed limits. With a Redis store the result applies from the next request on. */
function userLimitExceeded(
  gate: Gate,
  rule: RateLimitRule,
  userId: string,
): LimitVerdict | undefined {
  const blockKey = `rl:user-block:${rule.description}:${userId}`;
  const counted = rule.count(gate.store, userId);
  if (counted instanceof Promise) {
    void counted.then((verdict) => {
      if (verdict.exceeded) gate.local.mark(blockKey, verdict.retryAfterSeconds * 1000);
    });
    const remainingMs = gate.local.markedFor(blockKey);
    return remainingMs === 0
      ? undefined
      : { exceeded: true, retryAfterSeconds: Math.ceil(remainingMs / 1000), windowKey: blockKey };
  }
  return counted.exceeded ? counted : undefined;
}

function decideForUser(
  gate: Gate,
  context: RequestContext,
  userId: string,
):
  | { decision: GateDecision; response: Omit<GateResponse, "eventId">; reportKey?: string }
  | undefined {
  if (gate.deniedUsers?.has(userId) === true && isGateActive("blocked_user")) {
    return {
      decision: {
        attackType: "blocked_user",
        sink: "gate.user_deny",
        operation: `deny user ${userId}`,
        reason: "user-deny-list",
      },
      response: { status: 403 },
    };
  }
  if (gate.userLimits.length === 0 || !isGateActive("rate_limited")) return undefined;

  const path = requestPathOf(context.req.url);
  for (const rule of gate.userLimits) {
    if (!rule.applies(context.req.method, path)) continue;
    const verdict = userLimitExceeded(gate, rule, userId);
    if (verdict === undefined) continue;
    return {
      decision: {
        attackType: "rate_limited",
        sink: "gate.rate_limit",
        operation: rule.description,
        reason: "rate-limit-exceeded",
      },
      response: { status: 429, retryAfterSeconds: verdict.retryAfterSeconds },
      reportKey: `reported:${verdict.windowKey}`,
    };
  }
  return undefined;
}

/** Applies the user deny list and user-keyed rate limits; returns the error to throw when the request is refused. */
function gateUser(context: RequestContext, userId: string): RampartBlockedError | undefined {
  const gate = activeGate();
  if (gate === undefined) return undefined;

  const found = decideForUser(gate, context, userId);
  if (found === undefined) return undefined;

  const { decision, response, reportKey } = found;
  const enforced = isEnforcing(decision.attackType);
  let eventId = context.requestId();
  if (reportKey === undefined || gate.local.markedFor(reportKey) === 0) {
    if (reportKey !== undefined)
      gate.local.mark(reportKey, (response.retryAfterSeconds ?? 1) * 1000);
    eventId = publishGateEvent(decision, context, enforced)?.event_id ?? eventId;
  }
  if (!enforced) return undefined;

  armGateResponse(context, { ...response, eventId });
  const error = new RampartBlockedError({
    eventId,
    attackType: decision.attackType,
    sink: decision.sink,
    inputPath: "(none)",
  });
  rememberBlockedContext(error, context);
  return error;
}

/**
 * Records the signed-in user of a request (Express `req`, Fastify `request`, or a node:http
 * request), for the user deny list and user-keyed rate limits. Call it once the app has identified the
 * user, usually in the authentication middleware.
 * When the gate refuses the user in block mode, it throws a RampartBlockedError so that the app's
 * handler stops. Whatever the app then writes, the client gets 403 (deny list) or 429 (rate limit).
 */
export function setUser(req: unknown, user: User): void {
  const message = incomingMessageOf(req);
  if (message === undefined || user === null || typeof user !== "object") return;
  if (typeof user.id !== "string" && typeof user.id !== "number") return;

  const id = String(user.id).slice(0, maxUserIdLength);
  const context = contextOfRequest(message);
  // Events read the user through the context's request, which differs from `message` for an HTTP/2 stream.
  rememberRequestUser(context?.req ?? message, {
    id,
    name: typeof user.name === "string" ? user.name : undefined,
  });
  if (context === undefined) return;
  const error = failOpen("gate.user", undefined, () => gateUser(context, id));
  if (error !== undefined) throw error;
}
