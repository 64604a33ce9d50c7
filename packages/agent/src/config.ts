import { isLogLevel, type LogLevel } from "./log";
import { attackTypes, type AttackType } from "./telemetry/security-event";

/** Agent mode: inspect nothing (`off`), log detections (`monitor`), or log them and stop the operation (`block`). */
export type Mode = "off" | "monitor" | "block";

/** Destination of security events: `stdout`, `stderr`, or a file path (JSON Lines, appended). */
export type EventsTarget = "stdout" | "stderr" | { file: string };

export interface AgentConfig {
  mode: Mode;
  /** Mode per attack type, overriding `mode` (except `off`, which disables everything). */
  detectorModes: Partial<Record<AttackType, Mode>>;
  events: EventsTarget;
  logLevel: LogLevel;
}

/**
 * Attack types whose detections are only logged when the agent blocks, unless a detector mode says
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

/** The mode that applies to one attack type under a configuration. */
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

/** Reads the agent's configuration from environment variables. Invalid values are returned as problems with their fallback. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): {
  config: AgentConfig;
  problems: ConfigProblem[];
} {
  const problems: ConfigProblem[] = [];
  const config: AgentConfig = {
    mode: parseMode(env.RAMPART_MODE, problems),
    detectorModes: parseDetectorModes(env.RAMPART_DETECTOR_MODES, problems),
    events: parseEvents(env.RAMPART_EVENTS),
    logLevel: parseLogLevel(env.RAMPART_LOG_LEVEL, problems),
  };
  return { config, problems };
}
