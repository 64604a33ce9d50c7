import http from "node:http";
import https from "node:https";

import type { RequestContext } from "../context/request-context";
import { currentContext } from "../context/storage";
import { targetFromParts, targetFromUrl, type RequestTarget } from "../detectors/ssrf";
import { failOpen } from "../failsafe";
import { isInspecting } from "../guard/guard";
import type { RuntimeInstrumentation } from "../instrument/runtime-hooks";
import { wrapMethod } from "../instrument/wrap";
import { withSynchronousRequest } from "./ssrf-connect";
import {
  createOutgoingRequest,
  hasRedirects,
  inspectBeforeSend,
  redirectOrigin,
  rememberRedirect,
  type OutgoingRequest,
} from "./ssrf-outgoing";

type RequestFunction = (...args: unknown[]) => http.ClientRequest;

interface RequestOptions {
  protocol?: unknown;
  hostname?: unknown;
  host?: unknown;
  port?: unknown;
  path?: unknown;
  socketPath?: unknown;
}

/** The URL and options of any argument form of `request(url?, options?, callback?)`. */
interface RequestArguments {
  readonly url: string | undefined;
  readonly options: RequestOptions | undefined;
  readonly callback: unknown;
}

function splitArguments(args: readonly unknown[]): RequestArguments {
  const [first, second, third] = args;
  let url: string | undefined;
  if (typeof first === "string") url = first;
  else if (first instanceof URL) url = first.href;

  if (url === undefined) {
    const options =
      typeof first === "object" && first !== null ? (first as RequestOptions) : undefined;
    return { url, options, callback: second };
  }
  if (typeof second === "object" && second !== null) {
    return { url, options: second as RequestOptions, callback: third };
  }
  return { url, options: undefined, callback: second };
}

function text(value: unknown): string | undefined {
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number") return String(value);
  return undefined;
}

/**
 * Describes the URL that a call will request. Options override the URL's parts as in node:http:
 * `hostname`, then `host`, then the URL's host, then `localhost`.
 */
function describeTarget(
  defaultProtocol: string,
  call: RequestArguments,
): RequestTarget | undefined {
  const { url, options } = call;
  if (options !== undefined && text(options.socketPath) !== undefined) return undefined;

  const optionHost = text(options?.hostname) ?? text(options?.host);
  if (url !== undefined && optionHost === undefined) return targetFromUrl(url);

  const parsed = url === undefined ? undefined : safeUrl(url);
  const protocol = text(options?.protocol) ?? parsed?.protocol ?? defaultProtocol;
  const host = optionHost ?? parsed?.hostname ?? "localhost";
  const port = text(options?.port) ?? (parsed?.port || undefined);
  const path =
    text(options?.path) ?? (parsed === undefined ? undefined : parsed.pathname + parsed.search);
  return targetFromParts(protocol, host, port, path);
}

function safeUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

function portOf(target: RequestTarget): number | undefined {
  const port = Number(safeUrl(target.text)?.port);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

/** Normalized href of a target, the key under which redirect locations are stored. */
function hrefOf(target: RequestTarget): string | undefined {
  return safeUrl(target.text)?.href;
}

/** Builds the outgoing request of a call; a hop that follows a recorded redirect keeps its chain's origin. */
function outgoingRequest(
  sink: string,
  target: RequestTarget,
  context: RequestContext | undefined,
): OutgoingRequest {
  if (context === undefined || !hasRedirects(context)) return createOutgoingRequest(sink, target);

  const href = hrefOf(target);
  const origin = href === undefined ? undefined : redirectOrigin(context, href);
  if (origin === undefined) return createOutgoingRequest(sink, target);
  return createOutgoingRequest(sink, origin, true);
}

/** Requests sent within an incoming request, for following their redirect responses. */
const sentRequests = new WeakMap<
  http.ClientRequest,
  { request: OutgoingRequest; context: RequestContext; href: string }
>();

/**
 * Passes the blocked error the way node:http reports a connection that could not be made: the
 * request is created without a socket and emits 'error' on the next tick, so nothing is sent.
 */
function blockedArguments(call: RequestArguments, error: Error): unknown[] {
  const createConnection = (_options: unknown, done: (error: Error) => void) => {
    done(error);
    return undefined;
  };
  const options = { ...call.options, agent: null, createConnection };
  return call.url === undefined ? [options, call.callback] : [call.url, options, call.callback];
}

function wrapRequest(sink: string, defaultProtocol: string) {
  return (original: RequestFunction): RequestFunction =>
    function request(this: unknown, ...args: unknown[]) {
      if (!isInspecting("ssrf")) return original.apply(this, args);

      const prepared = failOpen(`inspect.${sink}`, undefined, () => {
        const call = splitArguments(args);
        const target = describeTarget(defaultProtocol, call);
        if (target === undefined) return undefined;

        const context = currentContext();
        const outgoing = outgoingRequest(sink, target, context);
        const blocked = inspectBeforeSend(outgoing, target.hostname, portOf(target));
        return { call, target, context, outgoing, blocked };
      });
      if (prepared === undefined) return original.apply(this, args);

      const { call, target, context, outgoing, blocked } = prepared;
      if (blocked !== undefined) return original.apply(this, blockedArguments(call, blocked));

      const clientRequest = withSynchronousRequest(outgoing, () => original.apply(this, args));
      if (context !== undefined) {
        const href = hrefOf(target);
        if (href !== undefined)
          sentRequests.set(clientRequest, { request: outgoing, context, href });
      }
      return clientRequest;
    };
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);

function resolveLocation(location: string, base: string): string | undefined {
  try {
    return new URL(location, base).href;
  } catch {
    return undefined;
  }
}

/**
 * Records where a redirect response points, so that the client's next request there (axios,
 * got and node-fetch send one per hop through node:http, often from the 'response' listener
 * itself) is judged as part of the same chain.
 */
function recordRedirect(request: http.ClientRequest, response: unknown): void {
  const sent = sentRequests.get(request);
  if (sent === undefined || !(response instanceof http.IncomingMessage)) return;
  if (!redirectStatuses.has(response.statusCode ?? 0)) return;

  const location = response.headers.location;
  if (typeof location !== "string") return;

  const next = resolveLocation(location, sent.href);
  if (next !== undefined) rememberRedirect(sent.context, next, sent.request.origin);
}

type Emit = (this: http.ClientRequest, event: string | symbol, ...args: unknown[]) => boolean;

/**
 * Sees each response before the app's listeners. Adding a 'response' listener instead would stop
 * node:http from discarding responses that the app ignores.
 */
function wrapEmit(original: Emit): Emit {
  return function emit(this: http.ClientRequest, event, ...args) {
    if (event === "response") {
      failOpen("ssrf.redirect", undefined, () => recordRedirect(this, args[0]));
    }
    return original.call(this, event, ...args);
  };
}

/**
 * node:http and node:https client calls. `get` is wrapped on its own because it calls the module's
 * internal `request` function, not the exported property.
 */
export const httpClient: RuntimeInstrumentation = {
  name: "node:http client",
  install() {
    const modules = [
      { name: "http", exports: http, protocol: "http:" },
      { name: "https", exports: https, protocol: "https:" },
    ];
    for (const { name, exports, protocol } of modules) {
      const target = exports as unknown as Record<string, unknown>;
      wrapMethod(target, "request", wrapRequest(`${name}.request`, protocol));
      wrapMethod(target, "get", wrapRequest(`${name}.get`, protocol));
    }

    wrapMethod(
      http.ClientRequest.prototype as unknown as Record<string, unknown>,
      "emit",
      wrapEmit,
    );
  },
};
