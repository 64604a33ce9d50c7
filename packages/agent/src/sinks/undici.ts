import { targetFromUrl, type RequestTarget } from "../detectors/ssrf";
import { failOpen } from "../failsafe";
import { isInspecting } from "../guard/guard";
import type { ModuleInstrumentation } from "../instrument/module-hooks";
import { wrapMethod } from "../instrument/wrap";
import { wrapFetch } from "./fetch";
import { joinOriginAndPath, patchDispatch, withPendingCall } from "./undici-dispatch";

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/** Client-facing API methods, at the top level of undici and on every dispatcher. */
const apiMethods = ["request", "stream", "pipeline", "connect", "upgrade"] as const;

/** Returns the URL of a call's first argument: a string, a URL, or `{ origin, path }` options. */
function callTarget(url: unknown): RequestTarget | undefined {
  if (typeof url === "string") return targetFromUrl(url);
  if (url instanceof URL) return targetFromUrl(url.href);
  if (typeof url === "object" && url !== null) {
    const { origin, path } = url as { origin?: unknown; path?: unknown };
    const text = joinOriginAndPath(origin, path);
    return text === undefined ? undefined : targetFromUrl(text);
  }
  return undefined;
}

/**
 * Names the call being made and keeps the URL as the app wrote it, for the dispatch it leads to.
 * Methods of a dispatcher are named after its class (`undici.Pool.request`).
 */
function wrapApi(method: string, onDispatcher: boolean) {
  return (original: AnyFunction): AnyFunction =>
    function api(this: unknown, ...args: unknown[]) {
      if (!isInspecting("ssrf")) return original.apply(this, args);

      const owner = onDispatcher ? (this as object | undefined)?.constructor?.name : undefined;
      const sink = onDispatcher ? `undici.${owner || "Dispatcher"}.${method}` : `undici.${method}`;
      const target = onDispatcher
        ? undefined
        : failOpen(`inspect.${sink}`, undefined, () => callTarget(args[0]));
      return withPendingCall({ sink, target }, () => original.apply(this, args));
    };
}

/**
 * npm undici: `request`, `stream`, `pipeline`, `connect`, `upgrade`, `fetch`, and the Client,
 * Pool and Agent classes through their common `dispatch`. Sockets are judged at connect time by
 * the node:net patch, which finds the dispatch's outgoing request in the outgoing scope (`runOutgoing`).
 */
export const undici: ModuleInstrumentation = {
  name: "undici",
  majorVersions: [6, 7],
  patch(moduleExports) {
    const exports = moduleExports as Record<string, unknown>;
    const { Client, Dispatcher } = exports as {
      Client?: { prototype: object };
      Dispatcher?: { prototype: object };
    };

    if (Client !== undefined) patchDispatch(Client.prototype);
    if (Dispatcher !== undefined) {
      const prototype = Dispatcher.prototype as Record<string, unknown>;
      for (const method of apiMethods) wrapMethod(prototype, method, wrapApi(method, true));
    }

    for (const method of apiMethods) wrapMethod(exports, method, wrapApi(method, false));
    wrapMethod(
      exports,
      "fetch",
      wrapFetch("undici.fetch") as unknown as (original: AnyFunction) => AnyFunction,
    );
    return undefined;
  },
};
