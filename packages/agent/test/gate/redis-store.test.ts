import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import net from "node:net";
import { after, before, describe, it } from "node:test";

import Redis from "ioredis";

import type { RunningApp } from "../helpers/app-process";
import { send, startGateApp } from "./gate-client";

/** The machine's Redis, shared with other tests: every test uses its own key prefix and deletes its keys. */
const sharedRedisUrl = "redis://127.0.0.1:6379";

function limitPolicy(url: string, keyPrefix: string, limit: number) {
  return {
    store: { type: "redis", url, keyPrefix, timeoutMs: 50 },
    rateLimits: [{ route: "/api/*", key: "header:x-api-key", limit, windowSeconds: 60 }],
  };
}

async function deleteKeys(client: Redis, keyPrefix: string): Promise<void> {
  const keys = await client.keys(`${keyPrefix}*`);
  if (keys.length > 0) await client.del(...keys);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts a private redis-server on a loopback port, without persistence. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  const deadline = Date.now() + 5_000;
  for (;;) {
    const reachable = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.end();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (reachable) return child;
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function stopRedis(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

async function statuses(url: string, apiKey: string, count: number): Promise<number[]> {
  const result: number[] = [];
  for (let index = 0; index < count; index++) {
    result.push((await send(`${url}/api/items`, { headers: { "x-api-key": apiKey } })).status);
  }
  return result;
}

describe("request gate with the shared Redis", () => {
  const keyPrefix = `rampart-test:${randomUUID()}:`;
  const client = new Redis(sharedRedisUrl, { lazyConnect: false });
  let first: RunningApp;
  let second: RunningApp;

  before(async () => {
    const policy = limitPolicy(sharedRedisUrl, keyPrefix, 5);
    [first, second] = await Promise.all([
      startGateApp("gate-express.cjs", policy),
      startGateApp("gate-express.cjs", policy),
    ]);
  });
  after(async () => {
    await Promise.all([first.stop(), second.stop()]);
    await deleteKeys(client, keyPrefix);
    client.disconnect();
  });

  it("shares one limit between two processes", async () => {
    const replies: number[] = [];
    for (let index = 0; index < 4; index++) {
      replies.push(...(await statuses(first.url, "shared", 1)));
      replies.push(...(await statuses(second.url, "shared", 1)));
    }
    assert.deepEqual(replies, [200, 200, 200, 200, 200, 429, 429, 429]);

    const keys = await client.keys(`${keyPrefix}*`);
    assert.equal(keys.length, 1, `keys: ${keys.join(", ")}`);
    assert.equal(await client.get(keys[0]!), "8");
    const ttl = await client.pttl(keys[0]!);
    assert.ok(ttl > 0, `PTTL ${ttl}`);
    assert.ok(ttl <= 60_000, `PTTL ${ttl}`);
  });
});

describe("request gate when its Redis stops", () => {
  const keyPrefix = `rampart-test:${randomUUID()}:`;
  let port: number;
  let redis: ChildProcess;
  let app: RunningApp;

  before(async () => {
    port = await freePort();
    redis = await startRedis(port);
    app = await startGateApp(
      "gate-express.cjs",
      limitPolicy(`redis://127.0.0.1:${port}`, keyPrefix, 3),
    );
  });
  after(async () => {
    await app.stop();
    await stopRedis(redis);
  });

  it("answers from memory when Redis is slow", async () => {
    const client = new Redis(`redis://127.0.0.1:${port}`);
    await statuses(app.url, "warm-up", 1);
    await client.call("CLIENT", "PAUSE", "1500", "ALL");

    const started = Date.now();
    const replies = await statuses(app.url, "slow", 3);
    const elapsed = Date.now() - started;
    client.disconnect();

    assert.deepEqual(replies, [200, 200, 200]);
    assert.ok(
      elapsed < 1_000,
      `three requests took ${elapsed} ms while Redis was paused for 1500 ms`,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_600));
  });

  it("counts in Redis, then in memory, then in Redis again", async () => {
    const client = new Redis(`redis://127.0.0.1:${port}`);
    assert.deepEqual(await statuses(app.url, "before", 2), [200, 200]);
    assert.equal(
      (await client.keys(`${keyPrefix}*before*`)).length,
      1,
      "counted in the private Redis",
    );
    client.disconnect();

    await stopRedis(redis);
    const started = Date.now();
    assert.deepEqual(
      await statuses(app.url, "during", 5),
      [200, 200, 200, 429, 429],
      "the memory fallback enforces the limit",
    );
    assert.ok(
      Date.now() - started < 2_000,
      `five requests took ${Date.now() - started} ms without Redis`,
    );
    const warnings = app.stderr().match(/unreachable; counting in memory/g) ?? [];
    assert.equal(warnings.length, 1, `stderr:\n${app.stderr()}`);

    redis = await startRedis(port);
    const back = new Redis(`redis://127.0.0.1:${port}`);
    const deadline = Date.now() + 10_000;
    let keys: string[] = [];
    while (keys.length === 0 && Date.now() < deadline) {
      await statuses(app.url, "after", 1);
      keys = await back.keys(`${keyPrefix}*after*`);
      if (keys.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    back.disconnect();
    assert.equal(keys.length, 1, "counting returned to Redis");
    assert.match(app.stderr(), /reachable again; counting in Redis/);
  });
});
