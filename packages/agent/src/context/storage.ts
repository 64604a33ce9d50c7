import { AsyncLocalStorage } from "node:async_hooks";

import type { RequestContext } from "./request-context";

/**
 * The store of an outgoing HTTP request's async work: the sockets that a client opens after a few
 * promise hops find the request here. It keeps the incoming request's context beside it, so one
 * storage serves both. On Node.js 20 every enabled AsyncLocalStorage costs each async resource a
 * property copy; a second storage, enabled by the first `fetch`, slowed every later request.
 */
export class OutgoingScope<Outgoing> {
  constructor(
    readonly context: RequestContext | undefined,
    readonly outgoing: Outgoing,
  ) {}
}

type Store = RequestContext | OutgoingScope<unknown>;

// The key names the store's shape: a copy of the agent that stores something else uses another key.
const storageKey = Symbol.for("rampart.asyncStore.v2");

type GlobalWithStorage = typeof globalThis & { [storageKey]?: AsyncLocalStorage<Store> };

// One storage per process, even when two copies of the agent are loaded (CommonJS and ESM, or two
// versions in node_modules), so that a context created by one is visible to the other's sinks.
const globalObject = globalThis as GlobalWithStorage;
export const contextStorage: AsyncLocalStorage<Store> = (globalObject[storageKey] ??=
  new AsyncLocalStorage<Store>());

/** Returns the context of the request whose async work is running, or undefined outside a request. */
export function currentContext(): RequestContext | undefined {
  const store = contextStorage.getStore();
  return store instanceof OutgoingScope ? store.context : store;
}

/** Returns the outgoing request whose async work is running, as `runWithOutgoing` stored it. */
export function currentOutgoing<Outgoing>(): Outgoing | undefined {
  const store = contextStorage.getStore();
  return store instanceof OutgoingScope ? (store.outgoing as Outgoing) : undefined;
}

/** Runs `work` with `outgoing` as the current outgoing request, in the same request context. */
export function runWithOutgoing<Outgoing, Result>(outgoing: Outgoing, work: () => Result): Result {
  return contextStorage.run(new OutgoingScope(currentContext(), outgoing), work);
}
