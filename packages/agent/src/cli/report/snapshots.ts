import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

import { snapshotFilePattern } from "../../forensics/retention";
import type { Snapshot } from "../../forensics/snapshot";
import { snapshotFileName } from "../../forensics/store";
import { CliError } from "../io";

/** The timings of the snapshots in a directory, by event id, with the count of unreadable files. */
export interface SnapshotTimingIndex {
  timings: Map<string, Snapshot["timings"]>;
  unreadable: number;
}

function isSnapshot(value: unknown): value is Snapshot {
  const candidate = value as Partial<Snapshot> | null;
  return (
    typeof candidate === "object" &&
    candidate !== null &&
    typeof candidate.event_id === "string" &&
    typeof candidate.timings === "object" &&
    candidate.timings !== null
  );
}

/** Reads every snapshot file of a directory. Throws when the directory cannot be listed. */
export async function readSnapshotTimings(dir: string): Promise<SnapshotTimingIndex> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new CliError(`cannot read the snapshot directory ${dir}: ${(error as Error).message}`);
  }

  const index: SnapshotTimingIndex = { timings: new Map(), unreadable: 0 };
  for (const name of names.filter((candidate) => snapshotFilePattern.test(candidate))) {
    try {
      const value: unknown = JSON.parse(await readFile(path.join(dir, name), "utf8"));
      if (isSnapshot(value)) index.timings.set(value.event_id, value.timings);
      else index.unreadable++;
    } catch {
      index.unreadable++;
    }
  }
  return index;
}

/** Reads the snapshot of one event. Throws a CliError when it is missing or not a snapshot. */
export async function readSnapshot(dir: string, eventId: string): Promise<Snapshot> {
  const file = path.join(dir, snapshotFileName(eventId));
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    throw new CliError(
      missing
        ? `no snapshot of event ${eventId} in ${dir}; snapshots older than the retention limits are deleted`
        : `cannot read ${file}: ${(error as Error).message}`,
    );
  }

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isSnapshot(value)) throw new CliError(`${file} is not a Rampart snapshot`);
  return value;
}
