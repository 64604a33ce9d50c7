// Apps bundled by esbuild and webpack (built here through their APIs) run under the agent. With pg
// bundled in, the agent cannot hook pg and warns once, naming pg and the fix, while node:fs and
// node:child_process, which every bundle still requires from Node.js, stay protected. With pg marked
// external, pg loads from node_modules and its queries are judged again.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";
import { createFixtureDatabase, type FixtureDatabase } from "../helpers/pg-server";
import { bundleDir, buildWithEsbuild, buildWithWebpack, type BundleOptions } from "./build";

const require = createRequire(__filename);
// A bundle in a temporary folder finds an external pg through NODE_PATH, as a deployed bundle finds
// it in the node_modules folder installed beside it.
const nodeModulesDir = path.resolve(path.dirname(require.resolve("pg/package.json")), "..");

const injection = encodeURIComponent("x' OR '1'='1");

interface BundleWarning {
  level: string;
  msg: string;
  module: string;
  file: string;
  bundler: string | null;
  fix: string;
}

function bundleWarnings(app: RunningApp): BundleWarning[] {
  return app
    .stderr()
    .split("\n")
    .filter((line) => line.includes("is bundled into"))
    .map((line) => JSON.parse(line) as BundleWarning);
}

async function waitForBundleWarnings(app: RunningApp, timeoutMs: number): Promise<BundleWarning[]> {
  const deadline = Date.now() + timeoutMs;
  while (bundleWarnings(app).length === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return bundleWarnings(app);
}

async function expectStatus(app: RunningApp, route: string, status: number): Promise<string> {
  const response = await fetch(`${app.url}${route}`);
  const body = await response.text();
  assert.equal(response.status, status, `${route}: ${body}`);
  return body;
}

async function expectBlockedAt(app: RunningApp, route: string, sink: string): Promise<void> {
  const body = await expectStatus(app, route, 403);
  const { event_id: eventId } = JSON.parse(body) as { event_id: string };
  const event = await app.waitForEvent(eventId);
  assert.ok(event !== undefined, `event ${eventId} written`);
  assert.equal(event.sink, sink);
}

type Builder = (dir: string, options: BundleOptions) => Promise<string>;

interface BundleCase {
  readonly name: string;
  readonly build: Builder;
  readonly minify: boolean;
  /** Bundler name the warning reports: unminified bundles show it, minified ones do not. */
  readonly bundler: string | null;
  readonly fixText: string;
}

const bundledCases: BundleCase[] = [
  {
    name: "esbuild, minified",
    build: buildWithEsbuild,
    minify: true,
    bundler: null,
    fixText: "--external:pg",
  },
  {
    name: "esbuild, not minified",
    build: buildWithEsbuild,
    minify: false,
    bundler: "esbuild",
    fixText: "--external:pg",
  },
  {
    name: "webpack, production",
    build: buildWithWebpack,
    minify: true,
    bundler: null,
    fixText: 'externals: { "pg": "commonjs pg" }',
  },
  {
    name: "webpack, development",
    build: buildWithWebpack,
    minify: false,
    bundler: "webpack",
    fixText: 'externals: { "pg": "commonjs pg" }',
  },
];

let database: FixtureDatabase;
let filesDir: string;

before(async () => {
  database = await createFixtureDatabase("bundle");
  // The file routes read the fixtures folder; bundle-app.cjs itself is the benign file.
  filesDir = path.resolve(__dirname, "../fixtures");
});
after(() => database.drop());

function appEnv(): Record<string, string> {
  return { ...database.env, FILES_DIR: filesDir, NODE_PATH: nodeModulesDir };
}

for (const bundleCase of bundledCases) {
  describe(`pg bundled by ${bundleCase.name}`, () => {
    let dir: string;
    let bundle: string;
    let app: RunningApp;

    before(async () => {
      dir = bundleDir();
      bundle = await bundleCase.build(dir, { minify: bundleCase.minify, external: [] });
      app = await startApp({ script: bundle, loader: "require", env: appEnv() });
    });
    after(async () => {
      await app.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test("warning names pg and the fix", async () => {
      const warnings = await waitForBundleWarnings(app, 5_000);
      assert.equal(warnings.length, 1, app.stderr());
      const [warning] = warnings;
      assert.equal(warning!.level, "warn");
      assert.equal(warning!.module, "pg");
      assert.equal(warning!.file, bundle);
      assert.equal(warning!.bundler, bundleCase.bundler);
      assert.ok(warning!.fix.includes(bundleCase.fixText), warning!.fix);
      assert.ok(warning!.msg.includes(bundleCase.fixText), warning!.msg);
    });

    test("benign requests pass", async () => {
      assert.match(await expectStatus(app, "/search?name=alice", 200), /alice/);
      assert.match(await expectStatus(app, "/file?name=bundle-app.cjs", 200), /bundle/);
      assert.match(await expectStatus(app, "/echo?name=hello", 200), /hello/);
    });

    test("built-in sinks still block", async () => {
      await expectBlockedAt(
        app,
        `/file?name=${encodeURIComponent("../../../../../../etc/passwd")}`,
        "fs.readFileSync",
      );
      await expectBlockedAt(
        app,
        `/echo?name=${encodeURIComponent("hi; id")}`,
        "child_process.execSync",
      );
    });

    test("warning logged once", async () => {
      // Requests and the later scan of loaded files must not repeat it.
      await expectStatus(app, `/search?name=bob`, 200);
      await new Promise((resolve) => setTimeout(resolve, 3_500));
      assert.equal(bundleWarnings(app).length, 1);
    });
  });
}

const externalCases: [string, Builder][] = [
  ["esbuild", buildWithEsbuild],
  ["webpack", buildWithWebpack],
];

for (const [bundler, build] of externalCases) {
  describe(`pg external to ${bundler} bundle`, () => {
    let dir: string;
    let app: RunningApp;

    before(async () => {
      dir = bundleDir();
      const bundle = await build(dir, { minify: true, external: ["pg"] });
      app = await startApp({ script: bundle, loader: "require", env: appEnv() });
    });
    after(async () => {
      await app.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test("SQL injection blocked", async () => {
      await expectBlockedAt(app, `/search?name=${injection}`, "pg.query");
    });

    test("benign search passes", async () => {
      assert.match(await expectStatus(app, "/search?name=carol", 200), /carol/);
    });

    test("no bundle warning", async () => {
      assert.deepEqual(bundleWarnings(app), []);
    });
  });
}

describe("bundle required by a launcher", () => {
  let dir: string;
  let bundle: string;
  let app: RunningApp;

  before(async () => {
    dir = bundleDir();
    bundle = await buildWithEsbuild(dir, { minify: true, external: [] });
    app = await startApp({
      script: "bundle-launcher.cjs",
      loader: "require",
      env: { ...appEnv(), BUNDLE_FILE: bundle },
    });
  });
  after(async () => {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("later scan finds the bundle", async () => {
    // The main script is the launcher; the bundle is found among the loaded files a few seconds after start.
    const warnings = await waitForBundleWarnings(app, 8_000);
    assert.equal(warnings.length, 1, app.stderr());
    assert.equal(warnings[0]!.module, "pg");
    assert.equal(warnings[0]!.file, bundle);
  });
});
