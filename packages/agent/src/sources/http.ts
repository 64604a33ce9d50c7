import http from "node:http";
import https from "node:https";

import { reportInternalError } from "../failsafe";
import { RequestContext } from "../context/request-context";
import { contextStorage } from "../context/storage";
import { activeGate } from "../gate/gate-state";
import { gateRequest } from "../gate/request-gate";
import { agentState } from "../guard/agent-state";
import type { RuntimeInstrumentation } from "../instrument/runtime-hooks";
import { wrapMethod } from "../instrument/wrap";
import { countRequest } from "../telemetry/metrics";
import { captureBodyChunk } from "./request-body-capture";

type Emit = (this: http.Server, event: string | symbol, ...args: unknown[]) => boolean;
type Push = (this: http.IncomingMessage, chunk: unknown, encoding?: BufferEncoding) => boolean;

function createContext(req: unknown, res: unknown): RequestContext | undefined {
  // With the agent off (kill switch), requests run without a context: no hook has work to do,
  // and the async context would still cost every promise and callback of the request.
  if (agentState()?.config.mode === "off") return undefined;

  // A try block rather than failOpen, which would cost a closure on every request.
  try {
    if (!(req instanceof http.IncomingMessage) || !(res instanceof http.ServerResponse))
      return undefined;
    return new RequestContext(req, res);
  } catch (error) {
    reportInternalError("source.http", error);
    return undefined;
  }
}

function wrapEmit(original: Emit): Emit {
  return function emit(this: http.Server, event, ...args) {
    if (event !== "request") return original.call(this, event, ...args);

    const context = createContext(args[0], args[1]);
    if (context === undefined) return original.call(this, event, ...args);
    countRequest(this);

    // Everything the request handler starts (promises, timers, driver callbacks) inherits the context.
    return contextStorage.run(context, handleRequest, this, original, context, event, args);
  };
}

/**
 * Runs the app's request handler, or lets the request gate respond with 403 or 429 first or
 * delay the request while a shared store replies. Without a configured gate no closure is made.
 */
function handleRequest(
  server: http.Server,
  original: Emit,
  context: RequestContext,
  event: string | symbol,
  args: unknown[],
): boolean {
  if (activeGate() === undefined) return original.call(server, event, ...args);

  const run = () => original.call(server, event, ...args);
  return gateRequest(context, run) || run();
}

/**
 * Wraps `push`, which the HTTP parser calls with each body chunk of a request. Responses of
 * outgoing requests are IncomingMessages too, but they have no context and pass through untouched.
 */
function wrapPush(original: Push): Push {
  return function push(this: http.IncomingMessage, chunk, encoding) {
    captureBodyChunk(this, chunk);
    return original.call(this, chunk, encoding);
  };
}

/**
 * Gives each request of a node:http or node:https server its own context, and keeps the first
 * bytes of its body for apps that read the body stream themselves.
 */
export function instrumentHttpServers(): void {
  wrapMethod(http.Server.prototype as unknown as Record<string, unknown>, "emit", wrapEmit);
  wrapMethod(https.Server.prototype as unknown as Record<string, unknown>, "emit", wrapEmit);
  wrapMethod(
    http.IncomingMessage.prototype as unknown as Record<string, unknown>,
    "push",
    wrapPush,
  );
}

/** Request source of node:http and node:https servers, Express and Fastify included. */
export const httpServers: RuntimeInstrumentation = {
  name: "node:http server",
  install: instrumentHttpServers,
};
