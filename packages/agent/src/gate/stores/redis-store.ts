import { reportInternalError } from "../../failsafe";
import { log } from "../../log";
import type { CounterHit, CounterStore, WindowCounts } from "./counter-store";
import { MemoryStore } from "./memory-store";

/** The part of an ioredis client that this store uses. */
interface RedisClient {
  status: string;
  eval(script: string, keyCount: number, ...args: (string | number)[]): Promise<unknown>;
  pttl(key: string): Promise<number>;
  set(key: string, value: string, mode: "PX", ttlMs: number): Promise<unknown>;
  del(key: string): Promise<number>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
  disconnect(): void;
}

type RedisConstructor = new (url: string, options: Record<string, unknown>) => RedisClient;

// INCR and PEXPIRE in one script, so that two instances can never both see a new key and the
// counter can never be left without an expiry. Returns the count and the remaining milliseconds.
const incrementScript = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) ttl = tonumber(ARGV[1]) end
return {count, ttl}`;

const windowScript = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
return {count, previous}`;

function loadIoredis(): RedisConstructor | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require("ioredis") as { default?: RedisConstructor } & RedisConstructor;
    return loaded.default ?? loaded;
  } catch (error) {
    reportInternalError("gate.redis.load", error);
    log.error(
      {},
      "the gate store is set to redis but the ioredis package is not installed; counting in memory",
    );
    return undefined;
  }
}

export interface RedisStoreOptions {
  readonly url: string;
  readonly keyPrefix: string;
  /** A command that takes longer gets its result from the memory fallback. */
  readonly timeoutMs: number;
  readonly maxEntries: number;
}

/**
 * Counters shared through Redis. While Redis is unreachable, or when a command exceeds the
 * timeout, the store uses its in-memory fallback, so each command delays a request by at most
 * `timeoutMs`. ioredis reconnects in the background and the store returns to Redis as
 * soon as the connection is ready again.
 * NOTE: counts made in memory during an outage are not copied to Redis afterwards.
 */
export class RedisStore implements CounterStore {
  readonly fallback: MemoryStore;
  private readonly client: RedisClient | undefined;
  private degraded = false;
  private everReady = false;

  constructor(private readonly options: RedisStoreOptions) {
    this.fallback = new MemoryStore(options.maxEntries);
    this.client = this.connect();
  }

  /** True while commands go to Redis; false while the store counts in memory. */
  get usingRedis(): boolean {
    return this.client?.status === "ready";
  }

  increment(key: string, ttlMs: number): CounterHit | Promise<CounterHit> {
    return this.run(
      (client) => client.eval(incrementScript, 1, this.prefixed(key), ttlMs),
      (reply) => {
        const [count, ttl] = reply as [number, number];
        return { count: Number(count), ttlMs: Number(ttl) };
      },
      () => this.fallback.increment(key, ttlMs),
    );
  }

  incrementWindow(
    currentKey: string,
    previousKey: string,
    ttlMs: number,
  ): WindowCounts | Promise<WindowCounts> {
    return this.run(
      (client) =>
        client.eval(windowScript, 2, this.prefixed(currentKey), this.prefixed(previousKey), ttlMs),
      (reply) => {
        const [current, previous] = reply as [number, number];
        return { current: Number(current), previous: Number(previous) };
      },
      () => this.fallback.incrementWindow(currentKey, previousKey, ttlMs),
    );
  }

  mark(key: string, ttlMs: number): void {
    this.fallback.mark(key, ttlMs);
    void this.run(
      (client) => client.set(this.prefixed(key), "1", "PX", ttlMs),
      () => undefined,
      () => undefined,
    );
  }

  markedFor(key: string): number | Promise<number> {
    return this.run(
      (client) => client.pttl(this.prefixed(key)),
      (reply) => Math.max(Number(reply), this.fallback.markedFor(key), 0),
      () => this.fallback.markedFor(key),
    );
  }

  delete(key: string): void {
    this.fallback.delete(key);
    void this.run(
      (client) => client.del(this.prefixed(key)),
      () => undefined,
      () => undefined,
    );
  }

  close(): void {
    this.client?.disconnect();
    this.fallback.close();
  }

  private prefixed(key: string): string {
    return this.options.keyPrefix + key;
  }

  private connect(): RedisClient | undefined {
    const Redis = loadIoredis();
    if (Redis === undefined) return undefined;

    const client = new Redis(this.options.url, {
      // Fail commands at once while disconnected instead of queueing them behind the request.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      retryStrategy: (attempt: number) => Math.min(attempt * 100, 2000),
      lazyConnect: false,
    });
    client.on("error", (error) => this.degrade(error));
    client.on("ready", () => this.recover());
    return client;
  }

  private degrade(error: unknown): void {
    reportInternalError("gate.redis", error);
    if (this.degraded) return;
    this.degraded = true;
    log.warn(
      { url: redactUrl(this.options.url) },
      "Redis for the gate store is unreachable; counting in memory until it is back",
    );
  }

  private recover(): void {
    this.everReady = true;
    if (!this.degraded) return;
    this.degraded = false;
    log.info(
      { url: redactUrl(this.options.url) },
      "Redis for the gate store is reachable again; counting in Redis",
    );
  }

  /** Runs a command with the timeout, using `fallback` when Redis is not ready, fails or is slow. */
  private run<Reply, Result>(
    command: (client: RedisClient) => Promise<Reply>,
    convert: (reply: Reply) => Result,
    fallback: () => Result,
  ): Result | Promise<Result> {
    const client = this.client;
    if (client === undefined) return fallback();
    if (client.status !== "ready") {
      // Until the first connection is ready (or fails) a command waits for it, within the same
      // timeout, so that instances share counts from their first request.
      if (!this.everReady && !this.degraded)
        return this.runWhenReady(client, command, convert, fallback);
      this.degrade(new Error(`Redis connection is ${client.status}`));
      return fallback();
    }

    return new Promise<Result>((resolve) => {
      let settled = false;
      const finish = (produce: () => Result) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(produce());
      };
      const timer = setTimeout(() => {
        reportInternalError(
          "gate.redis.timeout",
          new Error(`Redis command exceeded ${this.options.timeoutMs} ms`),
        );
        finish(fallback);
      }, this.options.timeoutMs);

      command(client).then(
        (reply) => finish(() => convert(reply)),
        (error: unknown) => {
          this.degrade(error);
          finish(fallback);
        },
      );
    });
  }

  private runWhenReady<Reply, Result>(
    client: RedisClient,
    command: (client: RedisClient) => Promise<Reply>,
    convert: (reply: Reply) => Result,
    fallback: () => Result,
  ): Promise<Result> {
    return new Promise<Result>((resolve) => {
      const onReady = () => {
        clearTimeout(timer);
        resolve(this.run(command, convert, fallback));
      };
      const timer = setTimeout(() => {
        client.off("ready", onReady);
        resolve(fallback());
      }, this.options.timeoutMs);
      client.once("ready", onReady);
    });
  }
}

/** Drops the password from a Redis URL before it is logged. */
function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}
