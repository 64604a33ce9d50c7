import { EventEmitter } from "node:events";
import type { IncomingHttpHeaders } from "node:http";

import type { RequestMessage, RequestSocket, ResponseMessage } from "../context/request-context";

/**
 * Stands for the HTTP request of a Lambda event where the agent's hooks expect a node:http
 * request: the method, URL, headers and client address. Plain objects, so that a function that
 * loads no HTTP module does not load node:http for them.
 */
export class EventRequest implements RequestMessage {
  readonly httpVersion = "1.1";
  readonly socket: RequestSocket;

  constructor(
    readonly method: string,
    readonly url: string,
    readonly headers: IncomingHttpHeaders,
    remoteAddress: string | undefined,
  ) {
    this.socket = { remoteAddress };
  }
}

/**
 * Stands for the response of a Lambda event, whose real response is the handler's result. It
 * records what the agent writes to it (status and headers of a block). The wrapper emits its
 * `finish` and `close` events once the invocation settled.
 */
export class EventResponse extends EventEmitter implements ResponseMessage {
  statusCode = 200;
  headersSent = false;
  // Stays false, as on a node:http response that no socket backs: nothing is ever flushed.
  readonly writableFinished = false;
  private readonly headers = new Map<string, string | number>();

  getHeaderNames(): string[] {
    return [...this.headers.keys()];
  }

  removeHeader(name: string): void {
    this.headers.delete(name.toLowerCase());
  }

  writeHead(status: number, headers: Record<string, string | number> = {}): this {
    this.statusCode = status;
    for (const [name, value] of Object.entries(headers))
      this.headers.set(name.toLowerCase(), value);
    this.headersSent = true;
    return this;
  }

  write(...args: unknown[]): boolean {
    this.headersSent = true;
    callBack(args);
    return true;
  }

  end(...args: unknown[]): this {
    this.headersSent = true;
    callBack(args);
    return this;
  }
}

/** Calls the callback among a write's arguments on the next tick, as a stream would. */
function callBack(args: readonly unknown[]): void {
  const callback = args.find((arg) => typeof arg === "function") as (() => void) | undefined;
  if (callback !== undefined) process.nextTick(callback);
}
