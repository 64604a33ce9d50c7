import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";
import { eventSchemaErrors } from "../helpers/event-schema";
import { HttpClient } from "../helpers/http-client";

let workDir: string;
let dataDir: string;

before(() => {
  workDir = mkdtempSync(path.join(tmpdir(), "rampart-policy-"));
  dataDir = path.join(workDir, "data");
  mkdirSync(path.join(dataDir, "public"), { recursive: true });
  writeFileSync(path.join(dataDir, "public", "a.txt"), "public file");
  writeFileSync(path.join(dataDir, "secret.txt"), "secret file");
});

after(() => rmSync(workDir, { recursive: true, force: true }));

let policyCounter = 0;

/** Writes a policy file in its own directory and returns its path. */
function writePolicy(text: string): string {
  const dir = path.join(workDir, `policy-${policyCounter++}`);
  mkdirSync(dir);
  const file = path.join(dir, "rampart.policy.yaml");
  writeFileSync(file, text);
  return file;
}

/** Replaces the file the way editors that save atomically do: write a new file, rename it over. */
function replaceAtomically(file: string, text: string): void {
  const temporary = `${file}.tmp-${process.pid}`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

function start(
  script: string,
  policyFile: string,
  env: Record<string, string> = {},
): Promise<RunningApp> {
  return startApp({
    script,
    loader: script.endsWith(".mjs") ? "import" : "require",
    env: { RAMPART_MODE: "", RAMPART_POLICY: policyFile, DATA_DIR: dataDir, ...env },
  });
}

/** Polls until `check` passes or `timeoutMs` runs out; returns the time it took, in milliseconds. */
async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

const traversal = "/files?name=../secret.txt";

describe("policy file at start", () => {
  test("detector mode blocks with policy version (CJS)", async () => {
    const file = writePolicy("version: v1\nmode: monitor\ndetectors:\n  path_traversal: block\n");
    const app = await start("policy-app.cjs", file);
    const client = new HttpClient(app.url);
    try {
      assert.equal((await client.get("/files?name=a.txt")).status, 200);
      const blocked = await client.get(traversal);
      assert.equal(blocked.status, 403);

      const [event] = await app.waitForEvents(1);
      assert.equal(event?.action, "blocked");
      assert.equal(event?.attack_type, "path_traversal");
      assert.equal(event?.input.path, "query.name");
      assert.equal(event?.policy_version, "v1");
      assert.deepEqual(eventSchemaErrors(event), []);
      assert.match(app.stderr(), /"policy_version":"v1"/);
    } finally {
      client.close();
      await app.stop();
    }
  });

  test("allow rule lets one route through (ESM)", async () => {
    const file = writePolicy(
      "mode: block\nallow:\n  - route: /search\n    input: query.sort\n    attackType: path_traversal\n",
    );
    const app = await start("policy-app.mjs", file);
    const client = new HttpClient(app.url);
    try {
      const allowed = await client.get("/search?sort=../secret.txt");
      assert.equal(allowed.status, 200);
      assert.equal(allowed.body, "secret file");
      assert.equal((await client.get(traversal)).status, 403);

      const events = await app.waitForEvents(1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(app.events().length, 1, "the allowed finding must not be reported");
      assert.equal(events[0]?.input.path, "query.name");
      assert.match(events[0]?.policy_version ?? "", /^sha256:[0-9a-f]{12}$/);
    } finally {
      client.close();
      await app.stop();
    }
  });

  test("invalid policy runs monitor and logs each line", async () => {
    const app = await start("policy-app.cjs", path.resolve("test/fixtures/policy-broken.yaml"));
    const client = new HttpClient(app.url);
    try {
      assert.equal((await client.get(traversal)).status, 200);
      const [event] = await app.waitForEvents(1);
      assert.equal(event?.action, "monitored");
      assert.match(app.stderr(), /policy-broken\.yaml:3: mode: invalid value \\"blok\\"/);
      assert.match(app.stderr(), /policy-broken\.yaml:6: detectors\.sqli: unknown attack type/);
      assert.match(app.stderr(), /policy rejected; running on environment settings/);
    } finally {
      client.close();
      await app.stop();
    }
  });

  test("environment overrides the file", async () => {
    const file = writePolicy("mode: block\n");
    const app = await start("policy-app.cjs", file, { RAMPART_MODE: "monitor" });
    const client = new HttpClient(app.url);
    try {
      assert.equal((await client.get(traversal)).status, 200);
    } finally {
      client.close();
      await app.stop();
    }
  });

  test("block response status and templates", async () => {
    const file = writePolicy(
      [
        "mode: block",
        "blockResponse:",
        "  status: 451",
        `  json: '{"blocked": true, "ref": "{{event_id}}", "request": "{{request_id}}"}'`,
        '  html: "<p>Ref {{event_id}} for {{request_id}}</p>"',
        "",
      ].join("\n"),
    );
    const app = await start("policy-app.cjs", file);
    const client = new HttpClient(app.url);
    try {
      const json = await client.get(traversal, { "x-request-id": "req-1" });
      assert.equal(json.status, 451);
      const body = JSON.parse(json.body) as { blocked: boolean; ref: string; request: string };
      assert.equal(body.blocked, true);
      assert.equal(body.request, "req-1");
      assert.ok(await app.waitForEvent(body.ref), "the template names the event id");

      const html = await client.get(traversal, { accept: "text/html", "x-request-id": "a:b.c" });
      assert.equal(html.status, 451);
      assert.match(html.body, /^<p>Ref [0-9a-f-]{36} for a:b\.c<\/p>$/);
    } finally {
      client.close();
      await app.stop();
    }
  });
});

describe("gate keys", () => {
  test("reach the gate on every load", async () => {
    const denyLoopback = 'blocking:\n  ip:\n    deny: ["127.0.0.0/8", "::ffff:127.0.0.0/104"]\n';
    const file = writePolicy(`version: g1\nmode: block\n${denyLoopback}`);
    const app = await start("policy-app.cjs", file);
    const client = new HttpClient(app.url);
    try {
      assert.equal((await client.get("/health")).status, 403);

      writeFileSync(file, "version: g2\nmode: block\n");
      await waitUntil(async () => (await client.get("/health")).status === 200, 3000);

      writeFileSync(
        file,
        'version: g3\nmode: block\nblocking:\n  ip:\n    deny: ["not-an-address"]\n',
      );
      await waitUntil(async () => app.stderr().includes("keeping policy version g2"), 3000);
      assert.equal((await client.get("/health")).status, 200);
    } finally {
      client.close();
      await app.stop();
    }
  });
});

describe("client address behind proxies", () => {
  async function clientIpOf(policy: string, forwardedFor: string): Promise<string | undefined> {
    const app = await start("policy-app.cjs", writePolicy(policy));
    const client = new HttpClient(app.url);
    try {
      await client.get(traversal, { "x-forwarded-for": forwardedFor });
      const [event] = await app.waitForEvents(1);
      return event?.request.client_ip;
    } finally {
      client.close();
      await app.stop();
    }
  }

  test("spoofed header from an untrusted peer is ignored", async () => {
    const ip = await clientIpOf("mode: monitor\ntrustedProxies: [10.0.0.0/8]\n", "203.0.113.9");
    assert.match(ip ?? "", /127\.0\.0\.1$/);
  });

  test("trusted chain is honoured, client-written hops are not", async () => {
    const ip = await clientIpOf(
      "mode: monitor\ntrustedProxies: [127.0.0.1]\n",
      "198.51.100.66, 203.0.113.9",
    );
    assert.equal(ip, "203.0.113.9");
  });

  test("without trusted proxies the header is ignored", async () => {
    const ip = await clientIpOf("mode: monitor\n", "203.0.113.9");
    assert.match(ip ?? "", /127\.0\.0\.1$/);
  });
});

describe("hot reload", () => {
  test("kill switch and back within a second", async () => {
    const file = writePolicy("version: v1\nmode: block\n");
    const app = await start("policy-app.cjs", file);
    const client = new HttpClient(app.url);
    try {
      assert.equal((await client.get(traversal)).status, 403);

      writeFileSync(file, 'version: v2\nmode: "off"\n');
      const offAfter = await waitUntil(
        async () => (await client.get(traversal)).status === 200,
        3000,
      );
      assert.ok(offAfter < 1000, `mode off applied after ${offAfter} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const eventsBeforeOff = app.events().length;
      assert.equal((await client.get(traversal)).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(app.events().length, eventsBeforeOff, "mode off reports nothing");

      replaceAtomically(file, "version: v3\nmode: block\n");
      const blockAfter = await waitUntil(
        async () => (await client.get(traversal)).status === 403,
        3000,
      );
      assert.ok(blockAfter < 1000, `block applied after ${blockAfter} ms (atomic rename)`);
      const events = await app.waitForEvents(eventsBeforeOff + 1);
      assert.equal(events.at(-1)?.policy_version, "v3");

      writeFileSync(file, "version: v4\nmode: blok\n");
      await waitUntil(async () => app.stderr().includes("keeping policy version v3"), 3000);
      assert.match(app.stderr(), /rampart\.policy\.yaml:2: mode: invalid value/);
      assert.equal((await client.get(traversal)).status, 403, "the last valid policy stays");
    } finally {
      client.close();
      await app.stop();
    }
  });

  test("100 reloads under load drop no request", async () => {
    const file = writePolicy("version: r0\nmode: monitor\n");
    const app = await start("policy-app.mjs", file);
    const client = new HttpClient(app.url, 4);
    let stop = false;
    const failures: string[] = [];
    let sent = 0;

    const loop = async () => {
      while (!stop) {
        for (const target of ["/health", "/files?name=a.txt"]) {
          try {
            const response = await client.get(target);
            sent++;
            if (response.status !== 200) failures.push(`${target}: ${response.status}`);
          } catch (error) {
            failures.push(`${target}: ${(error as Error).message}`);
          }
        }
      }
    };

    try {
      const clients = [loop(), loop(), loop(), loop()];
      for (let version = 1; version <= 100; version++) {
        const mode = version % 2 === 0 ? "monitor" : "block";
        const text = `version: r${version}\nmode: ${mode}\ndetectors:\n  xss: ${mode}\n`;
        if (version % 2 === 0) writeFileSync(file, text);
        else replaceAtomically(file, text);
        await new Promise((resolve) => setTimeout(resolve, 150));
      }

      await waitUntil(async () => app.stderr().includes('"policy_version":"r100"'), 3000);
      stop = true;
      await Promise.all(clients);

      assert.deepEqual(failures, []);
      assert.ok(sent > 200, `only ${sent} requests were sent during the reloads`);
      const reloads = app.stderr().match(/policy reloaded/g)?.length ?? 0;
      assert.ok(reloads >= 50, `only ${reloads} of 100 rewrites were loaded`);

      assert.equal((await client.get(traversal)).status, 200, "r100 is monitor");
      const events = await app.waitForEvents(1);
      assert.equal(events.at(-1)?.policy_version, "r100");
    } finally {
      stop = true;
      client.close();
      await app.stop();
    }
  });
});
