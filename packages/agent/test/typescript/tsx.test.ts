// TypeScript apps run through tsx: `node --import tsx` with the agent's --require or --import, and
// the tsx command with the agent in NODE_OPTIONS. Each app is real TypeScript (type annotations,
// `import` syntax, an .mts ES module) that Node.js cannot run without tsx.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { startApp, type AppOptions, type RunningApp } from "../helpers/app-process";
import { createFixtureDatabase, type FixtureDatabase } from "../helpers/pg-server";

const require = createRequire(__filename);
const tsxCli = path.join(path.dirname(require.resolve("tsx/package.json")), "dist", "cli.mjs");

const injection = encodeURIComponent("x' OR '1'='1");

interface BlockBody {
  event_id: string;
}

/**
 * Sends an attack and checks the 403 and its event. With `appFile`, the event's stack must name that
 * file. pg runs Pool#query's statement from a callback of its own, so its stack has no app frame.
 */
async function expectBlocked(app: RunningApp, route: string, sink: string, appFile?: string) {
  const response = await fetch(`${app.url}${route}`);
  assert.equal(response.status, 403);

  const { event_id: eventId } = (await response.json()) as BlockBody;
  const event = await app.waitForEvent(eventId);
  assert.ok(event !== undefined, `event ${eventId} written`);
  assert.equal(event.sink, sink);
  assert.equal(event.action, "blocked");
  if (appFile === undefined) return;
  // tsx registers source maps, so the stack names the TypeScript file the call came from.
  assert.ok(
    event.stack.some((frame) => frame.includes(appFile)),
    `stack names ${appFile}: ${event.stack.join(" | ")}`,
  );
}

async function expectRows(app: RunningApp, route: string, names: string[]) {
  const response = await fetch(`${app.url}${route}`);
  assert.equal(response.status, 200);
  const rows = (await response.json()) as { name: string }[];
  assert.deepEqual(
    rows.map((row) => row.name),
    names,
  );
}

function agentStarts(app: RunningApp): number {
  return app
    .stderr()
    .split("\n")
    .filter((line) => line.includes('"msg":"agent started"')).length;
}

const commonJsLaunches: [string, Partial<AppOptions>][] = [
  [
    "node --import tsx --require",
    { nodeArgs: ["--import", "tsx"], loader: "require", script: "ts-express-sqlite.ts" },
  ],
  [
    "tsx command, NODE_OPTIONS --require",
    {
      loader: "none",
      script: tsxCli,
      scriptArgs: ["ts-express-sqlite.ts"],
      env: { NODE_OPTIONS: "--require rampart/register" },
    },
  ],
];

for (const [launch, options] of commonJsLaunches) {
  describe(`CommonJS TypeScript, ${launch}`, () => {
    let app: RunningApp;

    before(async () => {
      app = await startApp({ script: "ts-express-sqlite.ts", loader: "none", ...options });
    });
    after(() => app.stop());

    test("benign search passes", async () => {
      await expectRows(app, "/search?name=alice", ["alice"]);
    });

    test("SQL injection blocked", async () => {
      await expectBlocked(
        app,
        `/search?name=${injection}`,
        "better-sqlite3.prepare",
        "ts-express-sqlite.ts",
      );
    });

    test("path traversal blocked", async () => {
      await expectBlocked(
        app,
        `/file?name=${encodeURIComponent("../../../../../../etc/passwd")}`,
        "fs.readFileSync",
        "ts-express-sqlite.ts",
      );
    });

    test("benign file read passes", async () => {
      const response = await fetch(`${app.url}/file?name=ts-express-types.d.ts`);
      assert.equal(response.status, 200);
      assert.match(await response.text(), /declare module "express5"/);
    });
  });
}

const esmLaunches: [string, Partial<AppOptions>][] = [
  [
    "node --import tsx --import",
    { nodeArgs: ["--import", "tsx"], loader: "import", script: "ts-http-pg.mts" },
  ],
  [
    "tsx command, NODE_OPTIONS --import",
    {
      loader: "none",
      script: tsxCli,
      scriptArgs: ["ts-http-pg.mts"],
      env: { NODE_OPTIONS: "--import rampart/register" },
    },
  ],
];

for (const [launch, options] of esmLaunches) {
  describe(`ES module TypeScript with pg, ${launch}`, () => {
    let database: FixtureDatabase;
    let app: RunningApp;

    before(async () => {
      database = await createFixtureDatabase("tsx");
      app = await startApp({
        script: "ts-http-pg.mts",
        loader: "none",
        ...options,
        env: { ...database.env, ...options.env },
      });
    });
    after(async () => {
      await app.stop();
      await database.drop();
    });

    test("benign search passes", async () => {
      await expectRows(app, "/search?name=bob", ["bob"]);
    });

    test("SQL injection blocked", async () => {
      await expectBlocked(app, `/search?name=${injection}`, "pg.query");
    });
  });
}

describe("agent threads under node --import tsx", () => {
  let app: RunningApp;

  before(async () => {
    app = await startApp({
      script: "ts-express-sqlite.ts",
      nodeArgs: ["--import", "tsx"],
      loader: "require",
    });
  });
  after(() => app.stop());

  test("agent starts once", async () => {
    // Node.js 20 also runs --require modules on the thread of tsx's module hooks. No app code runs
    // there, so the agent must not start a second time.
    await expectRows(app, "/search?name=bob", ["bob"]);
    assert.equal(agentStarts(app), 1, app.stderr());
  });
});
