import type { ServerHttp2Stream } from "node:http2";

import type { ResponseMessage } from "../context/request-context";

/**
 * The response side of a raw HTTP/2 stream (the server's `stream` event), shaped like a
 * ServerResponse for the agent's response code. Headers go out in one `respond` call, so the
 * adapter keeps none of its own: `writeHead` responds at once.
 */
export class StreamResponse implements ResponseMessage {
  private assignedStatus = 200;

  constructor(readonly stream: ServerHttp2Stream) {}

  /** The `:status` that the app sent with `stream.respond`, else the last one assigned. */
  get statusCode(): number {
    const sent = this.stream.sentHeaders?.[":status"];
    return typeof sent === "number" ? sent : Number(sent ?? this.assignedStatus);
  }

  set statusCode(status: number) {
    this.assignedStatus = status;
  }

  get headersSent(): boolean {
    return this.stream.headersSent;
  }

  get writableFinished(): boolean {
    return this.stream.writableFinished;
  }

  once(event: "finish" | "close", listener: () => void): this {
    this.stream.once(event, listener);
    return this;
  }

  /** Emits nothing: the stream emits its own `finish` and `close`, and nothing listens on the adapter. */
  emit(): boolean {
    return false;
  }

  getHeaderNames(): string[] {
    return [];
  }

  removeHeader(): void {}

  writeHead(status: number, headers: Record<string, string | number> = {}): this {
    this.assignedStatus = status;
    this.stream.respond({ ...headers, ":status": status });
    return this;
  }

  write(...args: unknown[]): unknown {
    return Reflect.apply(this.stream.write, this.stream, args);
  }

  end(...args: unknown[]): unknown {
    if (!this.stream.headersSent && !this.stream.destroyed) {
      this.stream.respond({ ":status": this.assignedStatus });
    }
    Reflect.apply(this.stream.end, this.stream, args);
    return this;
  }
}
