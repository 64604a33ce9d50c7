import dgram from "node:dgram";
import net from "node:net";

import { contextStorage } from "../context/storage";
import { reportInternalError } from "../failsafe";
import { log } from "../log";
import { BoundedQueue } from "./bounded-queue";
import { formatSyslogMessage } from "./cef";
import type { DropReason, EventExporter } from "./exporter";
import { countDroppedEvents } from "./metrics";
import type { SecurityEvent } from "./security-event";
import type { SyslogTarget } from "./telemetry-config";

/** Maximum number of messages waiting for the syslog receiver; beyond it events are dropped as `queue_full`. */
export const maxSyslogQueue = 10_000;

/** Reconnection delays of the TCP and Unix socket transports, in milliseconds. */
const firstReconnectMs = 500;
const maxReconnectMs = 30_000;

/** Bytes buffered in a stream socket beyond which the exporter waits for the `drain` event. */
const maxBufferedBytes = 1 << 20;

/**
 * Sends events as CEF over syslog: UDP datagrams, or newline-framed messages (RFC 6587
 * non-transparent framing) over TCP or a Unix stream socket. Messages are queued and sent after the
 * request's synchronous work; a stream transport reconnects with backoff, keeping the queue.
 */
export class SyslogExporter implements EventExporter {
  readonly name = "syslog";
  readonly deduplicated = true;
  sent = 0;

  private readonly queue = new BoundedQueue<string>(maxSyslogQueue);
  private flushScheduled = false;
  private closed = false;
  private udp: dgram.Socket | undefined;
  private stream: net.Socket | undefined;
  private connected = false;
  private reconnectMs = firstReconnectMs;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private failureLogged = false;

  constructor(private readonly target: SyslogTarget) {
    contextStorage.exit(() => this.open());
  }

  enqueue(event: SecurityEvent): DropReason | undefined {
    if (!this.queue.push(formatSyslogMessage(event))) return "queue_full";
    this.scheduleFlush();
    return undefined;
  }

  close(): void {
    this.closed = true;
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    // NOTE: messages still queued at exit are counted as dropped; sockets cannot send from an exit handler.
    const pending = this.queue.drain().length;
    if (pending > 0) countDroppedEvents(this.name, "delivery_failed", pending);
    this.udp?.close();
    this.stream?.destroy();
  }

  private open(): void {
    if (this.target.transport === "udp") this.openUdp(this.target.host, this.target.port);
    else this.connectStream();
  }

  private openUdp(host: string, port: number): void {
    const socket = dgram.createSocket(net.isIPv6(host) ? "udp6" : "udp4");
    socket.unref();
    // A connected UDP socket reports ICMP port-unreachable as ECONNREFUSED on later sends, so
    // datagrams lost to a stopped receiver are counted.
    socket.on("error", (error) => {
      countDroppedEvents(this.name, "delivery_failed");
      this.logFailure(error.message);
    });
    socket.connect(port, host, () => this.scheduleFlush());
    this.udp = socket;
  }

  private connectStream(): void {
    if (this.closed) return;
    const target = this.target;
    const socket =
      target.transport === "unix"
        ? net.connect({ path: target.path })
        : net.connect({ host: target.host, port: target.port });
    socket.unref();
    socket.setNoDelay(true);

    socket.on("connect", () => {
      this.connected = true;
      this.reconnectMs = firstReconnectMs;
      this.scheduleFlush();
    });
    socket.on("drain", () => this.scheduleFlush());
    socket.on("error", (error) => this.logFailure(error.message));
    socket.on("close", () => {
      this.connected = false;
      this.stream = undefined;
      this.scheduleReconnect();
    });
    this.stream = socket;
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer !== undefined) return;
    const delay = this.reconnectMs;
    this.reconnectMs = Math.min(maxReconnectMs, this.reconnectMs * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connectStream();
    }, delay);
    this.reconnectTimer.unref();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    contextStorage.exit(() => {
      setImmediate(() => {
        this.flushScheduled = false;
        try {
          this.flush();
        } catch (error) {
          reportInternalError("telemetry.syslog", error);
        }
      });
    });
  }

  private flush(): void {
    if (this.udp !== undefined) this.flushUdp(this.udp);
    else if (this.stream !== undefined && this.connected) this.flushStream(this.stream);
  }

  private flushUdp(socket: dgram.Socket): void {
    // A socket that is not connected yet rejects send(); the connect callback flushes again.
    if (!isConnected(socket)) return;

    for (let message = this.queue.shift(); message !== undefined; message = this.queue.shift()) {
      socket.send(message, (error) => {
        if (error === null) this.sent++;
        else {
          countDroppedEvents(this.name, "delivery_failed");
          this.logFailure(error.message);
        }
      });
    }
  }

  private flushStream(socket: net.Socket): void {
    const batch: string[] = [];
    let bytes = socket.writableLength;
    for (let message = this.queue.shift(); message !== undefined; message = this.queue.shift()) {
      batch.push(message + "\n");
      bytes += message.length;
      if (bytes > maxBufferedBytes) break;
    }
    if (batch.length === 0) return;

    // NOTE: messages written to a socket that the receiver closes before reading them are lost
    // without being counted; TCP gives the sender no per-message acknowledgement.
    const count = batch.length;
    const flushed = socket.write(batch.join(""), (error) => {
      if (error === undefined || error === null) this.sent += count;
      else countDroppedEvents(this.name, "delivery_failed", count);
    });
    if (flushed && this.queue.length > 0) this.scheduleFlush();
  }

  private logFailure(message: string): void {
    if (this.failureLogged) return;
    this.failureLogged = true;
    log.warn(
      { exporter: this.name, transport: this.target.transport, err: message },
      "syslog delivery failed; the exporter reconnects, and later failures are only counted",
    );
  }
}

function isConnected(socket: dgram.Socket): boolean {
  try {
    socket.remoteAddress();
    return true;
  } catch {
    return false;
  }
}
