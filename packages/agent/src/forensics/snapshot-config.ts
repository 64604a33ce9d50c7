import path from "node:path";

import type { ConfigProblem } from "../config";

/** Detections that get a forensic snapshot: none, blocked operations only, or every detection. */
export type SnapshotCapture = "off" | "blocks" | "all";

/** Settings of the forensic snapshot store (`RAMPART_SNAPSHOT*` variables, docs/forensics.md). */
export interface SnapshotConfig {
  capture: SnapshotCapture;
  /** Absolute directory that contains one JSON file per snapshot. */
  dir: string;
  /** Snapshots older than this many days are deleted. */
  maxAgeDays: number;
  /** Total size of the directory's snapshots, in bytes, beyond which the oldest are deleted. */
  maxBytes: number;
}

export const defaultSnapshotDir = path.join(".rampart", "snapshots");
export const defaultMaxAgeDays = 14;
export const defaultMaxBytes = 100 * 1024 * 1024;

const captures: readonly SnapshotCapture[] = ["off", "blocks", "all"];

function parseCapture(raw: string | undefined, problems: ConfigProblem[]): SnapshotCapture {
  const value = raw?.trim().toLowerCase() ?? "";
  if (value === "") return "blocks";
  if ((captures as readonly string[]).includes(value)) return value as SnapshotCapture;

  problems.push({
    variable: "RAMPART_SNAPSHOTS",
    value: raw ?? "",
    expected: captures.join(" | "),
    fallback: "blocks",
  });
  return "blocks";
}

function parsePositiveNumber(
  variable: string,
  raw: string | undefined,
  fallback: number,
  problems: ConfigProblem[],
): number {
  const value = raw?.trim() ?? "";
  if (value === "") return fallback;

  const parsed = Number(value);
  if (Number.isFinite(parsed) && parsed > 0) return parsed;

  problems.push({
    variable,
    value: raw ?? "",
    expected: "a positive number",
    fallback: String(fallback),
  });
  return fallback;
}

/**
 * Reads the snapshot settings. A relative RAMPART_SNAPSHOT_DIR is resolved against `cwd`, the
 * process's working directory at start.
 */
export function readSnapshotConfig(
  env: NodeJS.ProcessEnv,
  problems: ConfigProblem[],
  cwd: string = process.cwd(),
): SnapshotConfig {
  const dir = env.RAMPART_SNAPSHOT_DIR?.trim() || defaultSnapshotDir;
  return {
    capture: parseCapture(env.RAMPART_SNAPSHOTS, problems),
    dir: path.resolve(cwd, dir),
    maxAgeDays: parsePositiveNumber(
      "RAMPART_SNAPSHOT_MAX_AGE_DAYS",
      env.RAMPART_SNAPSHOT_MAX_AGE_DAYS,
      defaultMaxAgeDays,
      problems,
    ),
    maxBytes: Math.floor(
      parsePositiveNumber(
        "RAMPART_SNAPSHOT_MAX_BYTES",
        env.RAMPART_SNAPSHOT_MAX_BYTES,
        defaultMaxBytes,
        problems,
      ),
    ),
  };
}
