import {
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  renameSync,
  rmSync,
  write,
  writeSync,
} from "node:fs";

import type { EventsTarget } from "../config";
import { errorCodes } from "../errors";
import { reportInternalError } from "../failsafe";
import { log } from "../log";
import type { DropReason, EventExporter } from "./exporter";
import type { SecurityEvent } from "./security-event";

/** Most lines waiting to be written; beyond it new events are dropped and counted. */
export const maxQueuedLines = 10_000;

/** Size-based rotation of the events file: `events.jsonl` moves to `events.jsonl.1`, and so on. */
export interface Rotation {
  /** Rotate before a write would make the file larger than this, in bytes; 0 never rotates. */
  readonly maxBytes: number;
  /** Rotated files kept; the oldest beyond this count is deleted. */
  readonly maxFiles: number;
}

/**
 * Writes security events as JSON Lines to stdout, stderr or a file. Events are queued and written
 * in batches after the current request's synchronous work (setImmediate), with asynchronous writes
 * for files, so the request path only pays for JSON.stringify. Lines still queued at process exit
 * are written synchronously.
 */
export class EventLog {
  private queue: string[] = [];
  private flushScheduled = false;
  private writing = false;
  /** Callers of `flush` waiting for the write in flight to complete. */
  private writeWaiters: Array<() => void> = [];
  private fd: number | undefined;
  /** Bytes in the current events file, for rotation. */
  private fileSize = 0;
  dropped = 0;
  written = 0;

  constructor(
    private readonly target: EventsTarget,
    private readonly rotation: Rotation = { maxBytes: 0, maxFiles: 0 },
  ) {
    if (typeof target === "object") this.openFile(target.file);
  }

  /** Names where events actually go: the file, or the stream used instead when it could not be opened. */
  describeTarget(): string {
    if (typeof this.target === "string") return this.target;
    return this.fd === undefined ? "stderr" : this.target.file;
  }

  /** Queues one event; returns false when the queue is full and the event was dropped. */
  append(event: SecurityEvent): boolean {
    if (this.queue.length >= maxQueuedLines) {
      this.dropped++;
      return false;
    }
    this.queue.push(JSON.stringify(event) + "\n");
    this.scheduleFlush();
    return true;
  }

  /** Writes every queued line synchronously; used at exit and by tests. */
  flushSync(): void {
    const text = this.take();
    if (text === "") return;
    this.writeTextSync(text);
  }

  /**
   * Writes every queued line and resolves once no write is in flight, for processes that may be
   * frozen right after a unit of work (AWS Lambda). Never rejects: write errors are reported as
   * internal errors.
   */
  async flush(): Promise<void> {
    while (this.writing) await new Promise<void>((resolve) => this.writeWaiters.push(resolve));
    this.flushSync();
  }

  close(): void {
    this.flushSync();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private openFile(file: string): void {
    try {
      this.fd = openSync(file, "a");
      this.fileSize = fstatSync(this.fd).size;
    } catch (error) {
      log.error(
        { code: errorCodes.eventsUnwritable, file, err: (error as Error).message },
        "cannot open the events file; events go to stderr instead. Fix RAMPART_EVENTS or the file's permissions",
      );
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flushAsync();
    }).unref();
  }

  private flushAsync(): void {
    if (this.writing) return;
    const text = this.take();
    if (text === "") return;

    if (this.fd === undefined) {
      this.writeTextSync(text);
      return;
    }

    this.rotateBefore(text);
    if (this.fd === undefined) {
      this.writeTextSync(text);
      return;
    }

    this.writing = true;
    write(this.fd, text, (error) => {
      this.writing = false;
      if (error !== null) reportInternalError("events.write", error);
      for (const resolve of this.writeWaiters.splice(0)) resolve();
      if (this.queue.length > 0) this.scheduleFlush();
    });
  }

  private take(): string {
    if (this.queue.length === 0) return "";
    const text = this.queue.join("");
    this.written += this.queue.length;
    this.queue = [];
    return text;
  }

  /**
   * Rotates the file when `text` would take it past the size limit. A single batch larger than the
   * limit still goes into one file, so a file can exceed the limit by one batch.
   */
  private rotateBefore(text: string): void {
    const bytes = Buffer.byteLength(text);
    const { maxBytes, maxFiles } = this.rotation;
    if (maxBytes > 0 && this.fileSize > 0 && this.fileSize + bytes > maxBytes) {
      try {
        this.rotateFiles(maxFiles);
      } catch (error) {
        reportInternalError("events.rotate", error);
      }
    }
    this.fileSize += bytes;
  }

  private rotateFiles(maxFiles: number): void {
    if (typeof this.target !== "object" || this.fd === undefined) return;
    const file = this.target.file;

    closeSync(this.fd);
    this.fd = undefined;
    rmSync(`${file}.${maxFiles}`, { force: true });
    for (let index = maxFiles - 1; index >= 1; index--) {
      if (existsSync(`${file}.${index}`)) renameSync(`${file}.${index}`, `${file}.${index + 1}`);
    }
    renameSync(file, `${file}.1`);
    this.openFile(file);
  }

  private writeTextSync(text: string): void {
    try {
      if (this.fd !== undefined) this.rotateBefore(text);
      if (this.fd !== undefined) writeSync(this.fd, text);
      else if (this.target === "stdout") process.stdout.write(text);
      else process.stderr.write(text);
    } catch (error) {
      reportInternalError("events.write", error);
    }
  }
}

/** The event log as an exporter of the telemetry pipeline. */
export class EventLogExporter implements EventExporter {
  readonly name = "jsonl";

  constructor(
    readonly eventLog: EventLog,
    readonly deduplicated: boolean,
  ) {}

  enqueue(event: SecurityEvent): DropReason | undefined {
    return this.eventLog.append(event) ? undefined : "queue_full";
  }

  flushQueued(): Promise<void> {
    return this.eventLog.flush();
  }

  close(): void {
    this.eventLog.close();
  }
}
