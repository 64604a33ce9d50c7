import { Readable } from "node:stream";

import { failOpen } from "../failsafe";
import type { ModuleInstrumentation } from "../instrument/module-hooks";
import { wrapMethod } from "../instrument/wrap";
import { bindCallback, callbackIndex, failCallback } from "./call";
import { inspectSql } from "./sql";

/** The API of an entry point: `mariadb` returns promises, `mariadb/callback` takes Node-style callbacks. */
type ApiStyle = "promise" | "callback";

type Method = (this: unknown, ...args: unknown[]) => unknown;
type Callback = (this: unknown, ...args: unknown[]) => unknown;
type Members = Record<string, unknown>;

/** Connection methods that send SQL text. Pools have the same ones except `prepare`. */
const connectionSqlMethods = ["query", "execute", "batch", "prepare"] as const;
const poolSqlMethods = ["query", "execute", "batch"] as const;

/** Returns the SQL text of a first argument: a string or an options object (`sql`). */
function sqlText(sql: unknown): unknown {
  if (typeof sql === "string") return sql;
  return typeof sql === "object" && sql !== null ? (sql as { sql?: unknown }).sql : undefined;
}

function isObject(value: unknown): value is Members {
  return (typeof value === "object" && value !== null) || typeof value === "function";
}

/** A promise method returns a rejected promise for a blocked query. */
function rejectWhenBlocked(sink: string) {
  return (original: Method): Method =>
    function (this: unknown, ...args: unknown[]) {
      const blocked = inspectSql(sink, "mysql", sqlText(args[0]));
      if (blocked !== undefined) return Promise.reject(blocked);
      return original.apply(this, args);
    };
}

/**
 * A callback method calls its callback with the error on the next tick. mariadb 3 declares the
 * callback mandatory and, without one, drops a failed query's error silently. A blocked call without
 * a callback does the same. Callbacks are bound to the caller's request because the driver calls them
 * from the socket's async context, which belongs to the request that opened the connection.
 */
function callBackWhenBlocked(sink: string) {
  return (original: Method): Method =>
    function (this: unknown, ...args: unknown[]) {
      const blocked = inspectSql(sink, "mysql", sqlText(args[0]));
      if (blocked === undefined) return original.apply(this, args.map(bindCallback));

      const index = callbackIndex(args);
      if (index !== -1) failCallback(args[index], blocked);
      return undefined;
    };
}

/**
 * `queryStream` returns a Readable that reports errors with 'error'. The stream is destroyed without
 * the error when nothing listens for it, because Node would raise an unhandled 'error' event as an
 * uncaught exception and a blocked request would end the process.
 */
function failStreamWhenBlocked(original: Method): Method {
  return function queryStream(this: unknown, ...args: unknown[]) {
    const blocked = inspectSql("mariadb.queryStream", "mysql", sqlText(args[0]));
    if (blocked === undefined) return original.apply(this, args);

    const stream = new Readable({ objectMode: true, read() {} });
    process.nextTick(() => stream.destroy(stream.listenerCount("error") > 0 ? blocked : undefined));
    return stream;
  };
}

function sqlMethodWrapper(style: ApiStyle, sink: string) {
  return style === "promise" ? rejectWhenBlocked(sink) : callBackWhenBlocked(sink);
}

/** Wraps the methods of a connection's class (ConnectionPromise or ConnectionCallback) once. */
function patchConnectionClass(connection: unknown, style: ApiStyle): void {
  failOpen("patch.mariadb", undefined, () => {
    const prototype: unknown = isObject(connection) ? Object.getPrototypeOf(connection) : undefined;
    if (!isObject(prototype)) return;

    for (const name of connectionSqlMethods)
      wrapMethod(prototype, name, sqlMethodWrapper(style, `mariadb.${name}`));
    wrapMethod(prototype, "queryStream", failStreamWhenBlocked);
  });
}

/** Patches the connection class once the promise of a connection resolves; the promise is passed on. */
function patchWhenResolved(result: unknown, style: ApiStyle): unknown {
  if (!(result instanceof Promise)) return result;
  return result.then((connection: unknown) => {
    patchConnectionClass(connection, style);
    return connection;
  });
}

/** `PoolPromise#getConnection` returns a promise of a connection, whose class is patched on arrival. */
function wrapPromiseGetConnection(original: Method): Method {
  return function getConnection(this: unknown, ...args: unknown[]) {
    return patchWhenResolved(original.apply(this, args), "promise");
  };
}

/**
 * `PoolCallback#getConnection(callback)`: the pool queues the callback while every connection is busy
 * and calls it from whichever request releases one, so it is bound to the caller's request.
 */
function wrapCallbackGetConnection(original: Method): Method {
  return function getConnection(this: unknown, ...args: unknown[]) {
    const index = callbackIndex(args);
    if (index !== -1) {
      const callback = args[index] as Callback;
      args[index] = bindCallback(function (this: unknown, error: unknown, connection: unknown) {
        if (connection !== undefined) patchConnectionClass(connection, "callback");
        return callback.call(this, error, connection);
      });
    }
    return original.apply(this, args);
  };
}

/** Wraps the methods of a pool's class (PoolPromise or PoolCallback) once. */
function patchPoolClass(pool: unknown, style: ApiStyle): void {
  failOpen("patch.mariadb", undefined, () => {
    const prototype: unknown = isObject(pool) ? Object.getPrototypeOf(pool) : undefined;
    if (!isObject(prototype)) return;

    for (const name of poolSqlMethods)
      wrapMethod(prototype, name, sqlMethodWrapper(style, `mariadb.${name}`));
    const getConnection =
      style === "promise" ? wrapPromiseGetConnection : wrapCallbackGetConnection;
    wrapMethod(prototype, "getConnection", getConnection);
  });
}

/** Wraps `createConnection` and `createPool` so that the class of each object they return gets patched. */
function wrapFactories(target: Members, style: ApiStyle): void {
  wrapMethod(
    target,
    "createConnection",
    (original: Method): Method =>
      function createConnection(this: unknown, ...args: unknown[]) {
        const result = original.apply(this, args);
        if (style === "promise") return patchWhenResolved(result, style);

        patchConnectionClass(result, style);
        return result;
      },
  );

  wrapMethod(
    target,
    "createPool",
    (original: Method): Method =>
      function createPool(this: unknown, ...args: unknown[]) {
        const pool = original.apply(this, args);
        patchPoolClass(pool, style);
        return pool;
      },
  );
}

/** Copies an exports object's own properties, getters included, onto a new object whose members can be replaced. */
function copyExports(moduleExports: Members): Members {
  const copy: Members = {};
  for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(moduleExports))) {
    Object.defineProperty(copy, key, { ...descriptor, configurable: true });
  }
  return copy;
}

/**
 * mariadb 3 does not export its connection and pool classes, so they are patched through the first
 * object of each that `createConnection`, `createPool` or `getConnection` returns, before the app can
 * call it. The CommonJS builds (dist/*.cjs, bundled by esbuild) define their exports as
 * non-configurable getters, so a copy with wrapped factories replaces the exports object. The ES
 * module build's default export object is patched in place.
 * NOTE: pool clusters (`createPoolCluster`) are not patched.
 */
function patchExports(moduleExports: unknown, style: ApiStyle): unknown {
  if (!isObject(moduleExports)) return undefined;

  const descriptor = Object.getOwnPropertyDescriptor(moduleExports, "createPool");
  const target = descriptor?.configurable === false ? copyExports(moduleExports) : moduleExports;
  wrapFactories(target, style);

  // The CommonJS builds also carry the ES module's default export object as `default`.
  const defaultExport = target.default;
  if (isObject(defaultExport) && defaultExport !== target) wrapFactories(defaultExport, style);

  return target === moduleExports ? undefined : target;
}

/** The promise API, `require("mariadb")` or `import ... from "mariadb"`. */
export const mariadb: ModuleInstrumentation = {
  name: "mariadb",
  majorVersions: [3],
  patch: (moduleExports) => patchExports(moduleExports, "promise"),
};

/** The callback API, `mariadb/callback`, a separate build with classes of its own. */
export const mariadbCallback: ModuleInstrumentation = {
  name: "mariadb/callback",
  majorVersions: [3],
  patch: (moduleExports) => patchExports(moduleExports, "callback"),
};
