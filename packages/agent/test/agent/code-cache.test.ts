// dist/load-bundle.js loads the agent bundle with a V8 code cache. These tests run fresh Node.js
// processes on the built package, each with its own cache directory (RAMPART_CODE_CACHE).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { promisify } from "node:util";

import { lambdaInjectionScript } from "../helpers/lambda-injection-script";

const run = promisify(execFile);
const distDir = path.resolve(__dirname, "../../dist");
const workDir = mkdtempSync(path.join(tmpdir(), "rampart-code-cache-"));
after(() => rmSync(workDir, { recursive: true, force: true }));

interface Status {
  state: string;
  file?: string;
  written?: true | string;
}

/**
 * The Lambda injection script, which prints the result's status code and, after the loader has
 * had its chance to write, the cache status.
 */
const blockedHandlerScript = `const loader = require(${JSON.stringify(path.join(distDir, "load-bundle.js"))});
${lambdaInjectionScript(
  distDir,
  "setTimeout(() => console.log(JSON.stringify({ statusCode: result.statusCode, codeCache: loader.codeCache })), 20);",
)}`;

let scriptCount = 0;

/** Runs the handler script in a fresh process with RAMPART_CODE_CACHE set to `cacheSetting`, or unset. */
async function start(
  cacheSetting: string | undefined,
  nodeArgs: string[] = [],
  logLevel = "error",
): Promise<{ statusCode: number; codeCache: Status; stderr: string }> {
  scriptCount += 1;
  const file = path.join(workDir, `handler-${scriptCount}.cjs`);
  writeFileSync(file, blockedHandlerScript);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_OPTIONS: "",
    RAMPART_MODE: "block",
    RAMPART_LOG_LEVEL: logLevel,
    RAMPART_EVENTS: path.join(workDir, `handler-${scriptCount}.events.jsonl`),
  };
  if (cacheSetting === undefined) delete env.RAMPART_CODE_CACHE;
  else env.RAMPART_CODE_CACHE = cacheSetting;
  const { stdout, stderr } = await run(process.execPath, [...nodeArgs, file], {
    cwd: workDir,
    env,
  });
  return { ...(JSON.parse(stdout) as { statusCode: number; codeCache: Status }), stderr };
}

function freshCacheDir(name: string): string {
  return path.join(workDir, name);
}

test("first start writes, next uses cache", async () => {
  const cacheDir = freshCacheDir("first-and-next");

  const first = await start(cacheDir);
  assert.equal(first.statusCode, 403);
  assert.equal(first.codeCache.state, "missing");
  assert.equal(first.codeCache.written, true);
  assert.ok(first.codeCache.file);
  assert.ok(existsSync(first.codeCache.file));

  const next = await start(cacheDir);
  assert.equal(next.statusCode, 403);
  assert.equal(next.codeCache.state, "accepted");
  assert.equal(next.codeCache.written, undefined, "an accepted cache is not written again");
  assert.equal(next.codeCache.file, first.codeCache.file);
});

test("file name carries hash and V8", async () => {
  const { sha256 } = JSON.parse(readFileSync(path.join(distDir, "bundle.json"), "utf8")) as {
    sha256: string;
  };
  const { codeCache } = await start(freshCacheDir("name"));
  assert.ok(codeCache.file);
  const name = path.basename(codeCache.file);
  assert.ok(name.includes(sha256.slice(0, 16)), name);
  assert.ok(name.includes(process.versions.v8), name);
  assert.ok(name.includes(process.arch), name);
});

test("corrupt cache rejected and rewritten", async () => {
  const cacheDir = freshCacheDir("corrupt");
  const { codeCache } = await start(cacheDir);
  assert.ok(codeCache.file);
  const good = readFileSync(codeCache.file);

  // One flipped byte in the middle of V8's data.
  const flipped = Buffer.from(good);
  const middle = Math.floor(flipped.byteLength / 2);
  flipped[middle] = (flipped[middle] as number) ^ 0xff;
  writeFileSync(codeCache.file, flipped);
  const afterFlip = await start(cacheDir);
  assert.equal(afterFlip.statusCode, 403);
  assert.equal(afterFlip.codeCache.state, "corrupt");
  assert.equal(afterFlip.codeCache.written, true);

  writeFileSync(codeCache.file, good.subarray(0, good.byteLength - 100));
  const afterTruncation = await start(cacheDir);
  assert.equal(afterTruncation.statusCode, 403);
  assert.equal(afterTruncation.codeCache.state, "corrupt");

  writeFileSync(codeCache.file, "not a cache");
  const afterText = await start(cacheDir);
  assert.equal(afterText.codeCache.state, "corrupt");

  const repaired = await start(cacheDir);
  assert.equal(repaired.codeCache.state, "accepted");
});

test("other V8 flags reject the cache", async () => {
  const cacheDir = freshCacheDir("flags");
  await start(cacheDir);
  // --no-opt changes V8's flag hash, which V8 checks before it uses a cache.
  const otherFlags = await start(cacheDir, ["--no-opt"]);
  assert.equal(otherFlags.statusCode, 403);
  assert.equal(otherFlags.codeCache.state, "rejected");
  assert.equal(otherFlags.codeCache.written, true);
});

test("unwritable directory keeps agent working", async () => {
  const blocker = path.join(workDir, "not-a-directory");
  writeFileSync(blocker, "a file where the cache directory would be");
  const { statusCode, codeCache, stderr } = await start(path.join(blocker, "cache"), [], "debug");
  assert.equal(statusCode, 403);
  assert.equal(codeCache.state, "missing");
  assert.equal(typeof codeCache.written, "string", "the write failed and says why");

  const line = stderr
    .split("\n")
    .filter((text) => text.startsWith("{"))
    .map((text) => JSON.parse(text) as { level: string; msg: string; err?: string })
    .find((entry) => entry.msg.startsWith("code cache not written"));
  assert.ok(line, stderr);
  assert.equal(line.level, "debug");
  assert.equal(line.err, codeCache.written);
});

test("off, unset, source maps: no cache", async () => {
  const off = await start("off");
  assert.equal(off.statusCode, 403);
  assert.deepEqual(off.codeCache, { state: "off" });

  // Off by default, because a process loaded from the cache spent more CPU time per request.
  for (const setting of [undefined, "", "  "]) {
    const unset = await start(setting);
    assert.equal(unset.statusCode, 403);
    assert.deepEqual(unset.codeCache, { state: "off" }, `RAMPART_CODE_CACHE=${String(setting)}`);
  }

  const cacheDir = freshCacheDir("source-maps");
  const withSourceMaps = await start(cacheDir, ["--enable-source-maps"]);
  assert.equal(withSourceMaps.statusCode, 403);
  assert.deepEqual(withSourceMaps.codeCache, { state: "off" });
  assert.equal(existsSync(cacheDir), false);
});

test("on keeps the cache in the package", async () => {
  const { statusCode, codeCache } = await start("on");
  assert.equal(statusCode, 403);
  assert.ok(codeCache.file);
  assert.equal(path.basename(path.dirname(codeCache.file)), ".code-cache");
  assert.equal(path.basename(path.dirname(path.dirname(codeCache.file))), "dist");
  // A cache left by an earlier run of the built package is accepted; one written here is removed.
  assert.ok(["missing", "accepted"].includes(codeCache.state), codeCache.state);
  if (codeCache.written === true) rmSync(codeCache.file, { force: true });
});

test("concurrent first starts leave one cache", async () => {
  const cacheDir = freshCacheDir("concurrent");
  const results = await Promise.all([start(cacheDir), start(cacheDir), start(cacheDir)]);
  for (const result of results) assert.equal(result.statusCode, 403);
  assert.deepEqual(
    readdirSync(cacheDir).filter((name) => name.endsWith(".tmp")),
    [],
  );
  const next = await start(cacheDir);
  assert.equal(next.codeCache.state, "accepted");
});
