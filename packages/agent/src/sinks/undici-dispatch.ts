import { targetFromUrl, type RequestTarget } from "../detectors/ssrf";
import { failOpen } from "../failsafe";
import { isInspecting } from "../guard/guard";
import { wrapMethod } from "../instrument/wrap";
import {
  createOutgoingRequest,
  inspectBeforeSend,
  currentOutgoingRequest,
  runOutgoing,
  type OutgoingRequest,
} from "./ssrf-outgoing";

type Dispatch = (this: object, options: unknown, handler: unknown) => unknown;

interface DispatchOptions {
  origin?: unknown;
  path?: unknown;
}

interface DispatchHandler {
  onError?: (error: Error) => void;
  onResponseError?: (controller: unknown, error: Error) => void;
}

/** The API call that is dispatching right now (`undici.request`), set by the API wrappers. */
export interface PendingCall {
  readonly sink: string;
  readonly target: RequestTarget | undefined;
}

let pendingCall: PendingCall | undefined;
/** True while a dispatch is on the stack: an Agent dispatches to a Pool, which dispatches to a Client. */
let dispatching = false;

/** Runs an API call with its name and URL visible to the dispatch it makes; the outermost call wins. */
export function withPendingCall<T>(call: PendingCall, run: () => T): T {
  if (pendingCall !== undefined) return run();

  pendingCall = call;
  try {
    return run();
  } finally {
    pendingCall = undefined;
  }
}

/** Joins an origin (`http://host:port`, string or URL) and a path into one URL string. */
export function joinOriginAndPath(origin: unknown, path: unknown): string | undefined {
  let base: string;
  if (origin instanceof URL) base = origin.origin;
  else if (typeof origin === "string") base = origin;
  else return undefined;

  const tail = typeof path === "string" ? path : "/";
  return base.endsWith("/") && tail.startsWith("/") ? base + tail.slice(1) : base + tail;
}

/** Returns the origin a Client or Pool was created for, which undici 6 and 7 keep under the symbol `url`. */
function dispatcherOrigin(dispatcher: object): URL | undefined {
  for (const symbol of Object.getOwnPropertySymbols(dispatcher)) {
    if (symbol.description !== "url") continue;
    const value = (dispatcher as Record<symbol, unknown>)[symbol];
    if (value instanceof URL) return value;
  }
  return undefined;
}

function dispatchTarget(dispatcher: object, options: DispatchOptions): RequestTarget | undefined {
  const origin = options.origin ?? dispatcherOrigin(dispatcher);
  const text = joinOriginAndPath(origin, options.path);
  return text === undefined ? undefined : targetFromUrl(text);
}

/** Returns the port of a target's URL, or undefined for the scheme's default. */
export function targetPort(target: RequestTarget): number | undefined {
  if (target.port !== undefined) return target.port > 0 ? target.port : undefined;
  try {
    const port = Number(new URL(target.text).port);
    return port > 0 ? port : undefined;
  } catch {
    return undefined;
  }
}

/** Reports the block to the handler as undici reports a dispatch that fails before it starts. */
function failDispatch(handler: unknown, error: Error): boolean {
  const callbacks = handler as DispatchHandler;
  if (typeof callbacks.onError === "function") {
    callbacks.onError(error);
    return false;
  }
  if (typeof callbacks.onResponseError === "function") {
    callbacks.onResponseError({ abort() {}, pause() {}, resume() {} }, error);
    return false;
  }
  throw error;
}

/** Creates the outgoing request of a dispatch made outside any outgoing scope. */
function newOutgoing(dispatcher: object, target: RequestTarget): OutgoingRequest {
  const sink =
    pendingCall?.sink ?? `undici.${dispatcher.constructor.name || "Dispatcher"}.dispatch`;
  return createOutgoingRequest(sink, pendingCall?.target ?? target);
}

/** Returns whether a dispatch goes to the host and port of its outgoing request's own URL. */
function isOriginHost(outgoing: OutgoingRequest, target: RequestTarget): boolean {
  const origin = outgoing.origin;
  return (
    !outgoing.redirected &&
    target.hostname === origin.hostname &&
    targetPort(target) === targetPort(origin)
  );
}

/**
 * Judges each dispatch before it is queued, with what is known without DNS (see
 * `inspectBeforeSend`), which covers requests that reuse a pooled connection. The dispatch then
 * runs with its outgoing request in the outgoing scope (`runOutgoing`), for the sockets it opens.
 */
function wrapDispatch(original: Dispatch): Dispatch {
  return function dispatch(this: object, options: unknown, handler: unknown) {
    if (dispatching || !isInspecting("ssrf") || typeof options !== "object" || options === null) {
      return original.call(this, options, handler);
    }

    const prepared = failOpen("inspect.undici.dispatch", undefined, () => {
      const target = dispatchTarget(this, options as DispatchOptions);
      if (target === undefined) return undefined;

      // A dispatch in an outgoing scope (a fetch, or a redirect hop) belongs to that scope's request,
      // whose URL was judged before the scope opened. A fetch's first dispatch goes to that URL.
      const current = currentOutgoingRequest();
      if (current !== undefined && isOriginHost(current, target)) {
        return { outgoing: current, inScope: true, blocked: undefined };
      }
      const outgoing = current ?? newOutgoing(this, target);
      return {
        outgoing,
        inScope: current !== undefined,
        blocked: inspectBeforeSend(outgoing, target.hostname, targetPort(target)),
      };
    });
    if (prepared === undefined) return original.call(this, options, handler);
    if (prepared.blocked !== undefined) return failDispatch(handler, prepared.blocked);

    dispatching = true;
    try {
      if (prepared.inScope) return original.call(this, options, handler);
      return runOutgoing(prepared.outgoing, () => original.call(this, options, handler));
    } finally {
      dispatching = false;
    }
  };
}

/**
 * Wraps `dispatch` on the prototype that defines it, found from a dispatcher instance or class
 * prototype. In undici 6 and 7 that is DispatcherBase, the parent of Client, Pool and Agent.
 */
export function patchDispatch(dispatcher: object): void {
  let prototype: object | null = dispatcher;
  while (prototype !== null && !Object.hasOwn(prototype, "dispatch")) {
    prototype = Object.getPrototypeOf(prototype) as object | null;
  }
  if (prototype !== null)
    wrapMethod(prototype as Record<string, unknown>, "dispatch", wrapDispatch);
}
