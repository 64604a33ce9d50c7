import { modeFor, type AgentConfig } from "../config";
import type { AttackType } from "../telemetry/security-event";
import type {
  CompiledAllowRule,
  CompiledCanary,
  CompiledSampling,
  PolicyDecisions,
  RequestFacts,
} from "./compiled";

/** Outcome of a finding: stop the operation, report it, or let it pass unreported. */
export type Decision = "blocked" | "monitored" | "allowed";

/** Per-request random draws, kept on the request so every sink of one request decides alike. */
export interface RequestDraws {
  /** Set once a detection was reported for the request; sampling then inspects everything. */
  flagged: boolean;
  samplingDraw: number | undefined;
  canaryDraw: number | undefined;
}

function ruleMatches(
  rule: CompiledAllowRule,
  attackType: AttackType,
  inputPath: string | undefined,
  request: RequestFacts | undefined,
): boolean {
  if (rule.attackTypes !== undefined && !rule.attackTypes.has(attackType)) return false;
  if (rule.input !== undefined && (inputPath === undefined || !rule.input(inputPath))) return false;
  if (rule.route === undefined && rule.methods === undefined && rule.clientIps === undefined)
    return true;

  // The remaining keys need a request: outside one they cannot match.
  if (request === undefined) return false;
  if (rule.route !== undefined && !rule.route(request.routeOrPath())) return false;
  if (rule.methods !== undefined && !rule.methods.has(request.method()?.toUpperCase() ?? ""))
    return false;
  return rule.clientIps === undefined || rule.clientIps.contains(request.clientIp());
}

/** True when an allow rule covers this finding. */
export function isAllowed(
  rules: readonly CompiledAllowRule[],
  attackType: AttackType,
  inputPath: string | undefined,
  request: RequestFacts | undefined,
): boolean {
  for (const rule of rules) if (ruleMatches(rule, attackType, inputPath, request)) return true;
  return false;
}

/** Returns the sampling rate for one inspection: the first matching route entry, else the detector's, else the global rate. */
export function samplingRate(
  sampling: CompiledSampling,
  attackType: AttackType,
  request: RequestFacts,
): number {
  for (const entry of sampling.routes) {
    if (entry.attackTypes !== undefined && !entry.attackTypes.has(attackType)) continue;
    if (entry.methods !== undefined && !entry.methods.has(request.method()?.toUpperCase() ?? ""))
      continue;
    if (entry.route(request.routeOrPath())) return entry.rate;
  }
  return sampling.detectors[attackType] ?? sampling.rate;
}

/**
 * True when this inspection runs. A request draws one number for all its inspections, so a
 * sampled-out request is skipped at every sink. A request with a reported detection is always
 * inspected, and so is every operation outside a request.
 */
export function isSampledIn(
  sampling: CompiledSampling | undefined,
  attackType: AttackType,
  request: (RequestFacts & RequestDraws) | undefined,
): boolean {
  if (sampling === undefined || request === undefined || request.flagged) return true;

  const rate = samplingRate(sampling, attackType, request);
  if (rate >= 1) return true;
  request.samplingDraw ??= Math.random();
  return request.samplingDraw < rate;
}

/** True when block mode applies to this request under the canary share. */
export function canaryBlocks(canary: CompiledCanary, request: RequestDraws | undefined): boolean {
  if (canary.by === "instance") return canary.instanceBlocks;
  if (request === undefined) return Math.random() * 100 < canary.percent;

  request.canaryDraw ??= Math.random();
  return request.canaryDraw * 100 < canary.percent;
}

/** Options of `decide`. `rampart policy test` turns the canary off to get the decision of the full policy. */
export interface DecideOptions {
  readonly canary: boolean;
}

/**
 * Decides a finding under the configuration's modes and the policy: allow rules first, then the
 * detector's mode, then the canary share, which turns a block into a report for the requests
 * (or instances) outside it.
 */
export function decide(
  config: AgentConfig,
  policy: PolicyDecisions,
  attackType: AttackType,
  inputPath: string | undefined,
  request: (RequestFacts & Partial<RequestDraws>) | undefined,
  options: DecideOptions = { canary: true },
): Decision {
  const mode = modeFor(config, attackType);
  if (mode === "off") return "allowed";
  if (policy.allowRules.length > 0 && isAllowed(policy.allowRules, attackType, inputPath, request))
    return "allowed";
  if (mode !== "block") return "monitored";

  const canary = policy.canary;
  if (canary === undefined || !options.canary) return "blocked";
  const draws = request as RequestDraws | undefined;
  return canaryBlocks(canary, draws?.flagged === undefined ? undefined : draws)
    ? "blocked"
    : "monitored";
}
