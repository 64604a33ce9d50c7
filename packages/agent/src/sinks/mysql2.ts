import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import path from "node:path";

import type { ModuleInstrumentation } from "../instrument/module-hooks";
import { wrapMethod } from "../instrument/wrap";
import { bindCallback } from "./call";
import { inspectSql } from "./sql";

/** A mysql2 command (Query, Execute, Prepare): an EventEmitter with an optional result callback. */
interface Command extends EventEmitter {
  onResult?: unknown;
}

type CreateQuery = (sql: unknown, values: unknown, callback: unknown, config: unknown) => Command;
type ConnectionMethod = (this: { config?: unknown }, ...args: unknown[]) => unknown;

interface Mysql2Exports {
  Connection?: { prototype: object };
  Pool?: { prototype: object };
  createQuery?: CreateQuery;
}

/** Returns the object on the prototype chain that owns `name`, so a method is wrapped where it is defined. */
function methodOwner(
  prototype: object | undefined,
  name: string,
): Record<string, unknown> | undefined {
  for (
    let current = prototype;
    current !== undefined && current !== null;
    current = Object.getPrototypeOf(current)
  ) {
    if (Object.hasOwn(current, name)) return current as Record<string, unknown>;
  }
  return undefined;
}

/** Returns the SQL text of a first argument: a string, an options object or a command built by a pool (`sql`). */
function sqlText(sql: unknown): unknown {
  if (typeof sql === "string") return sql;
  return typeof sql === "object" && sql !== null ? (sql as { sql?: unknown }).sql : undefined;
}

/**
 * Fails a blocked call the way a mysql2 3.25 command fails on an error packet (`Command#execute`):
 * `onResult(error)` when it has a callback, else an 'error' event, then 'end', which pools wait for to
 * release the connection. The command is never added to the connection, so nothing reaches the server.
 * An 'error' event with no listener is skipped, because Node would raise it as an uncaught exception
 * and a blocked request would end the process.
 */
function failCommand(command: Command, error: Error): Command {
  process.nextTick(() => {
    if (typeof command.onResult === "function") command.onResult(error);
    else if (command.listenerCount("error") > 0) command.emit("error", error);
    command.emit("end");
  });
  return command;
}

/**
 * Wraps `query`, `execute` or `prepare` of mysql2's base connection. A blocked call returns an inert
 * Query command that reports the error (mysql2 3.25 types declare `Query` as the return type of `query`
 * and `execute`). Callbacks are bound to the caller's request because mysql2 calls them from the
 * socket's async context, which belongs to the request that opened the connection.
 */
function wrapSqlMethod(sink: string, createQuery: CreateQuery) {
  return (original: ConnectionMethod): ConnectionMethod =>
    function (this: { config?: unknown }, ...args: unknown[]) {
      const [sql] = args;
      const blocked = inspectSql(sink, "mysql", sqlText(sql));

      if (sql instanceof EventEmitter) {
        // Pool#query and PoolNamespace#query build the command first and pass it here.
        const command = sql as Command;
        if (blocked !== undefined) return failCommand(command, blocked);
        command.onResult = bindCallback(command.onResult);
        return original.apply(this, args);
      }

      if (blocked !== undefined) {
        return failCommand(createQuery(sql, args[1], args[2], this.config), blocked);
      }
      return original.apply(this, args.map(bindCallback));
    };
}

/**
 * Binds `Pool#getConnection`'s callback to the caller's request. The pool queues it while every
 * connection is busy and calls it from whichever request releases one. Pool#query, Pool#execute,
 * PoolCluster and the promise pool all check out connections through this method.
 */
function wrapGetConnection(original: ConnectionMethod): ConnectionMethod {
  return function getConnection(this: object, ...args: unknown[]) {
    return original.apply(this, args.map(bindCallback));
  };
}

function patchDriver(driver: Mysql2Exports): void {
  const { createQuery } = driver;
  if (typeof createQuery !== "function") return;

  // Wrapped on the class that defines them (BaseConnection in mysql2 3.25), which Connection and
  // PoolConnection inherit from.
  const connection = methodOwner(driver.Connection?.prototype, "query");
  if (connection !== undefined) {
    wrapMethod(connection, "query", wrapSqlMethod("mysql2.query", createQuery));
    wrapMethod(connection, "execute", wrapSqlMethod("mysql2.execute", createQuery));
    wrapMethod(connection, "prepare", wrapSqlMethod("mysql2.prepare", createQuery));
  }

  const pool = methodOwner(driver.Pool?.prototype, "getConnection");
  if (pool !== undefined) wrapMethod(pool, "getConnection", wrapGetConnection);
}

/**
 * mysql2 3 runs every query through the callback methods of its base connection class: the promise
 * wrapper (`mysql2/promise`, `.promise()`), pools, pool clusters and sequelize's mysql dialect all call
 * `query`, `execute` or `prepare` there. `PreparedStatementInfo#execute` sends only a statement id.
 */
export const mysql2: ModuleInstrumentation = {
  name: "mysql2",
  majorVersions: [3],
  patch(moduleExports) {
    patchDriver(moduleExports as Mysql2Exports);
    return undefined;
  },
};

/**
 * `mysql2/promise` loads the same internal classes without the package's main module, which would
 * then never be patched. Loading the main module from the package's own directory returns the classes
 * that the promise wrapper calls.
 */
export const mysql2Promise: ModuleInstrumentation = {
  name: "mysql2/promise",
  majorVersions: [3],
  patch(_moduleExports, _version, baseDir) {
    const requireFromPackage = createRequire(path.join(baseDir, "package.json"));
    patchDriver(requireFromPackage(baseDir) as Mysql2Exports);
    return undefined;
  },
};
