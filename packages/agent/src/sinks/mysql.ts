import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import path from "node:path";

import type { ModuleInstrumentation } from "../instrument/module-hooks";
import { wrapMethod } from "../instrument/wrap";
import { bindCallback } from "./call";
import { inspectSql } from "./sql";

/** mysql 2's Query sequence. */
interface Query extends EventEmitter {
  _callback?: unknown;
  hasErrorHandler(): boolean;
  end(error?: Error): void;
}

type CreateQuery = (sql: unknown, values: unknown, callback: unknown) => Query;
type Method = (this: EventEmitter, ...args: unknown[]) => unknown;

interface ConnectionClass {
  prototype: Record<string, unknown>;
  createQuery?: CreateQuery;
}

/** Returns the SQL text of a first argument: a string, an options object or a Query built by a pool (`sql`). */
function sqlText(sql: unknown): unknown {
  if (typeof sql === "string") return sql;
  return typeof sql === "object" && sql !== null ? (sql as { sql?: unknown }).sql : undefined;
}

/**
 * Fails a blocked query the way mysql 2.18 fails one: `Sequence#end(error)` emits 'error', calls the
 * callback, then emits 'end', which Pool#query waits for to release the connection. The query is
 * never enqueued, so nothing reaches the server.
 * The 'error' listener replaces the driver's `Protocol#_delegateError`, which raises an error on
 * the connection when the query has no handler for it (no callback, no 'error' listener of the app).
 * It does so only when the connection has an 'error' listener. Without one, Node would raise the event
 * as an uncaught exception, and a blocked request would end the process.
 */
function failQuery(connection: EventEmitter, query: Query, error: Error): Query {
  query.on("error", (queryError: Error) => {
    if (!query.hasErrorHandler() && connection.listenerCount("error") > 0)
      connection.emit("error", queryError);
  });
  process.nextTick(() => query.end(error));
  return query;
}

/**
 * Judges `Connection#query`. Callbacks are bound to the caller's request because mysql calls them
 * from the socket's async context, which belongs to the request that opened the connection.
 */
function wrapQuery(createQuery: CreateQuery) {
  return (original: Method): Method =>
    function query(this: EventEmitter, ...args: unknown[]) {
      const [sql] = args;
      const blocked = inspectSql("mysql.query", "mysql", sqlText(sql));
      if (blocked !== undefined)
        return failQuery(this, createQuery(sql, args[1], args[2]), blocked);

      if (sql instanceof EventEmitter) {
        // Pool#query and PoolNamespace#query build the Query first (callback included) and pass it here.
        const pooled = sql as Query;
        pooled._callback = bindCallback(pooled._callback);
        return original.apply(this, args);
      }
      return original.apply(this, args.map(bindCallback));
    };
}

/**
 * Binds `Pool#getConnection`'s callback to the caller's request. The pool queues it while every
 * connection is busy and calls it from whichever request releases one. Pool#query and PoolCluster
 * check out connections through this method.
 */
function wrapGetConnection(original: Method): Method {
  return function getConnection(this: EventEmitter, ...args: unknown[]) {
    return original.apply(this, args.map(bindCallback));
  };
}

/**
 * mysql 2 runs every query through `Connection#query`, pools and pool clusters included. The package
 * exports factories only and loads its classes lazily, so the classes are loaded here from the
 * package's own directory. Node's module cache then gives the driver the same, patched, classes.
 */
export const mysql: ModuleInstrumentation = {
  name: "mysql",
  majorVersions: [2],
  patch(_moduleExports, _version, baseDir) {
    const requireFromPackage = createRequire(path.join(baseDir, "package.json"));
    const Connection = requireFromPackage("./lib/Connection.js") as ConnectionClass;
    const Pool = requireFromPackage("./lib/Pool.js") as { prototype: Record<string, unknown> };

    if (typeof Connection.createQuery === "function") {
      wrapMethod(Connection.prototype, "query", wrapQuery(Connection.createQuery));
    }
    wrapMethod(Pool.prototype, "getConnection", wrapGetConnection);
    return undefined;
  },
};
