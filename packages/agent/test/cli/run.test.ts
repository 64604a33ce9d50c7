import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { HttpClient } from "../helpers/http-client";

const here = path.dirname(fileURLToPath(import.meta.url));
const cliPath = path.resolve(here, "../../bin/rampart.cjs");
const fixtures = path.resolve(here, "../fixtures");
const workDir = mkdtempSync(path.join(tmpdir(), "rampart-run-"));

after(() => rmSync(workDir, { recursive: true, force: true }));

const attack = encodeURIComponent("x' OR '1'='1");

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  readonly eventsFile: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code and signal of the process started by the test. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Environment without RAMPART_* settings or NODE_OPTIONS of the test runner, plus `env`. */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith("RAMPART_") && name !== "NODE_OPTIONS",
    ),
  );
  return { ...clean, ...env };
}

let started = 0;

/** Starts `argv` in the fixtures folder, events going to a fresh file, and waits for the listening line. */
async function start(argv: string[], env: Record<string, string> = {}): Promise<Started> {
  const eventsFile = path.join(workDir, `events-${started++}.jsonl`);
  const [file, ...args] = argv as [string, ...string[]];
  const child = spawn(file, args, {
    cwd: fixtures,
    env: cleanEnv({
      PORT: "0",
      RAMPART_MODE: "block",
      RAMPART_EVENTS: eventsFile,
      RAMPART_SNAPSHOTS: "off",
      ...env,
    }),
    stdio: ["pipe", "pipe", "pipe"],
  });

  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );

  const deadline = Date.now() + 15_000;
  let match: RegExpExecArray | null = null;
  while (match === null) {
    match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`app did not start; stderr:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  return {
    child,
    url: match[1] as string,
    eventsFile,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
  };
}

function readEvents(file: string): Array<{ event_id: string; input: { path: string } }> {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as { event_id: string; input: { path: string } });
}

async function waitForEvent(file: string, eventId: string): Promise<{ input: { path: string } }> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    let events: ReturnType<typeof readEvents> = [];
    try {
      events = readEvents(file);
    } catch {
      // The file appears with the first event.
    }
    const event = events.find((candidate) => candidate.event_id === eventId);
    if (event !== undefined) return event;
    if (Date.now() > deadline) throw new Error(`event ${eventId} not written to ${file}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Sends one attack and one benign request, and checks that only the attack was stopped. */
async function assertProtected(app: Started): Promise<void> {
  const client = new HttpClient(app.url);
  try {
    const blocked = await client.get(`/items?name=${attack}`);
    assert.equal(blocked.status, 403, blocked.body);
    const { event_id: eventId } = JSON.parse(blocked.body) as { event_id: string };
    const event = await waitForEvent(app.eventsFile, eventId);
    assert.equal(event.input.path, "query.name");

    const benign = await client.get("/items?name=apple");
    assert.equal(benign.status, 200, benign.body);
    assert.deepEqual(JSON.parse(benign.body), [{ id: 1, name: "apple" }]);
  } finally {
    client.close();
  }
}

function rampartRun(script: string): string[] {
  return [process.execPath, cliPath, "run", "--", process.execPath, script];
}

describe("rampart run", () => {
  test("CommonJS app blocked and exit code forwarded", async () => {
    const app = await start(rampartRun("run-app.cjs"));
    await assertProtected(app);

    const client = new HttpClient(app.url);
    await client.get("/exit?code=7").finally(() => client.close());
    assert.deepEqual(await app.exited, { code: 7, signal: null });
  });

  test("CommonJS app receives forwarded SIGTERM", async () => {
    const app = await start(rampartRun("run-app.cjs"));
    app.child.kill("SIGTERM");

    assert.deepEqual(await app.exited, { code: 0, signal: null });
    assert.match(app.stdout(), /received SIGTERM\n/);
  });

  test("ES module app blocked and killed by SIGTERM", async () => {
    const app = await start(rampartRun("run-app.mjs"));
    await assertProtected(app);
    app.child.kill("SIGTERM");

    // The app has no SIGTERM handler, so it dies of the signal, and rampart dies of it too.
    assert.deepEqual(await app.exited, { code: null, signal: "SIGTERM" });
  });

  test("keeps existing NODE_OPTIONS", async () => {
    const app = await start(rampartRun("run-app.cjs"), {
      NODE_OPTIONS: "--max-old-space-size=200",
    });
    const client = new HttpClient(app.url);
    const blocked = await client.get(`/items?name=${attack}`).finally(() => client.close());
    assert.equal(blocked.status, 403);
    app.child.kill("SIGTERM");
    await app.exited;
  });

  test("stdin passed through", async () => {
    const child = spawn(
      process.execPath,
      [cliPath, "run", process.execPath, "-e", "process.stdin.pipe(process.stdout)"],
      { env: cleanEnv({ RAMPART_LOG_LEVEL: "silent" }), stdio: ["pipe", "pipe", "pipe"] },
    );
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stdin.end("hello through rampart\n");
    const code = await new Promise((resolve) => child.once("exit", resolve));

    assert.equal(code, 0);
    assert.equal(stdout, "hello through rampart\n");
  });

  test("missing command exits 127", async () => {
    const child = spawn(process.execPath, [cliPath, "run", "--", "rampart-no-such-command"], {
      env: cleanEnv({}),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.once("exit", resolve));

    assert.equal(code, 127);
    assert.match(stderr, /command not found: rampart-no-such-command/);
  });

  test("no command exits 2 with usage", async () => {
    const child = spawn(process.execPath, [cliPath, "run"], {
      env: cleanEnv({}),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.once("exit", resolve));

    assert.equal(code, 2);
    assert.match(stderr, /missing COMMAND to run/);
    assert.match(stderr, /Usage:\n {2}rampart run/);
  });
});

describe("NODE_OPTIONS preload", () => {
  test("CommonJS app with --require rampart/register", async () => {
    const app = await start([process.execPath, "run-app.cjs"], {
      NODE_OPTIONS: "--require rampart/register",
    });
    await assertProtected(app);
    app.child.kill("SIGTERM");
    assert.deepEqual(await app.exited, { code: 0, signal: null });
  });

  test("ES module app with --import rampart/register", async () => {
    const app = await start([process.execPath, "run-app.mjs"], {
      NODE_OPTIONS: "--import rampart/register",
    });
    await assertProtected(app);
    app.child.kill("SIGTERM");
    assert.deepEqual(await app.exited, { code: null, signal: "SIGTERM" });
  });
});
