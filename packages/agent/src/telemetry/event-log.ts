import { closeSync, openSync, write, writeSync } from "node:fs";

import type { EventsTarget } from "../config";
import { errorCodes } from "../errors";
import { reportInternalError } from "../failsafe";
import { log } from "../log";
import { securityEventChannel } from "./channels";
import type { SecurityEvent } from "./security-event";

/** Most lines waiting to be written; beyond it new events are dropped and counted. */
export const maxQueuedLines = 10_000;

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
  private fd: number | undefined;
  dropped = 0;
  written = 0;

  constructor(private readonly target: EventsTarget) {
    if (typeof target === "object") this.openFile(target.file);
  }

  /** Names where events actually go: the file, or the stream used instead when it could not be opened. */
  describeTarget(): string {
    if (typeof this.target === "string") return this.target;
    return this.fd === undefined ? "stderr" : this.target.file;
  }

  append(event: SecurityEvent): void {
    if (this.queue.length >= maxQueuedLines) {
      this.dropped++;
      return;
    }
    this.queue.push(JSON.stringify(event) + "\n");
    this.scheduleFlush();
  }

  /** Writes every queued line synchronously; used at exit and by tests. */
  flushSync(): void {
    const text = this.take();
    if (text === "") return;
    this.writeTextSync(text);
  }

  close(): void {
    this.flushSync();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private openFile(file: string): void {
    try {
      this.fd = openSync(file, "a");
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

    this.writing = true;
    write(this.fd, text, (error) => {
      this.writing = false;
      if (error !== null) reportInternalError("events.write", error);
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

  private writeTextSync(text: string): void {
    try {
      if (this.fd !== undefined) writeSync(this.fd, text);
      else if (this.target === "stdout") process.stdout.write(text);
      else process.stderr.write(text);
    } catch (error) {
      reportInternalError("events.write", error);
    }
  }
}

/** Starts the event log and subscribes it to security events. */
export function startEventLog(target: EventsTarget): EventLog {
  const eventLog = new EventLog(target);
  securityEventChannel.subscribe((message) => eventLog.append(message as SecurityEvent));
  process.once("exit", () => eventLog.close());
  return eventLog;
}
