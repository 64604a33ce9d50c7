import http2 from "node:http2";

import { failOpen } from "../failsafe";
import {
  contextOfRequest,
  linkContext,
  RequestContext,
  type RequestMessage,
  type RequestSocket,
} from "../context/request-context";
import { contextStorage } from "../context/storage";
import { activeGate } from "../gate/gate-state";
import { gateRequest } from "../gate/request-gate";
import { agentState } from "../guard/agent-state";
import type { RuntimeInstrumentation } from "../instrument/runtime-hooks";
import { wrapMethod } from "../instrument/wrap";
import { StreamResponse } from "../response/stream-response";
import { countRequest } from "../telemetry/metrics";
import { captureBodyChunk } from "./request-body-capture";

type Server = http2.Http2Server | http2.Http2SecureServer;
type Emit = (this: Server, event: string | symbol, ...args: unknown[]) => boolean;
type Push = (this: http2.ServerHttp2Stream, chunk: unknown, encoding?: BufferEncoding) => boolean;

/** The request facts of a raw HTTP/2 stream, read from its pseudo-headers. */
class StreamRequest implements RequestMessage {
  readonly httpVersion = "2.0";

  constructor(
    readonly headers: http2.IncomingHttpHeaders,
    readonly socket: RequestSocket | undefined,
  ) {}

  get url(): string | undefined {
    return this.headers[":path"];
  }

  get method(): string | undefined {
    return this.headers[":method"];
  }
}

/**
 * Returns the session's socket, which carries the peer address. Node.js puts a proxy in front of
 * it that throws on data reads and writes, but allows reading the address fields.
 */
function socketOf(stream: http2.ServerHttp2Stream): RequestSocket | undefined {
  return stream.session?.socket ?? undefined;
}

/**
 * Wraps the stream's `push`, through which its body chunks reach JavaScript. The stream class is
 * not exported, so each request's stream gets an own property. The compatibility API's request
 * reads from the same stream, so both APIs go through it.
 */
function capturePushOf(stream: http2.ServerHttp2Stream): void {
  const original = stream.push as Push;
  Object.defineProperty(stream, "push", {
    configurable: true,
    writable: true,
    value: function push(this: http2.ServerHttp2Stream, chunk: unknown, encoding?: BufferEncoding) {
      captureBodyChunk(this, chunk);
      return original.call(this, chunk, encoding);
    },
  });
}

/** node:http2 does not export its stream classes, so a server stream is recognized by `respond`. */
function isServerStream(value: unknown): value is http2.ServerHttp2Stream {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { respond?: unknown }).respond === "function"
  );
}

function createStreamContext(stream: unknown, headers: unknown): RequestContext | undefined {
  if (agentState()?.config.mode === "off") return undefined;

  return failOpen("source.http2", undefined, () => {
    if (!isServerStream(stream) || typeof headers !== "object" || headers === null)
      return undefined;
    const serverStream = stream;
    const request = new StreamRequest(headers as http2.IncomingHttpHeaders, socketOf(serverStream));
    const context = new RequestContext(request, new StreamResponse(serverStream));
    linkContext(serverStream, context);
    capturePushOf(serverStream);
    return context;
  });
}

/**
 * Moves the stream's context onto the compatibility API's request and response, which the app
 * receives in place of the stream. A `request` emitted without a stream context gets none.
 */
function attachCompatMessages(req: unknown, res: unknown): RequestContext | undefined {
  return failOpen("source.http2", undefined, () => {
    if (!(req instanceof http2.Http2ServerRequest) || !(res instanceof http2.Http2ServerResponse))
      return undefined;

    const context = contextOfRequest(req.stream);
    if (context === undefined) return undefined;
    context.req = req;
    context.res = res;
    linkContext(req, context);
    return context;
  });
}

function runGated(server: Server, original: Emit, context: RequestContext, args: unknown[]) {
  if (activeGate() === undefined) return original.call(server, "stream", ...args);

  const run = () => original.call(server, "stream", ...args);
  return gateRequest(context, run) || run();
}

function wrapEmit(original: Emit): Emit {
  return function emit(this: Server, event, ...args) {
    if (event === "request") {
      attachCompatMessages(args[0], args[1]);
      return original.call(this, event, ...args);
    }
    if (event !== "stream") return original.call(this, event, ...args);

    const context = createStreamContext(args[0], args[1]);
    if (context === undefined) return original.call(this, event, ...args);
    countRequest(this);

    // The compatibility API's `request` event is emitted by a `stream` listener, so it runs inside.
    return contextStorage.run(context, runGated, this, original, context, args);
  };
}

/**
 * Gives each stream of a node:http2 server (plain or TLS) its own context, for apps on the
 * `stream` event and on the compatibility API's `request` event alike.
 */
export function instrumentHttp2Servers(): void {
  // The server classes are not exported; servers that never listen expose their prototypes. An
  // empty CA list keeps the TLS server from loading Node's root certificates (25 to 40 ms).
  const prototypes = [
    Object.getPrototypeOf(http2.createServer()),
    Object.getPrototypeOf(http2.createSecureServer({ ca: [] })),
  ] as Record<string, unknown>[];
  for (const prototype of prototypes) wrapMethod(prototype, "emit", wrapEmit);
}

/** Request source of node:http2 servers, plain and TLS. */
export const http2Servers: RuntimeInstrumentation = {
  name: "node:http2 server",
  install: instrumentHttp2Servers,
};
