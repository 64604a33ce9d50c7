import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import type { RunningApp, SecurityEvent } from "../helpers/app-process";
import { eventSchemaErrors } from "../helpers/event-schema";
import { send, startGateApp, waitForMatching } from "./gate-client";

const policy = {
  rateLimits: [
    { route: "/api/*", method: "GET", key: "header:x-api-key", limit: 3, windowSeconds: 60 },
    { route: "/", method: "GET", key: "ip", limit: 4, windowSeconds: 30, algorithm: "sliding" },
    { route: "/me", key: "user", limit: 2, windowSeconds: 60 },
  ],
  loginThrottling: {
    routes: [{ route: "/login", method: "POST", accountField: "username" }],
    failureStatuses: [401],
    perIp: { failures: 6, windowSeconds: 60, blockSeconds: 120 },
    perAccount: { failures: 3, windowSeconds: 60, blockSeconds: 90 },
  },
  attackWaves: {
    windowSeconds: 60,
    probeThreshold: 4,
    detectionThreshold: 3,
    cooldownSeconds: 60,
    block: true,
  },
};

/** Waits for a first matching event, then a little longer so that a duplicate would show too. */
async function settledMatches(
  app: RunningApp,
  matches: (event: SecurityEvent) => boolean,
): Promise<SecurityEvent[]> {
  await waitForMatching(app, matches);
  await new Promise((resolve) => setTimeout(resolve, 200));
  return app.events().filter(matches);
}

function login(app: RunningApp, username: string, password: string, localAddress: string) {
  return send(`${app.url}/login`, { method: "POST", body: { username, password }, localAddress });
}

describe("request gate rate limits and throttling", () => {
  let app: RunningApp;

  before(async () => {
    app = await startGateApp("gate-express.cjs", policy);
  });
  after(async () => {
    await app.stop();
  });

  it("limits per header key with 429 and Retry-After", async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 5; index++) {
      statuses.push(
        (await send(`${app.url}/api/items`, { headers: { "x-api-key": "key-a" } })).status,
      );
    }
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);

    const limited = await send(`${app.url}/api/items`, { headers: { "x-api-key": "key-a" } });
    const retryAfter = Number(limited.headers["retry-after"]);
    assert.ok(retryAfter >= 1, `Retry-After ${limited.headers["retry-after"]}`);
    assert.ok(retryAfter <= 60, `Retry-After ${limited.headers["retry-after"]}`);

    const otherKey = await send(`${app.url}/api/items`, { headers: { "x-api-key": "key-b" } });
    assert.equal(otherKey.status, 200, "another key has its own count");
  });

  it("reports an exceeded window once", async () => {
    const events = await settledMatches(app, (event) => event.attack_type === "rate_limited");
    assert.equal(events.length, 1);
    assert.deepEqual(eventSchemaErrors(events[0]), []);
    assert.equal(events[0]!.sink, "gate.rate_limit");
  });

  it("limits per IP with a sliding window", async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 6; index++) {
      statuses.push((await send(`${app.url}/`, { localAddress: "127.0.1.1" })).status);
    }
    assert.deepEqual(statuses.slice(0, 4), [200, 200, 200, 200]);
    assert.deepEqual(statuses.slice(4), [429, 429]);
    assert.equal((await send(`${app.url}/`, { localAddress: "127.0.1.2" })).status, 200);
  });

  it("limits per user set through setUser", async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 3; index++) {
      statuses.push((await send(`${app.url}/me`, { headers: { "x-user-id": "carol" } })).status);
    }
    assert.deepEqual(statuses, [200, 200, 429]);
  });

  it("throttles an account after failed logins", async () => {
    const source = "127.0.2.1";
    for (let attempt = 0; attempt < 3; attempt++) {
      assert.equal((await login(app, "Bob", `guess ${attempt}`, source)).status, 401);
    }

    // The right password no longer gets through while the account is throttled.
    const throttled = await login(app, "bob", "correct horse", "127.0.2.2");
    assert.equal(throttled.status, 429);
    assert.ok(
      Number(throttled.headers["retry-after"]) > 60,
      `Retry-After ${throttled.headers["retry-after"]}`,
    );
    assert.equal(
      throttled.headers["set-cookie"],
      undefined,
      "the app's session cookie must not leak",
    );

    const events = await settledMatches(app, (event) => event.attack_type === "login_throttled");
    assert.equal(events.length, 1);
    assert.deepEqual(eventSchemaErrors(events[0]), []);
    assert.equal(events[0]!.reason, "failed-logins-per-account");
    assert.equal(events[0]!.input.path, "body.username");
  });

  it("resets the account count on success", async () => {
    const source = "127.0.3.1";
    for (let round = 0; round < 2; round++) {
      assert.equal((await login(app, "dave", "wrong", source)).status, 401);
      assert.equal((await login(app, "dave", "wrong", source)).status, 401);
      assert.equal((await login(app, "dave", "correct horse", source)).status, 200);
    }
  });

  it("throttles an IP that tries many accounts", async () => {
    const source = "127.0.4.1";
    for (let index = 0; index < 6; index++) {
      assert.equal((await login(app, `user${index}`, "Summer2024!", source)).status, 401);
    }

    const next = await login(app, "user99", "Summer2024!", source);
    assert.equal(next.status, 429);
    assert.ok(Number(next.headers["retry-after"]) > 60);

    const elsewhere = await login(app, "user99", "Summer2024!", "127.0.4.2");
    assert.equal(elsewhere.status, 401, "another address is not throttled");
  });

  it("reports a probing client once and blocks it for the cool-down", async () => {
    const source = "127.0.5.1";
    const probes = [
      "/.env",
      "/.git/config",
      "/wp-admin",
      "/phpmyadmin/index.php",
      "/server-status",
      "/actuator/env",
    ];
    const statuses: number[] = [];
    for (const probe of probes)
      statuses.push((await send(`${app.url}${probe}`, { localAddress: source })).status);
    assert.deepEqual(statuses, [404, 404, 404, 403, 403, 403]);

    assert.equal(
      (await send(`${app.url}/`, { localAddress: source })).status,
      403,
      "blocked on every path during the cool-down",
    );
    assert.equal((await send(`${app.url}/`, { localAddress: "127.0.5.2" })).status, 200);

    const waves = await settledMatches(app, (event) => event.attack_type === "attack_wave");
    assert.equal(waves.length, 1);
    assert.deepEqual(eventSchemaErrors(waves[0]), []);
    assert.equal(waves[0]!.request.client_ip, source);
  });

  it("starts a wave after repeated detections", async () => {
    const source = "127.0.6.1";
    const statuses: number[] = [];
    for (let index = 0; index < 4; index++) {
      const name = encodeURIComponent(`../../../etc/passwd${index}`);
      statuses.push((await send(`${app.url}/file?name=${name}`, { localAddress: source })).status);
    }
    assert.deepEqual(statuses, [403, 403, 403, 403]);
    assert.equal((await send(`${app.url}/`, { localAddress: source })).status, 403);

    const waves = await settledMatches(
      app,
      (event) => event.attack_type === "attack_wave" && event.reason === "repeated-detections",
    );
    assert.equal(waves.length, 1);
  });
});
