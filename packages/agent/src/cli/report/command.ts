import { existsSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

import { CliError, exitCodes, type CliIo, type Command } from "../io";
import { readAllowRules } from "./allow-rules";
import { formatReportText, formatSnapshotText } from "./format-text";
import { readJsonLines, type AgentLogLine } from "./read-events";
import { readSnapshot, readSnapshotTimings } from "./snapshots";
import { summarize } from "./summarize";

const usage = `Usage:
  rampart report EVENTS_FILE [--snapshots DIR] [--allow FILE] [--log FILE]...
                 [--since ISO_TIME] [--format text|json]
  rampart report --snapshot EVENT_ID [--snapshots DIR] [--format text|json]

Summarizes a JSON Lines event log (RAMPART_EVENTS): detections and blocks by
attack type, route, input path, sink and client, top sources, false positives,
time to detect and block, agent errors and dropped events.

Options:
  --snapshots DIR     snapshot directory, for timings (default:
                      RAMPART_SNAPSHOT_DIR, else .rampart/snapshots if present)
  --allow FILE        JSON allow rules; matching events count as false positives
  --log FILE          agent log (its stderr) to read errors and drops from;
                      may be repeated
  --since ISO_TIME    only events at or after this time, e.g. 2026-01-31T00:00Z
  --format text|json  output format (default text, 80 columns)
  --snapshot ID       print the snapshot of one event instead of a report
  --help              print this help
`;

interface ReportOptions {
  eventsFile: string | undefined;
  snapshotsDir: string | undefined;
  allowFile: string | undefined;
  logFiles: string[];
  since: Date | undefined;
  format: "text" | "json";
  snapshotId: string | undefined;
  help: boolean;
}

function parseOptions(args: readonly string[]): ReportOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        snapshots: { type: "string" },
        allow: { type: "string" },
        log: { type: "string", multiple: true },
        since: { type: "string" },
        format: { type: "string", default: "text" },
        snapshot: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    throw new CliError((error as Error).message, exitCodes.usage);
  }

  const { values, positionals } = parsed;
  if (positionals.length > 1)
    throw new CliError(`expected one events file, got ${positionals.length}`, exitCodes.usage);
  if (values.format !== "text" && values.format !== "json")
    throw new CliError(
      `invalid --format "${values.format}"; expected text or json`,
      exitCodes.usage,
    );

  let since: Date | undefined;
  if (values.since !== undefined) {
    since = new Date(values.since);
    if (Number.isNaN(since.getTime()))
      throw new CliError(
        `invalid --since "${values.since}"; expected an ISO 8601 time such as 2026-01-31T00:00:00Z`,
        exitCodes.usage,
      );
  }

  return {
    eventsFile: positionals[0],
    snapshotsDir: values.snapshots ?? defaultSnapshotsDir(),
    allowFile: values.allow,
    logFiles: values.log ?? [],
    since,
    format: values.format,
    snapshotId: values.snapshot,
    help: values.help === true,
  };
}

async function printSnapshot(options: ReportOptions, io: CliIo): Promise<number> {
  if (options.snapshotsDir === undefined)
    throw new CliError(
      "--snapshot needs --snapshots DIR (no RAMPART_SNAPSHOT_DIR and no ./.rampart/snapshots)",
      exitCodes.usage,
    );

  const snapshot = await readSnapshot(options.snapshotsDir, options.snapshotId ?? "");
  io.stdout.write(
    options.format === "json"
      ? JSON.stringify(snapshot, null, 2) + "\n"
      : formatSnapshotText(snapshot),
  );
  return exitCodes.ok;
}

async function readLogFile(file: string): Promise<AgentLogLine[]> {
  try {
    return (await readJsonLines(file)).logLines;
  } catch (error) {
    throw new CliError(`cannot read the log file ${file}: ${(error as Error).message}`);
  }
}

async function printReport(eventsFile: string, options: ReportOptions, io: CliIo): Promise<number> {
  let contents;
  try {
    contents = await readJsonLines(eventsFile);
  } catch (error) {
    throw new CliError(`cannot read the events file ${eventsFile}: ${(error as Error).message}`);
  }

  const extraLogLines: AgentLogLine[] = [];
  for (const file of options.logFiles) extraLogLines.push(...(await readLogFile(file)));
  const rules = options.allowFile === undefined ? [] : await readAllowRules(options.allowFile);
  const snapshots =
    options.snapshotsDir === undefined
      ? undefined
      : await readSnapshotTimings(options.snapshotsDir);

  const report = summarize({
    eventsFile,
    contents,
    extraLogLines,
    since: options.since,
    rules,
    snapshotsDir: options.snapshotsDir,
    snapshotTimings: snapshots?.timings,
    snapshotsUnreadable: snapshots?.unreadable ?? 0,
  });
  io.stdout.write(
    options.format === "json" ? JSON.stringify(report, null, 2) + "\n" : formatReportText(report),
  );
  return exitCodes.ok;
}

/** `rampart report`: summarizes an event log, or prints one forensic snapshot. */
export const reportCommand: Command = {
  name: "report",
  summary: "summarize an event log or print a forensic snapshot",
  usage,
  run: async (args, io) => {
    const options = parseOptions(args);
    if (options.help) {
      io.stdout.write(usage);
      return exitCodes.ok;
    }
    if (options.snapshotId !== undefined) return printSnapshot(options, io);
    if (options.eventsFile === undefined)
      throw new CliError(
        "missing EVENTS_FILE, the JSON Lines file of RAMPART_EVENTS",
        exitCodes.usage,
      );
    return printReport(options.eventsFile, options, io);
  },
};

/**
 * Returns the directory where an agent started here with the same environment writes snapshots:
 * `RAMPART_SNAPSHOT_DIR`, else `.rampart/snapshots` in the working directory if it exists.
 */
function defaultSnapshotsDir(): string | undefined {
  const configured = process.env.RAMPART_SNAPSHOT_DIR?.trim();
  if (configured !== undefined && configured !== "") return path.resolve(configured);

  const local = path.resolve(".rampart", "snapshots");
  return existsSync(local) ? local : undefined;
}
