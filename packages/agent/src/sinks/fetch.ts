import { currentContext } from "../context/storage";
import { targetFromUrl } from "../detectors/ssrf";
import { failOpen } from "../failsafe";
import { isInspecting } from "../guard/guard";
import { builtinRequired, type RuntimeInstrumentation } from "../instrument/runtime-hooks";
import { wrapMethod } from "../instrument/wrap";
import { rememberBlockedContext } from "../response/block-response";
import { createOutgoingRequest, inspectBeforeSend, runOutgoing } from "./ssrf-outgoing";
import { patchDispatch, targetPort } from "./undici-dispatch";

type Fetch = (this: unknown, input: unknown, init?: unknown) => Promise<unknown>;

/** Returns the URL text of fetch's first argument: a string, a URL, or a Request. */
export function fetchInputUrl(input: unknown): string | undefined {
  if (typeof input === "string") return input;
  if (input instanceof URL) return input.href;
  if (typeof input === "object" && input !== null) {
    const { url } = input as { url?: unknown };
    if (typeof url === "string") return url;
  }
  return undefined;
}

const globalDispatcherKey = Symbol.for("undici.globalDispatcher.1");

/**
 * Wraps `dispatch` of the dispatcher that fetch uses by default, so that a redirect hop over a
 * pooled connection is judged too. Node creates that dispatcher during the first fetch, so the
 * patch applies from the second call on. The first call's sockets are new and judged at connect.
 */
function patchGlobalDispatcher(): void {
  const dispatcher = (globalThis as Record<symbol, unknown>)[globalDispatcherKey];
  if (typeof dispatcher === "object" && dispatcher !== null) patchDispatch(dispatcher);
}

/**
 * Wraps a fetch function. A request judged before sending rejects with fetch's own network error,
 * `TypeError('fetch failed')` with the block as `cause`. Other requests run with their outgoing
 * request in the outgoing scope (`runOutgoing`), so that the sockets undici opens for them and for each redirect
 * hop are judged at connect time.
 */
export function wrapFetch(sink: string) {
  return (original: Fetch): Fetch =>
    function fetch(this: unknown, input: unknown, init?: unknown) {
      // fetch connects through node:net, whose patch judges the connected address; an app that
      // loaded no HTTP module has not installed it yet.
      builtinRequired("net");
      if (!isInspecting("ssrf")) return original.call(this, input, init);

      failOpen("patch.fetch-dispatcher", undefined, patchGlobalDispatcher);
      const prepared = failOpen(`inspect.${sink}`, undefined, () => {
        const url = fetchInputUrl(input);
        const target = url === undefined ? undefined : targetFromUrl(url);
        if (target === undefined) return undefined;

        const outgoing = createOutgoingRequest(sink, target);
        return {
          outgoing,
          blocked: inspectBeforeSend(outgoing, target.hostname, targetPort(target)),
        };
      });
      if (prepared === undefined) return original.call(this, input, init);

      if (prepared.blocked !== undefined) {
        const failure = new TypeError("fetch failed", { cause: prepared.blocked });
        // Lets the agent still answer 403 when the app leaves the rejection unhandled.
        const context = currentContext();
        if (context !== undefined) rememberBlockedContext(failure, context);
        return Promise.reject(failure);
      }
      return runOutgoing(prepared.outgoing, () => original.call(this, input, init));
    };
}

/** The global `fetch` of Node.js 18 and later, built on Node's bundled copy of undici. */
export const globalFetch: RuntimeInstrumentation = {
  name: "globalThis.fetch",
  install() {
    wrapMethod(
      globalThis as unknown as Record<string, unknown>,
      "fetch",
      wrapFetch("globalThis.fetch"),
    );
  },
};
