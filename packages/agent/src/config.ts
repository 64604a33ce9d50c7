import { parseAllowEntry } from "./detectors/ssrf/allow-list";
import { readSnapshotConfig, type SnapshotConfig } from "./forensics/snapshot-config";
import { isLogLevel, type LogLevel } from "./log";
import type { PolicyDocument } from "./policy/document";
import { mergeWithEnv } from "./policy/env-settings";
import { attackTypes, type AttackType } from "./telemetry/security-event";
import { readTelemetryConfig, type TelemetryConfig } from "./telemetry/telemetry-config";

/** Agent mode: inspect nothing (`off`), log detections (`monitor`), or log them and stop the operation (`block`). */
export type Mode = "off" | "monitor" | "block";

/** Destination of security events: `stdout`, `stderr`, or a file path (JSON Lines, appended). */
export type EventsTarget = "stdout" | "stderr" | { file: string };

/**
 * Opt-in hardening of built-in prototypes against pollution (`RAMPART_FREEZE_PROTOTYPES`): `seal`
 * forbids new properties, `freeze` also makes existing ones read-only. See docs/prototype-pollution.md.
 */
export type PrototypeHardening = "off" | "seal" | "freeze";

export interface AgentConfig {
  mode: Mode;
  /** Mode per attack type, overriding `mode` (except `off`, which disables everything). */
  detectorModes: Partial<Record<AttackType, Mode>>;
  events: EventsTarget;
  logLevel: LogLevel;
  /**
   * Replace the global `eval` to judge its code (`RAMPART_HOOK_EVAL=true`). Off by default because
   * the replacement makes every direct `eval` indirect, so evaluated code loses the caller's scope.
   */
  hookEval?: boolean;
  /**
   * Internal hosts that a user-chosen URL may reach (`RAMPART_SSRF_ALLOW_HOSTS`): host names, IP
   * addresses and CIDR blocks. Cloud-metadata addresses stay refused even when listed.
   */
  ssrfAllowHosts?: readonly string[];
  /** Prototype hardening at start (`RAMPART_FREEZE_PROTOTYPES`); absent means `off`. */
  freezePrototypes?: PrototypeHardening;
  /** Forensic snapshots of detections (`RAMPART_SNAPSHOTS` and related); absent means `off`. */
  snapshots?: SnapshotConfig;
  /**
   * Hosts that a `Location` header may name besides the request's own host
   * (`RAMPART_REDIRECT_ALLOW_HOSTS`, comma-separated; `*.example.com` allows subdomains).
   */
  redirectAllowHosts?: readonly string[];
  /** Exporters, redaction keys and volume limits of security events; see docs/telemetry.md. */
  telemetry?: TelemetryConfig;
  /**
   * Version of the policy file in force (its `version`, else a hash of its text); absent without
   * a policy file. Events carry it as `policy_version`.
   */
  policyVersion?: string;
}

/**
 * Attack types whose detections are only logged when the agent blocks, unless a detector mode is
 * `block`: their findings are reliable enough to report but can hit legitimate apps (an option-like
 * argument, a key named `prototype`, HTML that an app echoes on purpose, a redirect to a partner).
 */
export const monitoredByDefault: ReadonlySet<AttackType> = new Set<AttackType>([
  "argument_injection",
  "prototype_pollution",
  "xss",
  "header_injection",
  "open_redirect",
]);

/** Returns the mode that applies to one attack type under a configuration. */
export function modeFor(config: AgentConfig, attackType: AttackType): Mode {
  if (config.mode === "off") return "off";

  const explicit = config.detectorModes[attackType];
  if (explicit !== undefined) return explicit;
  if (config.mode === "block" && monitoredByDefault.has(attackType)) return "monitor";
  return config.mode;
}

/** A rejected configuration value, reported at start; the agent falls back to a safe default. */
export interface ConfigProblem {
  variable: string;
  value: string;
  expected: string;
  fallback: string;
}

const modes: readonly Mode[] = ["off", "monitor", "block"];

function parseMode(raw: string | undefined, problems: ConfigProblem[]): Mode {
  if (raw === undefined || raw.trim() === "") return "monitor";

  const value = raw.trim().toLowerCase();
  if ((modes as readonly string[]).includes(value)) return value as Mode;

  problems.push({
    variable: "RAMPART_MODE",
    value: raw,
    expected: modes.join(" | "),
    fallback: "monitor",
  });
  return "monitor";
}

/** Parses `xss=block,shell_injection=monitor`; each bad entry is a problem and is skipped. */
function parseDetectorModes(
  raw: string | undefined,
  problems: ConfigProblem[],
): Partial<Record<AttackType, Mode>> {
  const result: Partial<Record<AttackType, Mode>> = {};
  if (raw === undefined || raw.trim() === "") return result;

  for (const entry of raw.split(",")) {
    if (entry.trim() === "") continue;

    const [name = "", value = ""] = entry.split("=", 2).map((part) => part.trim().toLowerCase());
    const known = (attackTypes as readonly string[]).includes(name);
    const valid = (modes as readonly string[]).includes(value);
    if (known && valid) {
      result[name as AttackType] = value as Mode;
      continue;
    }

    problems.push({
      variable: "RAMPART_DETECTOR_MODES",
      value: entry,
      expected: `<attack type>=${modes.join(" | ")}, attack types: ${attackTypes.join(", ")}`,
      fallback: "the global mode for that attack type",
    });
  }
  return result;
}

function parseEvents(raw: string | undefined): EventsTarget {
  const value = raw?.trim() ?? "";
  if (value === "" || value === "stdout") return "stdout";
  if (value === "stderr") return "stderr";
  return { file: value };
}

/** Parses a comma-separated host list, lowercased, empty entries dropped. */
function parseHostList(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  return raw
    .split(",")
    .map((host) => host.trim().toLowerCase())
    .filter((host) => host !== "");
}

function parseLogLevel(raw: string | undefined, problems: ConfigProblem[]): LogLevel {
  if (raw === undefined || raw.trim() === "") return "info";

  const value = raw.trim().toLowerCase();
  if (isLogLevel(value)) return value;

  problems.push({
    variable: "RAMPART_LOG_LEVEL",
    value: raw,
    expected: "debug | info | warn | error | silent",
    fallback: "info",
  });
  return "info";
}

function parseHookEval(raw: string | undefined, problems: ConfigProblem[]): boolean {
  const value = raw?.trim().toLowerCase() ?? "";
  if (value === "" || value === "false" || value === "0") return false;
  if (value === "true" || value === "1") return true;

  problems.push({
    variable: "RAMPART_HOOK_EVAL",
    value: raw ?? "",
    expected: "true | false",
    fallback: "false",
  });
  return false;
}

/** Parses `billing.internal,10.1.0.0/16,fd12::/16`; each invalid entry is a problem and is skipped. */
function parseSsrfAllowHosts(raw: string | undefined, problems: ConfigProblem[]): string[] {
  const entries: string[] = [];
  for (const entry of (raw ?? "").split(",")) {
    const value = entry.trim().toLowerCase();
    if (value === "") continue;

    if (parseAllowEntry(value) !== undefined) {
      entries.push(value);
      continue;
    }
    problems.push({
      variable: "RAMPART_SSRF_ALLOW_HOSTS",
      value: entry,
      expected: "comma-separated host names, IP addresses or CIDR blocks such as 10.1.0.0/16",
      fallback: "the entry is ignored",
    });
  }
  return entries;
}

/** Parses RAMPART_FREEZE_PROTOTYPES: `true` or `seal` seals, `freeze` freezes, `false` or empty leaves prototypes alone. */
function parsePrototypeHardening(
  raw: string | undefined,
  problems: ConfigProblem[],
): PrototypeHardening {
  const value = raw?.trim().toLowerCase() ?? "";
  if (value === "" || value === "false" || value === "off") return "off";
  if (value === "true" || value === "seal") return "seal";
  if (value === "freeze") return "freeze";

  problems.push({
    variable: "RAMPART_FREEZE_PROTOTYPES",
    value: raw ?? "",
    expected: "true | seal | freeze | false",
    fallback: "false (prototypes stay unchanged)",
  });
  return "off";
}

/**
 * Reads the agent's configuration from a policy file's settings and the environment variables,
 * which override the file (docs/policy.md). Invalid values are returned as problems with their
 * fallback.
 */
export function readConfig(
  processEnv: NodeJS.ProcessEnv = process.env,
  policy?: { document: PolicyDocument; version: string },
): {
  config: AgentConfig;
  problems: ConfigProblem[];
} {
  const env = mergeWithEnv(policy?.document, processEnv);
  const problems: ConfigProblem[] = [];
  const config: AgentConfig = {
    mode: parseMode(env.RAMPART_MODE, problems),
    detectorModes: parseDetectorModes(env.RAMPART_DETECTOR_MODES, problems),
    events: parseEvents(env.RAMPART_EVENTS),
    logLevel: parseLogLevel(env.RAMPART_LOG_LEVEL, problems),
    hookEval: parseHookEval(env.RAMPART_HOOK_EVAL, problems),
    ssrfAllowHosts: parseSsrfAllowHosts(env.RAMPART_SSRF_ALLOW_HOSTS, problems),
    freezePrototypes: parsePrototypeHardening(env.RAMPART_FREEZE_PROTOTYPES, problems),
    snapshots: readSnapshotConfig(env, problems),
    redirectAllowHosts: parseHostList(env.RAMPART_REDIRECT_ALLOW_HOSTS),
    telemetry: readTelemetryConfig(env, problems),
  };
  if (policy !== undefined) config.policyVersion = policy.version;
  return { config, problems };
}
