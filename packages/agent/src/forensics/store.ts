import fs, { mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

import { log } from "../log";
import { countDroppedEvents } from "../telemetry/metrics";
import { enforceRetention, type RetentionLimits } from "./retention";
import type { Snapshot } from "./snapshot";

/** Maximum number of snapshots waiting to be written; beyond it new ones are dropped and counted. */
export const maxPendingSnapshots = 500;

/** Interval between two retention runs while the process lives, in milliseconds. */
export const retentionIntervalMs = 10 * 60 * 1000;

/** Delay of the first retention run after start, in milliseconds. */
const firstRetentionDelayMs = 1_000;

/** The `exporter` label of the store's drops in rampart_events_dropped_total. */
export const snapshotExporterName = "snapshots";

/** Counters of the store since start, for exporters and tests. */
export interface SnapshotStats {
  written: number;
  /** Snapshots not written because the queue was full. */
  dropped: number;
  /** Snapshots not written because the file system rejected them (unwritable directory, disk full). */
  failed: number;
  /** Files deleted by retention. */
  removed: number;
}

/** Keeps file names to the characters of an event id, so that no id can name a path elsewhere. */
export function snapshotFileName(eventId: string): string {
  return `${eventId.replace(/[^\w-]/g, "_").slice(0, 128)}.json`;
}

/**
 * Writes snapshots as one JSON file each, one at a time, off the request path. Each file is written
 * under a temporary name and renamed, so readers never see half a snapshot. The queue is bounded,
 * failures are logged once and counted, and nothing here throws to the caller.
 */
export class SnapshotStore {
  readonly stats: SnapshotStats = { written: 0, dropped: 0, failed: 0, removed: 0 };
  private queue: Snapshot[] = [];
  /** Snapshots accepted but not queued yet (a blocked request whose response is still going out). */
  private held = 0;
  private writing = false;
  private pruning = false;
  private directoryReady = false;
  private writeFailureLogged = false;
  private dropLogged = false;
  private retentionFailureLogged = false;
  /** Size of the kept snapshots after the last retention run plus what was written since, in bytes. */
  private estimatedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private firstRun: NodeJS.Timeout | undefined;

  constructor(
    readonly dir: string,
    private readonly limits: RetentionLimits,
  ) {}

  /**
   * Runs retention soon after start, then every `retentionIntervalMs`, on timers that do not keep
   * the process alive. Not at once: listing the directory would add to the app's start, a
   * serverless cold start most of all.
   */
  start(): void {
    this.firstRun = setTimeout(() => this.prune(), firstRetentionDelayMs);
    this.firstRun.unref();
    this.timer = setInterval(() => this.prune(), retentionIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.firstRun);
    clearInterval(this.timer);
    this.firstRun = undefined;
    this.timer = undefined;
  }

  /**
   * Reserves a place for a snapshot that will be added later. Returns false, counting a drop, when
   * the queue is full.
   */
  reserve(): boolean {
    if (this.queue.length + this.held >= maxPendingSnapshots) {
      this.recordDrop();
      return false;
    }
    this.held++;
    return true;
  }

  /** Queues a snapshot whose place `reserve` returned. */
  addReserved(snapshot: Snapshot): void {
    this.held = Math.max(0, this.held - 1);
    this.queue.push(snapshot);
    this.scheduleWrite();
  }

  /** Queues a snapshot, or drops and counts it when the queue is full. */
  add(snapshot: Snapshot): void {
    if (this.reserve()) this.addReserved(snapshot);
  }

  /** Resolves once every queued snapshot was written or failed; used by tests and at shutdown. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.writing) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Writes every queued snapshot synchronously; used at process exit. */
  flushSync(): void {
    const pending = this.queue;
    this.queue = [];
    for (const snapshot of pending) {
      try {
        mkdirSync(this.dir, { recursive: true });
        const file = path.join(this.dir, snapshotFileName(snapshot.event_id));
        const temporary = `${file}.${process.pid}.tmp`;
        writeFileSync(temporary, JSON.stringify(snapshot, null, 2) + "\n");
        renameSync(temporary, file);
        this.stats.written++;
      } catch (error) {
        this.recordWriteFailure(error);
      }
    }
  }

  private scheduleWrite(): void {
    if (this.writing) return;
    this.writing = true;
    setImmediate(() => void this.writeQueued()).unref();
  }

  private async writeQueued(): Promise<void> {
    try {
      for (
        let snapshot = this.queue.shift();
        snapshot !== undefined;
        snapshot = this.queue.shift()
      ) {
        await this.writeOne(snapshot);
      }
    } finally {
      this.writing = false;
    }
    if (this.estimatedBytes > this.limits.maxBytes) this.prune();
  }

  private async writeOne(snapshot: Snapshot): Promise<void> {
    const text = JSON.stringify(snapshot, null, 2) + "\n";
    const file = path.join(this.dir, snapshotFileName(snapshot.event_id));
    const temporary = `${file}.${process.pid}.tmp`;
    try {
      if (!this.directoryReady) {
        await fs.promises.mkdir(this.dir, { recursive: true });
        this.directoryReady = true;
      }
      await fs.promises.writeFile(temporary, text);
      await fs.promises.rename(temporary, file);
      this.stats.written++;
      this.estimatedBytes += Buffer.byteLength(text);
    } catch (error) {
      this.directoryReady = false;
      this.recordWriteFailure(error);
    }
  }

  private prune(): void {
    if (this.pruning) return;
    this.pruning = true;
    enforceRetention(this.dir, this.limits).then(
      (result) => {
        this.pruning = false;
        this.stats.removed += result.removed;
        this.estimatedBytes = result.keptBytes;
      },
      (error: unknown) => {
        this.pruning = false;
        if (this.retentionFailureLogged) return;
        this.retentionFailureLogged = true;
        log.error(
          { kind: "snapshot.retention", dir: this.dir, err: (error as Error).message },
          "cannot delete expired forensic snapshots; later failures are not logged. Check the permissions of RAMPART_SNAPSHOT_DIR",
        );
      },
    );
  }

  private recordDrop(): void {
    this.stats.dropped++;
    countDroppedEvents(snapshotExporterName, "queue_full");
    if (this.dropLogged) return;
    this.dropLogged = true;
    log.warn(
      { kind: "snapshot.queue_full", dir: this.dir, max_pending: maxPendingSnapshots },
      "forensic snapshot queue is full; snapshots are dropped and counted until it drains",
    );
  }

  private recordWriteFailure(error: unknown): void {
    this.stats.failed++;
    countDroppedEvents(snapshotExporterName, "delivery_failed");
    if (this.writeFailureLogged) return;
    this.writeFailureLogged = true;
    const err = error as NodeJS.ErrnoException;
    log.error(
      { kind: "snapshot.write", dir: this.dir, code: err.code, err: err.message },
      "cannot write a forensic snapshot; later failures are only counted. Check RAMPART_SNAPSHOT_DIR and free disk space",
    );
  }
}
