import { isLogLevel, type LogLevel } from "./log";

/** Agent mode: inspect nothing (`off`), log detections (`monitor`), or log them and stop the operation (`block`). */
export type Mode = "off" | "monitor" | "block";

/** Destination of security events: `stdout`, `stderr`, or a file path (JSON Lines, appended). */
export type EventsTarget = "stdout" | "stderr" | { file: string };

export interface AgentConfig {
  mode: Mode;
  events: EventsTarget;
  logLevel: LogLevel;
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
    events: parseEvents(env.RAMPART_EVENTS),
    logLevel: parseLogLevel(env.RAMPART_LOG_LEVEL, problems),
  };
  return { config, problems };
}
