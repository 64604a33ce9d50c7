import assert from "node:assert/strict";
import { after, describe, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";

// `postgres` loads its ES module build under `import`, which only the ES module hooks can patch, so
// a blocked query proves that the hooks named in the log really ran.
const attack = encodeURIComponent("x' OR '1'='1");

/**
 * True where module.registerHooks accepts the empty CommonJS source that import-in-the-middle's
 * synchronous loader returns: Node.js 22.22.3, 24.11.1, 25.1.0, 26 and later, as listed by the
 * supportsSyncHooks check of import-in-the-middle 3.6.
 */
function syncHooksSupported(): boolean {
  const [major = 0, minor = 0, patch = 0] = process.versions.node.split(".").map(Number);
  const atLeast = (minMinor: number, minPatch: number) =>
    minor > minMinor || (minor === minMinor && patch >= minPatch);
  if (major === 22) return atLeast(22, 3);
  if (major === 24) return atLeast(11, 1);
  if (major === 25) return atLeast(1, 0);
  return major >= 26;
}

const defaultHooks = syncHooksSupported() ? "registerHooks" : "register";

function logLines(app: RunningApp): Array<Record<string, unknown>> {
  return app
    .stderr()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Returns the `esm_hooks` field of the agent's "ES module hooks registered" line. */
function registeredHooks(app: RunningApp): unknown {
  const line = logLines(app).find((entry) => entry.msg === "ES module hooks registered");
  assert.ok(line, `no "ES module hooks registered" line; stderr:\n${app.stderr()}`);
  return line.esm_hooks;
}

async function expectPostgresProtected(app: RunningApp): Promise<void> {
  const blocked = await fetch(`${app.url}/?name=${attack}`);
  assert.equal(blocked.status, 403, `the injected query is blocked; stderr:\n${app.stderr()}`);

  const events = await app.waitForEvents(1);
  assert.equal(events[0]?.attack_type, "sql_injection");
  assert.equal(events[0]?.sink, "postgres.unsafe");

  const benign = await fetch(`${app.url}/?name=alice`);
  assert.equal(benign.status, 200, app.stderr());
  const body = (await benign.json()) as { rows: Array<{ name: string }> };
  assert.deepEqual(body.rows, [{ name: "alice" }]);
}

describe(`ES module hooks on Node.js ${process.version}`, () => {
  const apps: RunningApp[] = [];
  after(() => Promise.all(apps.map((app) => app.stop())));

  async function start(env: Record<string, string> = {}): Promise<RunningApp> {
    const app = await startApp({
      script: "esm-hooks-postgres.mjs",
      loader: "import",
      env: { RAMPART_LOG_LEVEL: "debug", ...env },
    });
    apps.push(app);
    return app;
  }

  test(`default uses ${defaultHooks}`, async (t) => {
    const app = await start();
    t.diagnostic(`ES module hooks on ${process.version}: ${String(registeredHooks(app))}`);
    assert.equal(registeredHooks(app), defaultHooks);
    await expectPostgresProtected(app);
  });

  test("RAMPART_ESM_HOOKS=register uses the loader thread", async () => {
    const app = await start({ RAMPART_ESM_HOOKS: "register" });
    assert.equal(registeredHooks(app), "register");
    await expectPostgresProtected(app);
  });

  test("RAMPART_ESM_HOOKS=registerHooks where supported", async () => {
    const app = await start({ RAMPART_ESM_HOOKS: "registerHooks" });
    assert.equal(registeredHooks(app), defaultHooks);

    const fallbackWarning = logLines(app).find(
      (line) =>
        line.level === "warn" && /module\.registerHooks is not usable/.test(String(line.msg)),
    );
    if (defaultHooks === "register") assert.ok(fallbackWarning, app.stderr());
    else assert.equal(fallbackWarning, undefined, app.stderr());

    await expectPostgresProtected(app);
  });

  test("invalid RAMPART_ESM_HOOKS falls back to auto", async () => {
    const app = await start({ RAMPART_ESM_HOOKS: "sideways" });
    const warning = logLines(app).find(
      (line) => line.level === "warn" && line.variable === "RAMPART_ESM_HOOKS",
    );
    assert.ok(warning, app.stderr());
    assert.equal(warning.value, "sideways");
    assert.equal(registeredHooks(app), defaultHooks);
    await expectPostgresProtected(app);
  });

  test("worker thread inherits --import", async () => {
    const app = await start({ RUN_IN_WORKER: "1" });
    await expectPostgresProtected(app);

    const benign = await fetch(`${app.url}/?name=bob`);
    const body = (await benign.json()) as { isMainThread: boolean };
    assert.equal(body.isMainThread, false, "the request was served by the worker thread");
  });
});
