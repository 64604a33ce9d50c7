import { hostname } from "node:os";

import type { AttackType } from "../telemetry/security-event";
import { CidrSet } from "./cidr";
import type { AllowRuleDocument, OneOrMany, PolicyDocument } from "./document";
import { compileInspectionLimits, type InspectionLimits } from "./inspection-limits";
import { compilePatterns } from "./wildcard";
import { nodeCrypto } from "../builtins";

/** The request facts that allow rules and sampling routes match on. */
export interface RequestFacts {
  /** Route template when the framework matched one, else the URL path. */
  routeOrPath(): string;
  method(): string | undefined;
  clientIp(): string | undefined;
}

type Matcher = (text: string) => boolean;

export interface CompiledAllowRule {
  readonly route?: Matcher;
  readonly methods?: ReadonlySet<string>;
  readonly input?: Matcher;
  readonly attackTypes?: ReadonlySet<AttackType>;
  readonly clientIps?: CidrSet;
}

export interface CompiledSamplingRoute {
  readonly route: Matcher;
  readonly methods?: ReadonlySet<string>;
  readonly attackTypes?: ReadonlySet<AttackType>;
  readonly rate: number;
}

export interface CompiledSampling {
  readonly rate: number;
  readonly detectors: Partial<Record<AttackType, number>>;
  readonly routes: readonly CompiledSamplingRoute[];
}

export interface CompiledCanary {
  readonly percent: number;
  readonly by: "request" | "instance";
  /** For `by: instance`: whether this process is among the instances that block. */
  readonly instanceBlocks: boolean;
}

export interface BlockResponseSettings {
  readonly status: number;
  readonly json: string | undefined;
  readonly html: string | undefined;
}

/** The parts of a policy that decide each inspection, compiled once per load. */
export interface PolicyDecisions {
  readonly version: string;
  /** Empty when the policy has no allow rules, so the guard skips matching. */
  readonly allowRules: readonly CompiledAllowRule[];
  readonly sampling: CompiledSampling | undefined;
  readonly canary: CompiledCanary | undefined;
  readonly blockResponse: BlockResponseSettings | undefined;
  readonly trustedProxies: CidrSet | undefined;
  readonly clientIpHeader: "x-forwarded-for" | "forwarded";
  /** Time budgets, fail modes and breaker thresholds of the detectors. */
  readonly inspection: InspectionLimits;
}

function toList<T extends string>(value: OneOrMany<T> | undefined): readonly T[] | undefined {
  if (value === undefined) return undefined;
  return typeof value === "string" ? [value] : (value as readonly T[]);
}

function methodSet(value: OneOrMany<string> | undefined): ReadonlySet<string> | undefined {
  const methods = toList(value);
  return methods === undefined ? undefined : new Set(methods.map((method) => method.toUpperCase()));
}

function compileAllowRule(rule: AllowRuleDocument): CompiledAllowRule {
  const routes = toList(rule.route);
  const inputs = toList(rule.input);
  const attackTypes = toList(rule.attackType);
  const clientIps = toList(rule.clientIp);
  return {
    route: routes === undefined ? undefined : compilePatterns(routes, "/"),
    methods: methodSet(rule.method),
    input: inputs === undefined ? undefined : compilePatterns(inputs, "."),
    attackTypes: attackTypes === undefined ? undefined : new Set(attackTypes),
    clientIps: clientIps === undefined ? undefined : new CidrSet(clientIps),
  };
}

function compileSampling(document: PolicyDocument): CompiledSampling | undefined {
  const sampling = document.sampling;
  if (sampling === undefined) return undefined;

  const routes = (sampling.routes ?? []).map((entry) => ({
    route: compilePatterns(toList(entry.route) ?? [], "/"),
    methods: methodSet(entry.method),
    attackTypes: entry.attackType === undefined ? undefined : new Set(toList(entry.attackType)),
    rate: entry.rate,
  }));
  const detectors = sampling.detectors ?? {};
  const rate = sampling.rate ?? 1;
  // A section that samples nothing away costs nothing per inspection.
  const samplesAll =
    rate >= 1 &&
    Object.values(detectors).every((value) => value >= 1) &&
    routes.every((r) => r.rate >= 1);
  return samplesAll ? undefined : { rate, detectors, routes };
}

/** Maps an instance id to a stable position in [0, 100), the same on every start. */
export function instancePosition(instanceId: string): number {
  const digest = nodeCrypto().createHash("sha256").update(instanceId).digest();
  return (digest.readUInt32BE(0) / 2 ** 32) * 100;
}

/**
 * Returns the instance id for `canary.by: instance`: the policy's `instanceId`, else
 * `RAMPART_INSTANCE_ID`, else the host name (stable for a container or VM, shared by the
 * processes of one host).
 */
export function canaryInstanceId(document: PolicyDocument, env: NodeJS.ProcessEnv): string {
  return document.canary?.instanceId ?? (env.RAMPART_INSTANCE_ID?.trim() || hostname());
}

function compileCanary(
  document: PolicyDocument,
  env: NodeJS.ProcessEnv,
): CompiledCanary | undefined {
  const canary = document.canary;
  if (canary === undefined || canary.percent >= 100) return undefined;

  const by = canary.by ?? "request";
  const instanceBlocks = instancePosition(canaryInstanceId(document, env)) < canary.percent;
  return { percent: canary.percent, by, instanceBlocks };
}

/** Compiles a validated policy; `version` is the loaded file's version. */
export function compilePolicy(
  document: PolicyDocument,
  version: string,
  env: NodeJS.ProcessEnv = process.env,
): PolicyDecisions {
  const proxies = document.trustedProxies ?? [];
  const response = document.blockResponse;
  return {
    version,
    allowRules: (document.allow ?? []).map(compileAllowRule),
    sampling: compileSampling(document),
    canary: compileCanary(document, env),
    blockResponse:
      response === undefined
        ? undefined
        : { status: response.status ?? 403, json: response.json, html: response.html },
    trustedProxies: proxies.length === 0 ? undefined : new CidrSet(proxies),
    clientIpHeader: document.clientIpHeader ?? "x-forwarded-for",
    inspection: compileInspectionLimits(document.inspection),
  };
}
