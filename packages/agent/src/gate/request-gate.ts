import type { RequestContext } from "../context/request-context";
import { currentContext } from "../context/storage";
import { failOpen, reportInternalError } from "../failsafe";
import type { SecurityEvent } from "../telemetry/security-event";
import { isSensitivePath } from "./attack-wave";
import { isEnforcing, isGateActive, publishGateEvent, type GateDecision } from "./gate-events";
import { sendGateResponse, type GateResponse } from "./gate-response";
import { activeGate, setDetectionHandler, type Gate } from "./gate-state";
import { watchLoginResponse } from "./login-response";
import type { LimitVerdict, RateLimitRule } from "./rate-limit";
import { requestPathOf } from "./route-pattern";

type Verdict = GateResponse | undefined;

/** Publishes the decision's event and returns the response to send when the gate enforces it. */
function decide(
  context: RequestContext,
  decision: GateDecision,
  status: 403 | 429,
  retryAfterSeconds?: number,
): Verdict {
  const enforced = isEnforcing(decision.attackType);
  const event = publishGateEvent(decision, context, enforced);
  if (!enforced || event === undefined) return undefined;
  return { status, eventId: event.event_id, retryAfterSeconds };
}

function checkIp(gate: Gate, context: RequestContext, ip: string): Verdict | "allowed" {
  const judged = gate.ipRules?.judge(ip);
  if (judged === "allow") return "allowed";
  if (judged !== "deny" || !isGateActive("blocked_ip")) return undefined;

  return decide(
    context,
    {
      attackType: "blocked_ip",
      sink: "gate.ip_deny",
      operation: `deny ${ip}`,
      reason: "ip-deny-list",
    },
    403,
  );
}

function checkUserAgent(gate: Gate, context: RequestContext): Verdict {
  const userAgent = context.req.headers["user-agent"];
  if (gate.userAgents === undefined || userAgent === undefined || !isGateActive("scanner"))
    return undefined;

  const pattern = gate.userAgents.match(userAgent);
  if (pattern === undefined) return undefined;
  const input = { source: "headers" as const, path: "headers.user-agent", value: userAgent };
  return decide(
    context,
    {
      attackType: "scanner",
      sink: "gate.user_agent",
      operation: `user agent contains "${pattern}"`,
      reason: "scanner-user-agent",
      input,
    },
    403,
  );
}

function checkAttackWave(gate: Gate, context: RequestContext, ip: string, path: string): Verdict {
  const waves = gate.waves;
  if (waves === undefined || !isGateActive("attack_wave")) return undefined;

  const blockedDuringWave = waves.block && isEnforcing("attack_wave");
  if (waves.coolingFor(ip) > 0) {
    // The wave was reported when it started; later requests of the client are only refused.
    return blockedDuringWave
      ? { status: 403, eventId: context.blockedEventId ?? "attack-wave" }
      : undefined;
  }
  if (!isSensitivePath(path) || waves.recordProbe(ip) !== "started") return undefined;

  const decision: GateDecision = {
    attackType: "attack_wave",
    sink: "gate.attack_wave",
    operation: waves.description,
    reason: "sensitive-path-probes",
    input: { source: "path", path: "path", value: path },
  };
  const event = publishGateEvent(decision, context, blockedDuringWave);
  if (!blockedDuringWave || event === undefined) return undefined;
  return { status: 403, eventId: event.event_id };
}

/** Reports each exceeded window once; returns the response to send. */
function limitVerdict(
  gate: Gate,
  context: RequestContext,
  rule: RateLimitRule,
  verdict: LimitVerdict,
): Verdict {
  if (!verdict.exceeded) return undefined;

  const enforced = isEnforcing("rate_limited");
  const reportKey = `reported:${verdict.windowKey}`;
  let eventId = context.requestId();
  if (gate.local.markedFor(reportKey) === 0) {
    gate.local.mark(reportKey, verdict.retryAfterSeconds * 1000);
    const event = publishGateEvent(
      {
        attackType: "rate_limited",
        sink: "gate.rate_limit",
        operation: rule.description,
        reason: "rate-limit-exceeded",
      },
      context,
      enforced,
    );
    if (event !== undefined) eventId = event.event_id;
  }
  return enforced
    ? { status: 429, eventId, retryAfterSeconds: verdict.retryAfterSeconds }
    : undefined;
}

/** Counts the request for every matching limit; a promise when the store is Redis. */
function checkRateLimits(
  gate: Gate,
  context: RequestContext,
  ip: string | undefined,
  path: string,
): Verdict | Promise<Verdict> {
  if (gate.requestLimits.length === 0 || !isGateActive("rate_limited")) return undefined;

  const { req } = context;
  const pending: Promise<Verdict>[] = [];
  for (const rule of gate.requestLimits) {
    if (!rule.applies(req.method, path)) continue;
    const keyValue = rule.keyValueOf(req, ip);
    if (keyValue === undefined) continue;

    const counted = rule.count(gate.store, keyValue);
    if (counted instanceof Promise) {
      pending.push(counted.then((verdict) => limitVerdict(gate, context, rule, verdict)));
      continue;
    }
    const verdict = limitVerdict(gate, context, rule, counted);
    if (verdict !== undefined) return verdict;
  }

  if (pending.length === 0) return undefined;
  return Promise.all(pending).then((verdicts) => verdicts.find((verdict) => verdict !== undefined));
}

/** Refuses a login request from an address that is throttled after failed logins. */
function checkLoginIp(
  gate: Gate,
  context: RequestContext,
  ip: string | undefined,
  path: string,
): Verdict | Promise<Verdict> {
  const login = gate.login;
  if (login === undefined || !isGateActive("login_throttled")) return undefined;

  const route = login.routeFor(context.req.method, path);
  if (route === undefined) return undefined;
  watchLoginResponse(gate, login, route, context, ip);
  if (ip === undefined || login.perIp === undefined || !isEnforcing("login_throttled"))
    return undefined;

  const toVerdict = (remainingMs: number): Verdict =>
    remainingMs > 0
      ? { status: 429, eventId: context.requestId(), retryAfterSeconds: remainingMs / 1000 }
      : undefined;
  const remaining = gate.store.markedFor(`login:block:ip:${ip}`);
  return remaining instanceof Promise ? remaining.then(toVerdict) : toVerdict(remaining);
}

/** Runs the gates that need no store, then those that count. */
function check(gate: Gate, context: RequestContext): Verdict | Promise<Verdict> {
  const ip = context.clientIp();
  const path = requestPathOf(context.req.url);

  if (ip !== undefined) {
    const byIp = checkIp(gate, context, ip);
    if (byIp !== undefined && byIp !== "allowed") return byIp;

    // An allow-listed address skips the blocking lists and attack waves, but not the rate limits.
    if (byIp !== "allowed") {
      const verdict = checkUserAgent(gate, context) ?? checkAttackWave(gate, context, ip, path);
      if (verdict !== undefined) return verdict;
    }
  } else {
    const verdict = checkUserAgent(gate, context);
    if (verdict !== undefined) return verdict;
  }

  const limited = checkRateLimits(gate, context, ip, path);
  if (limited instanceof Promise) {
    return limited.then((verdict) => verdict ?? checkLoginIp(gate, context, ip, path));
  }
  return limited ?? checkLoginIp(gate, context, ip, path);
}

/**
 * Runs the request gate before the app receives the request. Returns false when the request may go on
 * at once: the caller then runs the app itself. Returns true when the gate took the request over:
 * either it responded with 403 or 429, or it waits for a shared store and calls `proceed` afterwards.
 * Any fault in the gate lets the request through.
 */
export function gateRequest(context: RequestContext, proceed: () => void): boolean {
  const gate = activeGate();
  if (gate === undefined) return false;

  const verdict = failOpen<Verdict | Promise<Verdict>>("gate.request", undefined, () =>
    check(gate, context),
  );
  if (verdict === undefined) return false;

  if (!(verdict instanceof Promise)) return respondOrProceed(context, verdict, proceed);

  verdict.then(
    (settled) => {
      if (settled === undefined) proceed();
      else respondOrProceed(context, settled, proceed);
    },
    (error: unknown) => {
      reportInternalError("gate.deferred", error);
      proceed();
    },
  );
  return true;
}

/** Sends the gate's response; when that fails, the request goes on to the app instead of hanging. */
function respondOrProceed(
  context: RequestContext,
  verdict: GateResponse,
  proceed: () => void,
): true {
  const sent = failOpen("gate.response", false, () => {
    sendGateResponse(context, verdict);
    return true;
  });
  if (!sent) proceed();
  return true;
}

const gateTypes: ReadonlySet<string> = new Set([
  "blocked_ip",
  "blocked_user",
  "scanner",
  "rate_limited",
  "login_throttled",
  "attack_wave",
]);

/** Counts a detector's event toward the client's attack wave. */
function countDetectionTowardWave(event: SecurityEvent): void {
  failOpen("gate.wave_detection", undefined, () => {
    const gate = activeGate();
    const ip = event.request?.client_ip;
    if (gate?.waves === undefined || ip === undefined || gateTypes.has(event.attack_type)) return;
    if (!isGateActive("attack_wave") || gate.waves.recordDetection(ip) !== "started") return;

    const decision: GateDecision = {
      attackType: "attack_wave",
      sink: "gate.attack_wave",
      operation: gate.waves.description,
      reason: "repeated-detections",
    };
    const context = currentContext();
    const sameClient = context !== undefined && context.clientIp() === ip;
    publishGateEvent(
      decision,
      sameClient ? context : undefined,
      gate.waves.block && isEnforcing("attack_wave"),
    );
  });
}

setDetectionHandler(countDetectionTowardWave);
