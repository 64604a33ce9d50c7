import { AsyncLocalStorage } from "node:async_hooks";

import type { RequestContext } from "./request-context";

const storageKey = Symbol.for("rampart.requestContextStorage");

type GlobalWithStorage = typeof globalThis & { [storageKey]?: AsyncLocalStorage<RequestContext> };

// One storage per process, even when two copies of the agent are loaded (CommonJS and ESM, or two
// versions in node_modules), so that a context created by one is visible to the other's sinks.
const globalObject = globalThis as GlobalWithStorage;
export const contextStorage: AsyncLocalStorage<RequestContext> = (globalObject[storageKey] ??=
  new AsyncLocalStorage<RequestContext>());

/** Returns the context of the request whose async work is running, or undefined outside a request. */
export function currentContext(): RequestContext | undefined {
  return contextStorage.getStore();
}
