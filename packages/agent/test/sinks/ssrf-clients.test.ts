import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp, type SecurityEvent } from "../helpers/app-process";
import { eventSchemaErrors } from "../helpers/event-schema";
import { HttpClient, withQuery } from "../helpers/http-client";
import { startConnectionCounter, startSsrfTarget, type SsrfTarget } from "../helpers/ssrf-target";

/** Client name in ssrf-clients.cjs, the sink its events name, and whether it follows redirects. */
interface ClientCase {
  readonly name: string;
  readonly sink: string;
  readonly followsRedirects: boolean;
}

const clientCases: readonly ClientCase[] = [
  { name: "http.get-string", sink: "http.get", followsRedirects: false },
  { name: "http.request-url-object", sink: "http.request", followsRedirects: false },
  { name: "http.request-options", sink: "http.request", followsRedirects: false },
  { name: "http.request-url-and-options", sink: "http.request", followsRedirects: false },
  { name: "fetch", sink: "globalThis.fetch", followsRedirects: true },
  { name: "undici.request", sink: "undici.request", followsRedirects: false },
  { name: "undici.request-redirects", sink: "undici.request", followsRedirects: true },
  { name: "undici.stream", sink: "undici.stream", followsRedirects: false },
  { name: "undici.fetch", sink: "undici.fetch", followsRedirects: true },
  { name: "undici.Client", sink: "undici.Client.request", followsRedirects: false },
  { name: "undici.Pool", sink: "undici.Pool.request", followsRedirects: false },
  { name: "undici.Agent", sink: "undici.request", followsRedirects: false },
  { name: "axios", sink: "http.request", followsRedirects: true },
  { name: "got", sink: "http.request", followsRedirects: true },
  { name: "node-fetch", sink: "http.request", followsRedirects: true },
];

const allowedHost = "allowed.test";

function assertValidEvent(event: SecurityEvent): void {
  assert.deepEqual(eventSchemaErrors(event), []);
  assert.equal(event.attack_type, "ssrf");
}

function assertNoTripwire(app: RunningApp): void {
  assert.doesNotMatch(app.stderr(), /tripwire: refused/);
}

async function eventFor(app: RunningApp, body: string): Promise<SecurityEvent> {
  const eventId = /[0-9a-f]{8}-[0-9a-f-]{27}/.exec(body)?.[0];
  assert.ok(eventId, `no event id in the 403 body: ${body}`);
  const event = await app.waitForEvent(eventId);
  assert.ok(event, `event ${eventId} was not written`);
  return event;
}

function startSsrfApp(
  script: string,
  mode: "block" | "monitor",
  target: SsrfTarget,
): Promise<RunningApp> {
  return startApp({
    script,
    loader: "none",
    mode,
    env: { TARGET_ORIGIN: target.origin, RAMPART_SSRF_ALLOW_HOSTS: allowedHost },
  });
}

describe("SSRF through HTTP clients, CommonJS, block mode", () => {
  let target: SsrfTarget;
  let app: RunningApp;
  let client: HttpClient;

  before(async () => {
    target = await startSsrfTarget();
    app = await startSsrfApp("ssrf-app.cjs", "block", target);
    client = new HttpClient(app.url);
  });

  after(async () => {
    client.close();
    await app.stop();
    await target.close();
  });

  for (const { name, sink, followsRedirects } of clientCases) {
    test(`${name}: user-chosen loopback URL blocked`, async () => {
      const hit = `/hit/${randomUUID()}`;
      const response = await client.get(
        withQuery("/fetch", [
          ["client", name],
          ["url", `${target.origin}${hit}`],
        ]),
      );

      assert.equal(response.status, 403, response.body);
      const event = await eventFor(app, response.body);
      assertValidEvent(event);
      assert.equal(event.sink, sink);
      assert.equal(event.action, "blocked");
      assert.equal(event.input.path, "query.url");
      assert.equal(event.reason, "internal-address-loopback");
      assert.ok(!target.paths.includes(hit), `the target received ${hit}`);
    });

    test(`${name}: name resolving to loopback blocked`, async () => {
      const hit = `/hit/${randomUUID()}`;
      const url = `http://internal-${randomUUID().slice(0, 8)}.test:${target.port}${hit}`;
      const response = await client.get(
        withQuery("/fetch", [
          ["client", name],
          ["url", url],
        ]),
      );

      assert.equal(response.status, 403, response.body);
      const event = await eventFor(app, response.body);
      assertValidEvent(event);
      assert.equal(event.sink, sink);
      assert.match(event.operation, /\(127\.0\.0\.1\)$/);
      assert.ok(!target.paths.includes(hit));
    });

    test(`${name}: fixed host with user path passes`, async () => {
      const id = randomUUID();
      const response = await client.get(
        withQuery("/fixed", [
          ["client", name],
          ["id", id],
        ]),
      );

      assert.equal(response.status, 200, response.body);
      assert.equal(JSON.parse(response.body).body, "target-ok");
      assert.ok(target.paths.includes(`/users/${id}`));
    });

    test(`${name}: allow-listed host passes`, async () => {
      const hit = `/hit/${randomUUID()}`;
      const url = `http://${allowedHost}:${target.port}${hit}`;
      const response = await client.get(
        withQuery("/fetch", [
          ["client", name],
          ["url", url],
        ]),
      );

      assert.equal(response.status, 200, response.body);
      assert.ok(target.paths.includes(hit));
    });

    test(`${name}: name resolving to private address blocked`, async () => {
      const url = `http://private.test:${target.port}/hit/${randomUUID()}`;
      const response = await client.get(
        withQuery("/fetch", [
          ["client", name],
          ["url", url],
        ]),
      );

      assert.equal(response.status, 403, response.body);
      const event = await eventFor(app, response.body);
      assertValidEvent(event);
      assert.equal(event.reason, "internal-address-private");
      assert.match(event.operation, /\(10\.0\.0\.7\)$/);
      assertNoTripwire(app);
    });

    test(`${name}: fixed metadata host blocked without input`, async () => {
      const response = await client.get(withQuery("/metadata", [["client", name]]));

      assert.equal(response.status, 403, response.body);
      const event = await eventFor(app, response.body);
      assert.deepEqual(eventSchemaErrors(event), []);
      assert.equal(event.reason, "cloud-metadata");
      assert.equal(event.input, null);
      assertNoTripwire(app);
    });

    test(`${name}: DNS rebinding blocked at connect`, async () => {
      const hit = `/hit/${randomUUID()}`;
      const url = `http://rebind-${randomUUID().slice(0, 8)}.test:${target.port}${hit}`;
      const response = await client.get(
        withQuery("/validated", [
          ["client", name],
          ["url", url],
        ]),
      );

      // The app's own check saw a public answer; the agent judged the loopback answer it connects to.
      assert.equal(response.status, 403, response.body);
      assert.ok(!target.paths.includes(hit));
    });

    if (followsRedirects) {
      test(`${name}: redirect from allowed host to internal blocked`, async () => {
        const hit = `/hit/${randomUUID()}`;
        const redirect = withQuery("/redirect", [["to", `${target.origin}${hit}`]]);
        const url = `http://${allowedHost}:${target.port}${redirect}`;
        const response = await client.get(
          withQuery("/fetch", [
            ["client", name],
            ["url", url],
          ]),
        );

        assert.equal(response.status, 403, response.body);
        const event = await eventFor(app, response.body);
        assertValidEvent(event);
        assert.equal(event.reason, "redirect-to-internal");
        assert.equal(event.input.path, "query.url");
        assert.ok(
          target.paths.includes(redirect),
          "the allowed first hop did not reach the target",
        );
        assert.ok(!target.paths.includes(hit), `the redirect target ${hit} was reached`);
      });

      test(`${name}: redirect to name resolving internal blocked`, async () => {
        const hit = `/hit/${randomUUID()}`;
        const location = `http://internal-${randomUUID().slice(0, 8)}.test:${target.port}${hit}`;
        const redirect = withQuery("/redirect", [["to", location]]);
        const url = `http://${allowedHost}:${target.port}${redirect}`;
        const response = await client.get(
          withQuery("/fetch", [
            ["client", name],
            ["url", url],
          ]),
        );

        assert.equal(response.status, 403, response.body);
        const event = await eventFor(app, response.body);
        assert.equal(event.reason, "redirect-to-internal");
        assert.ok(target.paths.includes(redirect));
        assert.ok(!target.paths.includes(hit));
      });
    }
  }

  for (const name of ["http.get-string", "fetch", "undici.request", "axios"]) {
    test(`${name}: pooled socket to app's name judged`, async () => {
      // The app's own request resolves service.test and leaves a keep-alive socket that the
      // user's request to the same host reuses without a new lookup.
      const fixed = await client.get(
        withQuery("/named", [
          ["client", name],
          ["id", randomUUID()],
        ]),
      );
      assert.equal(fixed.status, 200, fixed.body);

      const hit = `/hit/${randomUUID()}`;
      const url = `http://service.test:${target.port}${hit}`;
      const response = await client.get(
        withQuery("/fetch", [
          ["client", name],
          ["url", url],
        ]),
      );

      assert.equal(response.status, 403, response.body);
      assert.ok(!target.paths.includes(hit));
    });
  }

  test("app's own lookup option judged", async () => {
    const url = `http://via-option.test:${target.port}/hit/${randomUUID()}`;
    const response = await client.get(
      withQuery("/fetch", [
        ["client", "http.request-lookup-option"],
        ["url", url],
      ]),
    );

    assert.equal(response.status, 403, response.body);
    const event = await eventFor(app, response.body);
    assert.match(event.operation, /\(127\.0\.0\.2\)$/);
  });

  test("IPv6 loopback targets blocked", async () => {
    for (const host of ["[::1]", "ipv6.test", "[::ffff:7f00:1]"]) {
      const url = `http://${host}:${target.port}/hit/${randomUUID()}`;
      const response = await client.get(
        withQuery("/fetch", [
          ["client", "http.get-string"],
          ["url", url],
        ]),
      );

      assert.equal(response.status, 403, `${host}: ${response.body}`);
      const event = await eventFor(app, response.body);
      assert.equal(event.reason, "internal-address-loopback", host);
    }
  });

  test("https.get to user-chosen loopback blocked before connecting", async () => {
    const counter = await startConnectionCounter();
    try {
      const url = `https://127.0.0.1:${counter.port}/hit`;
      const response = await client.get(
        withQuery("/fetch", [
          ["client", "http.get-string"],
          ["url", url],
        ]),
      );

      assert.equal(response.status, 403, response.body);
      const event = await eventFor(app, response.body);
      assert.equal(event.sink, "https.get");
      assert.equal(counter.count(), 0);
    } finally {
      await counter.close();
    }
  });

  test("encoded loopback forms blocked", async () => {
    for (const host of ["0x7f.1", "2130706433", "0177.0.0.1", "127.1", "[::ffff:127.0.0.1]"]) {
      const hit = `/hit/${randomUUID()}`;
      const url = `http://${host}:${target.port}${hit}`;
      const response = await client.get(
        withQuery("/fetch", [
          ["client", "fetch"],
          ["url", url],
        ]),
      );

      assert.equal(response.status, 403, `${host}: ${response.body}`);
      assert.ok(!target.paths.includes(hit), host);
    }
  });

  test("tripwire never fired", () => {
    assertNoTripwire(app);
  });
});

describe("SSRF through HTTP clients, monitor mode", () => {
  let target: SsrfTarget;
  let app: RunningApp;
  let client: HttpClient;

  before(async () => {
    target = await startSsrfTarget();
    app = await startSsrfApp("ssrf-app.cjs", "monitor", target);
    client = new HttpClient(app.url);
  });

  after(async () => {
    client.close();
    await app.stop();
    await target.close();
  });

  for (const name of ["http.get-string", "fetch", "undici.request", "axios", "got", "node-fetch"]) {
    test(`${name}: user-chosen loopback URL logged and sent`, async () => {
      const hit = `/hit/${randomUUID()}`;
      const before = app.events().length;
      const response = await client.get(
        withQuery("/fetch", [
          ["client", name],
          ["url", `${target.origin}${hit}`],
        ]),
      );

      assert.equal(response.status, 200, response.body);
      assert.ok(target.paths.includes(hit));
      await app.waitForEvents(before + 1);
      // The sink and the socket both judge the request; it must be reported once.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const matching = app
        .events()
        .slice(before)
        .filter((candidate) => candidate.input?.value.includes(hit));
      assert.equal(matching.length, 1, JSON.stringify(matching.map((candidate) => candidate.sink)));
      const event = matching[0];
      assert.ok(event);
      assertValidEvent(event);
      assert.equal(event.action, "monitored");
    });
  }
});

describe("SSRF through HTTP clients, ES module", () => {
  let target: SsrfTarget;
  let app: RunningApp;
  let client: HttpClient;

  before(async () => {
    target = await startSsrfTarget();
    app = await startSsrfApp("ssrf-app.mjs", "block", target);
    client = new HttpClient(app.url);
  });

  after(async () => {
    client.close();
    await app.stop();
    await target.close();
  });

  const esmCases: ReadonlyArray<readonly [string, string]> = [
    ["http.get-string", "http.get"],
    ["http.request-options", "http.request"],
    ["fetch", "globalThis.fetch"],
    ["undici.request", "undici.request"],
    ["undici.fetch", "undici.fetch"],
    ["undici.Client", "undici.Client.request"],
    ["axios", "http.request"],
    ["got", "http.request"],
    ["node-fetch", "http.request"],
  ];

  for (const [name, sink] of esmCases) {
    test(`${name}: user-chosen loopback URL blocked`, async () => {
      const hit = `/hit/${randomUUID()}`;
      const response = await client.get(
        withQuery("/fetch", [
          ["client", name],
          ["url", `${target.origin}${hit}`],
        ]),
      );

      assert.equal(response.status, 403, response.body);
      const event = await eventFor(app, response.body);
      assertValidEvent(event);
      assert.equal(event.sink, sink);
      assert.ok(!target.paths.includes(hit));
    });

    test(`${name}: fixed host passes`, async () => {
      const id = randomUUID();
      const response = await client.get(
        withQuery("/fixed", [
          ["client", name],
          ["id", id],
        ]),
      );

      assert.equal(response.status, 200, response.body);
      assert.ok(target.paths.includes(`/users/${id}`));
    });
  }

  test("tripwire never fired", () => {
    assertNoTripwire(app);
  });
});

describe("SSRF through node:https", () => {
  let target: SsrfTarget;
  let app: RunningApp;
  let client: HttpClient;

  before(async () => {
    target = await startSsrfTarget("https");
    app = await startSsrfApp("ssrf-app.cjs", "block", target);
    client = new HttpClient(app.url);
  });

  after(async () => {
    client.close();
    await app.stop();
    await target.close();
  });

  for (const [name, sink] of [
    ["http.get-string", "https.get"],
    ["http.request-options", "https.request"],
    ["http.request-url-and-options", "https.request"],
  ] as const) {
    test(`${name}: user-chosen loopback URL blocked`, async () => {
      const hit = `/hit/${randomUUID()}`;
      const response = await client.get(
        withQuery("/fetch", [
          ["client", name],
          ["url", `${target.origin}${hit}`],
        ]),
      );

      assert.equal(response.status, 403, response.body);
      const event = await eventFor(app, response.body);
      assertValidEvent(event);
      assert.equal(event.sink, sink);
      assert.ok(!target.paths.includes(hit));
    });

    test(`${name}: fixed host passes`, async () => {
      const id = randomUUID();
      const response = await client.get(
        withQuery("/fixed", [
          ["client", name],
          ["id", id],
        ]),
      );

      assert.equal(response.status, 200, response.body);
      assert.ok(target.paths.includes(`/users/${id}`));
    });

    test(`${name}: allow-listed name passes`, async () => {
      const hit = `/hit/${randomUUID()}`;
      const url = `https://${allowedHost}:${target.port}${hit}`;
      const response = await client.get(
        withQuery("/fetch", [
          ["client", name],
          ["url", url],
        ]),
      );

      assert.equal(response.status, 200, response.body);
      assert.ok(target.paths.includes(hit));
    });
  }
});

describe("SSRF outside any request", () => {
  let target: SsrfTarget;
  let app: RunningApp;

  before(async () => {
    target = await startSsrfTarget();
    app = await startApp({
      script: "ssrf-app.cjs",
      loader: "none",
      mode: "block",
      env: { TARGET_ORIGIN: target.origin, STARTUP_METADATA: "1" },
    });
  });

  after(async () => {
    await app.stop();
    await target.close();
  });

  test("startup metadata requests blocked", async () => {
    const events = await app.waitForEvents(2);
    const startup = events.filter((event) => event.operation.includes("/startup"));

    assert.deepEqual(startup.map((event) => event.sink).sort(), ["globalThis.fetch", "http.get"]);
    for (const event of startup) {
      assert.deepEqual(eventSchemaErrors(event), []);
      assert.equal(event.reason, "cloud-metadata");
      assert.equal(event.action, "blocked");
      assert.equal(event.request, null);
      assert.equal(event.input, null);
    }
    assert.ok(!target.paths.includes("/startup"));
    assertNoTripwire(app);
  });
});

describe("ssrf: cloud SDK credential lookups", () => {
  let target: SsrfTarget;
  let app: RunningApp;
  let sdkDir: string;
  let client: HttpClient;

  before(async () => {
    // A stand-in for a cloud SDK: a module under node_modules/gcp-metadata that requests the
    // metadata host named in its own code, as the real SDKs do to read credentials.
    sdkDir = mkdtempSync(path.join(tmpdir(), "rampart-sdk-"));
    const moduleDir = path.join(sdkDir, "node_modules", "gcp-metadata");
    mkdirSync(moduleDir, { recursive: true });
    writeFileSync(
      path.join(moduleDir, "index.js"),
      "exports.request = (client, url) => client(url);\n",
    );

    target = await startSsrfTarget();
    app = await startApp({
      script: "ssrf-app.cjs",
      loader: "none",
      mode: "block",
      env: { TARGET_ORIGIN: target.origin, FAKE_SDK_DIR: sdkDir },
    });
    client = new HttpClient(app.url);
  });

  after(async () => {
    client.close();
    await app.stop();
    await target.close();
    rmSync(sdkDir, { recursive: true, force: true });
  });

  for (const name of ["http.get-string", "fetch", "undici.request"]) {
    test(`${name}: the SDK reaches its metadata host`, async () => {
      const response = await client.get(
        withQuery("/metadata-name", [
          ["client", name],
          ["by", "sdk"],
        ]),
      );
      assert.equal(response.status, 200, response.body);
      assert.ok(target.paths.includes("/computeMetadata/v1/"), "the loopback target saw the call");
      assertNoTripwire(app);
    });

    test(`${name}: the same URL from app code is blocked`, async () => {
      const before = target.paths.length;
      const response = await client.get(
        withQuery("/metadata-name", [
          ["client", name],
          ["by", "app"],
        ]),
      );
      assert.equal(response.status, 403, response.body);
      const event = await eventFor(app, response.body);
      assert.equal(event.reason, "cloud-metadata");
      assert.equal(target.paths.length, before, "nothing reached the target");
      assertNoTripwire(app);
    });
  }
});
