import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import type { RunningApp } from "../helpers/app-process";
import { eventSchemaErrors } from "../helpers/event-schema";
import { ipv6UrlOf, send, startGateApp, waitForMatching } from "./gate-client";

const policy = {
  blocking: {
    ip: {
      deny: ["127.0.0.64/26", "127.0.0.9", "::1/128"],
      allow: ["127.0.0.100"],
    },
    users: { deny: ["mallory", "42"] },
    userAgents: { builtinScanners: true, deny: ["EvilBot/"] },
  },
};

const browsers = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
  "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
  "curl/8.5.0",
  "okhttp/4.12.0",
  "python-requests/2.32.3",
];

const scanners = [
  "sqlmap/1.8.5#stable (https://sqlmap.org)",
  "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000001)",
  "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
  "Fuzz Faster U Fool v2.1.0",
  "Mozilla/5.0 zgrab/0.x",
  "WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)",
  "gobuster/3.6",
  "EvilBot/1.0",
];

describe("request gate blocking lists (Express)", () => {
  let app: RunningApp;

  before(async () => {
    app = await startGateApp("gate-express.cjs", policy);
  });
  after(async () => {
    await app.stop();
  });

  it("passes an address on no list", async () => {
    const reply = await send(`${app.url}/`, { localAddress: "127.0.0.1" });
    assert.equal(reply.status, 200);
  });

  it("denies an address inside an IPv4 CIDR block", async () => {
    const reply = await send(`${app.url}/`, { localAddress: "127.0.0.70" });
    assert.equal(reply.status, 403);

    const eventId = (JSON.parse(reply.body) as { event_id: string }).event_id;
    const event = await app.waitForEvent(eventId);
    assert.ok(event, "no event for the denied address");
    assert.deepEqual(eventSchemaErrors(event), []);
    assert.equal(event.attack_type, "blocked_ip");
    assert.equal(event.sink, "gate.ip_deny");
    assert.equal(event.action, "blocked");
    assert.equal(event.request.client_ip, "127.0.0.70");
  });

  it("passes the addresses around the CIDR block", async () => {
    assert.equal((await send(`${app.url}/`, { localAddress: "127.0.0.63" })).status, 200);
    assert.equal((await send(`${app.url}/`, { localAddress: "127.0.0.128" })).status, 200);
  });

  it("denies a single listed address", async () => {
    assert.equal((await send(`${app.url}/`, { localAddress: "127.0.0.9" })).status, 403);
    assert.equal((await send(`${app.url}/`, { localAddress: "127.0.0.10" })).status, 200);
  });

  it("lets the allow list win over the deny list", async () => {
    const reply = await send(`${app.url}/`, { localAddress: "127.0.0.100" });
    assert.equal(reply.status, 200, "127.0.0.100 is in the denied /26 but allow-listed");
  });

  it("denies an IPv6 address", async () => {
    const reply = await send(`${ipv6UrlOf(app)}/`, { localAddress: "::1" });
    assert.equal(reply.status, 403);
  });

  it("blocks scanner user agents", async () => {
    for (const userAgent of scanners) {
      const reply = await send(`${app.url}/`, { headers: { "user-agent": userAgent } });
      assert.equal(reply.status, 403, `not blocked: ${userAgent}`);
    }
    const events = await waitForMatching(app, (event) => event.attack_type === "scanner");
    const scannerEvent = events[0];
    assert.ok(scannerEvent, "no scanner event");
    assert.deepEqual(eventSchemaErrors(scannerEvent), []);
    assert.equal(scannerEvent.input.path, "headers.user-agent");
  });

  it("passes browsers and common clients", async () => {
    for (const userAgent of browsers) {
      const reply = await send(`${app.url}/`, { headers: { "user-agent": userAgent } });
      assert.equal(reply.status, 200, `blocked: ${userAgent}`);
    }
  });

  it("denies a user set through setUser", async () => {
    const reply = await send(`${app.url}/me`, { headers: { "x-user-id": "mallory" } });
    assert.equal(reply.status, 403);
    assert.doesNotMatch(reply.body, /mallory/, "the app's own response must not reach the client");

    const eventId = (JSON.parse(reply.body) as { event_id: string }).event_id;
    const event = await app.waitForEvent(eventId);
    assert.ok(event, "no event for the denied user");
    assert.deepEqual(eventSchemaErrors(event), []);
    assert.equal(event.attack_type, "blocked_user");
    assert.equal(event.sink, "gate.user_deny");
  });

  it("passes a user on no list", async () => {
    const reply = await send(`${app.url}/me`, { headers: { "x-user-id": "alice" } });
    assert.equal(reply.status, 200);
    assert.match(reply.body, /alice/);
  });
});

describe("request gate user deny list (plain http, ESM)", () => {
  let app: RunningApp;

  before(async () => {
    app = await startGateApp("gate-http.mjs", policy);
  });
  after(async () => {
    await app.stop();
  });

  it("denies a listed numeric user id", async () => {
    const reply = await send(`${app.url}/me`, { headers: { "x-user-id": "42" } });
    assert.equal(reply.status, 403);
    assert.doesNotMatch(reply.body, /RampartBlockedError/);
  });

  it("passes another user", async () => {
    const reply = await send(`${app.url}/me`, { headers: { "x-user-id": "43" } });
    assert.equal(reply.status, 200);
    assert.match(reply.body, /"user":"43"/);
  });
});

describe("request gate user deny list (Fastify)", () => {
  let app: RunningApp;

  before(async () => {
    app = await startGateApp("gate-fastify.cjs", policy);
  });
  after(async () => {
    await app.stop();
  });

  it("denies a listed user", async () => {
    const reply = await send(`${app.url}/me`, { headers: { "x-user-id": "mallory" } });
    assert.equal(reply.status, 403);
  });

  it("passes another user", async () => {
    const reply = await send(`${app.url}/me`, { headers: { "x-user-id": "erin" } });
    assert.equal(reply.status, 200);
    assert.match(reply.body, /erin/);
  });
});

describe("request gate in monitor mode", () => {
  let app: RunningApp;

  before(async () => {
    app = await startGateApp("gate-express.cjs", policy, { RAMPART_MODE: "monitor" });
  });
  after(async () => {
    await app.stop();
  });

  it("reports a denied address without blocking", async () => {
    const reply = await send(`${app.url}/`, { localAddress: "127.0.0.9" });
    assert.equal(reply.status, 200);

    const events = await waitForMatching(app, (event) => event.attack_type === "blocked_ip");
    const event = events[0];
    assert.ok(event, "no event for the denied address");
    assert.equal(event.action, "monitored");
  });
});
