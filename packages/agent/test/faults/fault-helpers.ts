import type { RunningApp } from "../helpers/app-process";

/** One line of the agent's diagnostics on stderr. */
export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly kind?: string;
  readonly [field: string]: unknown;
}

/** Parses the agent's JSON log lines from the app's stderr, skipping anything else. */
export function agentLogLines(app: RunningApp): LogLine[] {
  const lines: LogLine[] = [];
  for (const text of app.stderr().split("\n")) {
    if (!text.startsWith("{")) continue;
    try {
      const line = JSON.parse(text) as LogLine & { name?: string };
      if (line.name === "rampart") lines.push(line);
    } catch {
      // A line cut in the middle of a write; the next read has it whole.
    }
  }
  return lines;
}

/** Fetches the app's /metrics page (prom-client registry with RAMPART_PROMETHEUS=true). */
export async function fetchMetrics(app: RunningApp): Promise<string> {
  const response = await fetch(`${app.url}/metrics`);
  return response.text();
}

/**
 * Sums the samples of a metric whose labels include every given label. Returns 0 when no sample
 * matches, as Prometheus reads a counter that was never incremented.
 */
export function metricValue(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;

    const present = new Map<string, string>();
    for (const pair of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      present.set(pair[1]!, pair[2]!);
    if (Object.entries(labels).every(([key, value]) => present.get(key) === value))
      total += Number(match[3]);
  }
  return total;
}

/** Polls `read` until `accept` returns true or `timeoutMs` passes, and returns the last value read. */
export async function pollUntil<T>(
  read: () => Promise<T> | T,
  accept: (value: T) => boolean,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
