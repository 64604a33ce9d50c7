// The built package (`npm run build`: tsc, then scripts/bundle.mjs) loads the agent from the one
// bundle dist/rampart.js. These tests run fresh Node.js processes on dist/, as apps do.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { promisify } from "node:util";

import { lambdaInjectionScript } from "../helpers/lambda-injection-script";

const run = promisify(execFile);
const packageDir = path.resolve(__dirname, "../..");
const distDir = path.join(packageDir, "dist");
const workDir = mkdtempSync(path.join(tmpdir(), "rampart-bundle-"));
after(() => rmSync(workDir, { recursive: true, force: true }));

/** Runs `source` as a CommonJS script in workDir (outside the package) and returns its stdout. */
async function runScript(name: string, source: string, nodeArgs: string[] = []): Promise<string> {
  const file = path.join(workDir, name);
  writeFileSync(file, source);
  const { stdout } = await run(process.execPath, [...nodeArgs, file], {
    cwd: workDir,
    env: {
      ...process.env,
      NODE_OPTIONS: "",
      RAMPART_MODE: "block",
      RAMPART_LOG_LEVEL: "warn",
      RAMPART_EVENTS: path.join(workDir, `${name}.events.jsonl`),
    },
  });
  return stdout;
}

test("lambda entry loads one bundle", async () => {
  const stdout = await runScript(
    "count-modules.cjs",
    `require(${JSON.stringify(path.join(distDir, "serverless", "index.js"))});
const dist = ${JSON.stringify(distDir + path.sep)};
console.log(JSON.stringify(Object.keys(require.cache).filter((file) => file.startsWith(dist))));`,
  );
  const loaded = (JSON.parse(stdout) as string[]).map((file) => path.relative(distDir, file));
  assert.deepEqual(
    loaded.sort(),
    ["load-bundle.js", "rampart.js", path.join("serverless", "index.js")].sort(),
  );
});

test("entries and dist paths share one agent", async () => {
  const stdout = await runScript(
    "one-agent.cjs",
    `const dist = ${JSON.stringify(distDir)};
const path = require("node:path");
require(path.join(dist, "serverless", "index.js"));
const state = require(path.join(dist, "guard", "agent-state.js")).agentState();
const config = require(path.join(dist, "index.js")).protect();
const esmAgent = require(path.join(dist, "rampart.js"));
console.log(JSON.stringify({
  started: state !== undefined,
  sameConfig: state !== undefined && state.config === config,
  sameProtect: esmAgent.protect === require(path.join(dist, "index.js")).protect,
}));`,
  );
  assert.deepEqual(JSON.parse(stdout), { started: true, sameConfig: true, sameProtect: true });
});

test("event stack skips bundled agent frames", async () => {
  const stdout = await runScript(
    "blocked-handler.cjs",
    lambdaInjectionScript(distDir, "console.log(JSON.stringify(result.statusCode));"),
  );
  assert.equal(JSON.parse(stdout), 403);

  const events = readFileSync(path.join(workDir, "blocked-handler.cjs.events.jsonl"), "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as { attack_type: string; stack: string[] });
  const event = events.find((candidate) => candidate.attack_type === "sql_injection");
  assert.ok(event, `an sql_injection event among ${events.length}`);
  assert.ok(
    event.stack.some((frame) => frame.includes("blocked-handler.cjs")),
    `a frame of the handler: ${event.stack.join(" | ")}`,
  );
  assert.ok(
    event.stack.every((frame) => !frame.includes(distDir)),
    `no frame of the agent: ${event.stack.join(" | ")}`,
  );
});

test("source map points bundle frames at src", async () => {
  const stdout = await runScript(
    "source-map.cjs",
    `const { wrap } = require(${JSON.stringify(path.join(distDir, "serverless", "index.js"))});
try {
  wrap(42);
} catch (error) {
  console.log(JSON.stringify(error.stack.split("\\n")[1]));
}`,
    ["--enable-source-maps"],
  );
  const frame = JSON.parse(stdout) as string;
  assert.match(frame, /src[\\/]serverless[\\/]wrap\.ts:\d+:\d+/);
});
