import type { RequestContext } from "../context/request-context";
import { contextStorage, currentContext } from "../context/storage";
import { failOpen } from "../failsafe";
import type { ModuleInstrumentation } from "../instrument/module-hooks";
import { wrapFunction, wrapMethod } from "../instrument/wrap";
import { inspectSql } from "./sql";

const requestContextKey = Symbol("rampart.postgres.requestContext");
const textKey = Symbol("rampart.postgres.text");

/** The fields of postgres 3's Query (a Promise subclass) that this sink reads or adds. */
interface PostgresQuery {
  readonly tagged?: boolean;
  readonly executed?: boolean;
  [requestContextKey]?: RequestContext;
  [textKey]?: unknown;
}

type Handle = (this: PostgresQuery) => unknown;
type Factory = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Records the request that runs the query. postgres 3 calls `Query#handle` from `then`, `execute`,
 * `cursor` and `forEach`, and only the first call, made in the caller's async context, queues the query.
 * The text is built later, when a connection is free, so a queued query is built from the socket
 * callbacks of the request that opened the connection.
 */
function wrapHandle(original: Handle): Handle {
  return function handle(this: PostgresQuery) {
    if (this.executed !== true) this[requestContextKey] = currentContext();
    return original.call(this);
  };
}

function judgeText(query: PostgresQuery, text: unknown) {
  const context = query[requestContextKey];
  if (context === undefined) return undefined;

  // `sql.unsafe(text)` and `sql.file(path)` build untagged queries. Tagged templates, including those of
  // `sql.begin` and `sql.reserve`, are tagged, and their text contains any nested `sql.unsafe` fragment.
  const sink = query.tagged === true ? "postgres.sql" : "postgres.unsafe";
  if (currentContext() === context) return inspectSql(sink, "postgresql", text);
  return contextStorage.run(context, () => inspectSql(sink, "postgresql", text));
}

/**
 * Turns `Query#string` into an accessor. postgres 3.4 assigns the final SQL text, fragments included, to
 * `query.string` in the connection's `build(query)`, inside a try block whose catch rejects the query's
 * promise (its path for errors such as undefined values). A blocked query throws there, so its promise
 * rejects and nothing of it is written to the socket. The ESM (src/) and CommonJS (cjs/src/) copies each
 * have their own Query class, and each is patched from an instance made by its own factory.
 */
function installTextHook(prototype: object): void {
  if (Object.hasOwn(prototype, "string")) return;

  Object.defineProperty(prototype, "string", {
    configurable: true,
    enumerable: false,
    get(this: PostgresQuery) {
      return this[textKey];
    },
    set(this: PostgresQuery, text: unknown) {
      this[textKey] = text;
      const blocked = judgeText(this, text);
      if (blocked !== undefined) throw blocked;
    },
  });
}

/**
 * Patches the Query class behind an `sql` instance. postgres 3 does not export the class, so the sink
 * reads the prototype of a query made by `sql.unsafe("")`. That query is never sent, because postgres
 * sends a query only once it is awaited or executed.
 */
function patchQueryClass(sql: unknown): void {
  const unsafe = (sql as { unsafe?: unknown } | undefined)?.unsafe;
  if (typeof unsafe !== "function") return;

  const prototype = Object.getPrototypeOf(unsafe("")) as Record<string, unknown>;
  wrapMethod(prototype, "handle", wrapHandle);
  installTextHook(prototype);
}

function wrapFactory(original: Factory): Factory {
  return function postgres(this: unknown, ...args: unknown[]) {
    const sql = original.apply(this, args);
    failOpen("patch.postgres.Query", undefined, () => patchQueryClass(sql));
    return sql;
  };
}

/**
 * postgres (porsager) 3 exports a factory that returns the `sql` tag. Tagged templates, `sql.unsafe`,
 * `sql.file`, and the `sql` of `sql.begin` and `sql.reserve` all create the same Query class, which is
 * patched when the factory first runs.
 */
export const postgres: ModuleInstrumentation = {
  name: "postgres",
  majorVersions: [3],
  patch(moduleExports) {
    if (typeof moduleExports !== "function") return undefined;
    return wrapFunction(moduleExports as Factory, wrapFactory);
  },
};
