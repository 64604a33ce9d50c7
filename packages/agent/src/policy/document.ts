import type { Mode, PrototypeHardening } from "../config";
import type { LogLevel } from "../log";
import type { AttackType } from "../telemetry/security-event";

/** A string or a list of strings, as allow rules and sampling routes accept them. */
export type OneOrMany<T extends string> = T | readonly T[];

/** One allow rule as written in the policy file; docs/policy.md describes each key. */
export interface AllowRuleDocument {
  route?: OneOrMany<string>;
  method?: OneOrMany<string>;
  input?: OneOrMany<string>;
  attackType?: OneOrMany<AttackType>;
  clientIp?: OneOrMany<string>;
  comment?: string;
}

export interface SamplingRouteDocument {
  route: OneOrMany<string>;
  method?: OneOrMany<string>;
  attackType?: OneOrMany<AttackType>;
  rate: number;
}

/**
 * Decision for an operation whose detector gave no trusted verdict: it threw, it ran past its time
 * budget without a finding, or it is switched off for a cool-down. `open` lets the operation run
 * unprotected, and `closed` treats it as an attack of the detector's type.
 */
export type FailMode = "open" | "closed";

/** The `inspection` section: time budgets, fail modes and the detector breaker. */
export interface InspectionDocument {
  budgetMs?: number;
  failMode?: FailMode;
  detectors?: Partial<Record<AttackType, { budgetMs?: number; failMode?: FailMode }>>;
  breaker?: { failures?: number; coolDownSeconds?: number };
}

/** A policy file after validation against docs/policy.schema.json. */
export interface PolicyDocument {
  version?: string;
  mode?: Mode;
  detectors?: Partial<Record<AttackType, Mode>>;
  allow?: readonly AllowRuleDocument[];
  sampling?: {
    rate?: number;
    detectors?: Partial<Record<AttackType, number>>;
    routes?: readonly SamplingRouteDocument[];
  };
  canary?: { percent: number; by?: "request" | "instance"; instanceId?: string };
  blockResponse?: { status?: number; json?: string; html?: string };
  inspection?: InspectionDocument;
  trustedProxies?: readonly string[];
  clientIpHeader?: "x-forwarded-for" | "forwarded";
  redaction?: { keys?: readonly string[] };
  ssrf?: { allowHosts?: readonly string[] };
  redirect?: { allowHosts?: readonly string[] };
  hookEval?: boolean;
  freezePrototypes?: PrototypeHardening;
  events?: string;
  logLevel?: LogLevel;
  snapshots?: { capture?: string; dir?: string; maxAgeDays?: number; maxBytes?: number };
  telemetry?: {
    dedupWindowSeconds?: number;
    eventsDedup?: boolean;
    eventsMaxBytes?: number;
    eventsMaxFiles?: number;
    eventsRate?: number;
    webhook?: { url: string; format?: string; timeoutMs?: number; retries?: number; rate?: number };
    syslog?: { target: string; rate?: number };
    prometheus?: { port?: number; host?: string; registry?: boolean };
    openTelemetry?: { enabled?: boolean; rate?: number };
    dropWarningIntervalSeconds?: number;
  };
  blocking?: Record<string, unknown>;
  rateLimits?: unknown;
  loginThrottling?: Record<string, unknown>;
  attackWaves?: Record<string, unknown>;
  store?: Record<string, unknown>;
}
