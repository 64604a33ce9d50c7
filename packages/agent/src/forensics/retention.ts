import fs from "node:fs";
import path from "node:path";

/** Names of files that the store writes: the event id and `.json`. Other files are never deleted. */
export const snapshotFilePattern = /^[\w-]{1,128}\.json$/;

/** Names of partly written snapshots, left behind when a process died between write and rename. */
const partialFilePattern = /^[\w-]{1,128}\.json\.\d+\.tmp$/;

/** Age after which a partly written snapshot is deleted, in milliseconds. */
const partialFileMaxAgeMs = 60 * 60 * 1000;

export interface RetentionLimits {
  maxAgeDays: number;
  maxBytes: number;
}

export interface RetentionResult {
  /** Files deleted by this run. */
  removed: number;
  /** Total size of the snapshots kept, in bytes. */
  keptBytes: number;
}

interface SnapshotFile {
  name: string;
  size: number;
  mtimeMs: number;
}

async function listFiles(dir: string, pattern: RegExp): Promise<SnapshotFile[]> {
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }

  const files: SnapshotFile[] = [];
  for (const name of names) {
    if (!pattern.test(name)) continue;
    try {
      const info = await fs.promises.stat(path.join(dir, name));
      if (info.isFile()) files.push({ name, size: info.size, mtimeMs: info.mtimeMs });
    } catch {
      // Deleted by another process between readdir and stat.
    }
  }
  return files;
}

async function remove(dir: string, name: string): Promise<boolean> {
  try {
    await fs.promises.unlink(path.join(dir, name));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

/** Picks the snapshots to delete: those older than the age limit, then the oldest beyond the size limit. */
export function selectExpired(
  files: readonly SnapshotFile[],
  limits: RetentionLimits,
  now: number,
): { expired: SnapshotFile[]; keptBytes: number } {
  const oldestKept = now - limits.maxAgeDays * 24 * 60 * 60 * 1000;
  const newestFirst = [...files].sort((a, b) => b.mtimeMs - a.mtimeMs);
  const expired: SnapshotFile[] = [];
  let keptBytes = 0;
  let full = false;

  for (const file of newestFirst) {
    // Once one snapshot does not fit, every older one goes too, so the newest are the ones kept.
    full ||= keptBytes + file.size > limits.maxBytes;
    if (full || file.mtimeMs < oldestKept) {
      expired.push(file);
      continue;
    }
    keptBytes += file.size;
  }
  return { expired, keptBytes };
}

/**
 * Deletes snapshots older than `maxAgeDays`, then the oldest until the rest fit in `maxBytes`, and
 * partly written files older than an hour. Only files named like snapshots are considered. A
 * missing directory counts as empty; other file system errors are thrown.
 */
export async function enforceRetention(
  dir: string,
  limits: RetentionLimits,
  now: number = Date.now(),
): Promise<RetentionResult> {
  const { expired, keptBytes } = selectExpired(
    await listFiles(dir, snapshotFilePattern),
    limits,
    now,
  );
  let removed = 0;
  for (const file of expired) {
    if (await remove(dir, file.name)) removed++;
  }

  for (const partial of await listFiles(dir, partialFilePattern)) {
    if (now - partial.mtimeMs > partialFileMaxAgeMs && (await remove(dir, partial.name))) removed++;
  }
  return { removed, keptBytes };
}
