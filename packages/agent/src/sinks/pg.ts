import type { ModuleInstrumentation } from "../instrument/module-hooks";
import { wrapMethod } from "../instrument/wrap";
import { bindCallback, failCallback } from "./call";
import { inspectSql } from "./sql";

/** pg 8's Submittable interface: pg.Query, pg-cursor and pg-query-stream objects passed to `query`. */
interface Submittable {
  submit(connection: unknown): unknown;
  handleError(error: Error, connection: unknown): unknown;
  callback?: unknown;
}

type QueryMethod = (
  this: { connection?: unknown },
  config: unknown,
  values?: unknown,
  callback?: unknown,
) => unknown;
type ConnectMethod = (this: unknown, callback?: unknown) => unknown;

function isSubmittable(config: unknown): config is Submittable {
  return (
    typeof config === "object" &&
    config !== null &&
    typeof (config as Submittable).submit === "function"
  );
}

/**
 * Returns the SQL text of any first argument that `Client#query` accepts: a string, a config object or
 * pg.Query (`text`), or a pg-query-stream, which keeps its text on the pg-cursor it wraps (`cursor.text`).
 * A config object with only `name` runs a statement prepared earlier, whose text was judged then.
 */
function queryText(config: unknown): unknown {
  if (typeof config === "string") return config;
  if (typeof config !== "object" || config === null) return undefined;

  const { text, cursor } = config as { text?: unknown; cursor?: { text?: unknown } };
  if (typeof text === "string") return text;
  return typeof cursor === "object" && cursor !== null ? cursor.text : undefined;
}

/** Returns the `callback` property of a plain config object (`{ text, callback }`), if any. */
function configCallback(config: unknown): unknown {
  if (typeof config !== "object" || config === null || isSubmittable(config)) return undefined;
  return (config as { callback?: unknown }).callback;
}

/**
 * Delivers a blocked query's error the way pg 8.23 reports a query that cannot be sent, as on a closed
 * client. A Submittable gets the callback passed beside it, then `handleError` on the next tick, so
 * pg.Query calls its callback or emits 'error' and pg-cursor fails its reads. Otherwise a callback gets
 * the error on the next tick, or the returned promise rejects.
 */
function deliverBlocked(
  client: { connection?: unknown },
  config: unknown,
  values: unknown,
  callback: unknown,
  error: Error,
): unknown {
  if (isSubmittable(config)) {
    if (config.callback === undefined || config.callback === null) {
      if (typeof values === "function") config.callback = values;
      else if (typeof callback === "function") config.callback = callback;
    }
    process.nextTick(() => config.handleError(error, client.connection));
    return config;
  }

  // pg 8 prefers the third argument, then a function passed as values, then the config's own callback.
  const queryCallback = [callback, values, configCallback(config)].find(
    (candidate) => typeof candidate === "function",
  );
  if (queryCallback !== undefined) {
    failCallback(queryCallback, error);
    return undefined;
  }
  return Promise.reject(error);
}

/**
 * Judges `Client#query`. Callbacks are bound to the caller's request because pg calls them from the
 * socket's async context, which belongs to the request that opened the pooled connection.
 */
function wrapQuery(original: QueryMethod): QueryMethod {
  return function query(
    this: { connection?: unknown },
    config: unknown,
    values?: unknown,
    callback?: unknown,
  ) {
    const blocked = inspectSql("pg.query", "postgresql", queryText(config));
    if (blocked !== undefined) return deliverBlocked(this, config, values, callback, blocked);

    // A config object's own callback is passed bound as the third argument, which pg 8 prefers to it.
    // An extra `undefined` argument is harmless because pg 8 distinguishes the forms by type, not by count.
    const ownCallback = typeof values === "function" ? undefined : configCallback(config);
    return original.call(this, config, bindCallback(values), bindCallback(callback ?? ownCallback));
  };
}

/**
 * Binds `Pool#connect`'s callback to the caller's request. pg-pool queues it while all clients are busy
 * and calls it from whichever request releases a client. `Pool#query` checks out through this method too.
 * The promise form needs no binding because promise reactions keep the context of the awaiting code.
 */
function wrapConnect(original: ConnectMethod): ConnectMethod {
  return function connect(this: unknown, callback?: unknown) {
    return original.call(this, bindCallback(callback));
  };
}

/**
 * pg 8 sends every query through `Client#query`, including `Pool#query` and knex's pg dialect.
 * NOTE: the native binding (`pg.native`, needing pg-native) has its own Client and is not patched.
 */
export const pg: ModuleInstrumentation = {
  name: "pg",
  majorVersions: [8],
  patch(moduleExports) {
    const { Client, Pool } = moduleExports as {
      Client?: { prototype: object };
      Pool?: { prototype: object };
    };

    if (Client !== undefined) {
      wrapMethod(Client.prototype as Record<string, unknown>, "query", wrapQuery);
    }

    // pg.Pool is a subclass that pg 8 builds around pg-pool; the methods live on pg-pool's class.
    if (Pool !== undefined) {
      const poolPrototype = Object.getPrototypeOf(Pool.prototype) as Record<string, unknown>;
      wrapMethod(poolPrototype, "connect", wrapConnect);
    }
    return undefined;
  },
};
