import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createInterface } from "node:readline";

/** The fields of a security event that the report reads; docs/event.schema.json has them all. */
export interface ReportedEvent {
  time: string;
  event_id: string;
  attack_type: string;
  sink: string;
  action: "blocked" | "monitored";
  input: { source: string; path: string } | null;
  request: {
    method?: string;
    path?: string;
    route?: string;
    client_ip?: string;
  } | null;
  agent?: { version?: string; mode?: string };
}

/** A diagnostic line of the agent (level, msg and fields), as written to stderr. */
export interface AgentLogLine {
  level: string;
  msg?: string;
  pid?: number;
  kind?: string;
  code?: string;
  exporter?: string;
  /** A count, or counts by `exporter/reason`. */
  dropped?: number | Record<string, number>;
  [field: string]: unknown;
}

/** Contents of one JSON Lines file, sorted into events, log lines and counted problems. */
export interface LogContents {
  events: ReportedEvent[];
  logLines: AgentLogLine[];
  lines: number;
  /** Lines that are not JSON. */
  malformed: number;
  /** JSON objects that are neither a security event nor an agent log line. */
  unrecognized: number;
  /** True when the file ends in a line without a newline that is not JSON (a write in progress). */
  partialLastLine: boolean;
}

function isEvent(value: Record<string, unknown>): boolean {
  return (
    typeof value.event_id === "string" &&
    typeof value.attack_type === "string" &&
    typeof value.time === "string" &&
    (value.action === "blocked" || value.action === "monitored")
  );
}

function isAgentLogLine(value: Record<string, unknown>): boolean {
  return value.name === "rampart" && typeof value.level === "string";
}

async function endsWithNewline(file: string): Promise<boolean> {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    await handle.close();
  }
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads a JSON Lines file of security events, which may also hold the agent's own log lines (when
 * both go to one stream). Lines that do not parse are counted, not fatal. Throws when the file
 * cannot be read.
 */
export async function readJsonLines(file: string): Promise<LogContents> {
  const complete = await endsWithNewline(file);
  const contents: LogContents = {
    events: [],
    logLines: [],
    lines: 0,
    malformed: 0,
    unrecognized: 0,
    partialLastLine: false,
  };

  let pendingMalformed = false;
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (pendingMalformed) contents.malformed++;
    pendingMalformed = false;
    if (line.trim() === "") continue;
    contents.lines++;

    const value = parseLine(line);
    if (value === undefined) pendingMalformed = true;
    else if (isEvent(value)) contents.events.push(value as unknown as ReportedEvent);
    else if (isAgentLogLine(value)) contents.logLines.push(value as AgentLogLine);
    else contents.unrecognized++;
  }

  // Only the very last line can be cut by a writer that has not finished.
  if (pendingMalformed && !complete) contents.partialLastLine = true;
  else if (pendingMalformed) contents.malformed++;
  return contents;
}
