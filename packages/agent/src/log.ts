import { format } from "node:util";

/** Severity levels of the agent's own diagnostics, in pino's numbering. */
const levels = { debug: 20, info: 30, warn: 40, error: 50, silent: Infinity } as const;

export type LogLevel = keyof typeof levels;

let threshold: number = levels.info;

/** Sets the lowest level written; `RAMPART_LOG_LEVEL` sets it at start. */
export function setLogLevel(level: LogLevel): void {
  threshold = levels[level];
}

export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(levels, value);
}

function write(
  level: Exclude<LogLevel, "silent">,
  fields: Record<string, unknown>,
  msg: string,
): void {
  if (levels[level] < threshold) return;

  const line = {
    level,
    time: new Date().toISOString(),
    pid: process.pid,
    name: "rampart",
    msg,
    ...fields,
  };
  let text: string;
  try {
    text = JSON.stringify(line);
  } catch {
    text = JSON.stringify({
      level,
      time: line.time,
      pid: process.pid,
      name: "rampart",
      msg,
      fields: format(fields),
    });
  }

  // The agent's diagnostics never go to stdout, which belongs to the app (and may carry events).
  process.stderr.write(text + "\n");
}

/** Structured logger of the agent: one JSON object per line on stderr, fields first, message second. */
export const log = {
  debug: (fields: Record<string, unknown>, msg: string) => write("debug", fields, msg),
  info: (fields: Record<string, unknown>, msg: string) => write("info", fields, msg),
  warn: (fields: Record<string, unknown>, msg: string) => write("warn", fields, msg),
  error: (fields: Record<string, unknown>, msg: string) => write("error", fields, msg),
};
