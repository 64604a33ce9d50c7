import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

import { createSqliteDatabase, type TestDatabase } from "../helpers/databases";

const cliModule = pathToFileURL(
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src/cli.ts"),
).href;

/** Maximum wait for the control plane to print a line or exit, in milliseconds. */
const timeoutMs = 20_000;

/** Runs `rampart control` with `args` in a child process, as the command-line entry point does. */
function startCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  const script = `import(${JSON.stringify(cliModule)}).then((cli) => (cli.main ?? cli.default.main)(${JSON.stringify(args)})).then((code) => { process.exitCode = code; })`;
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (env.RAMPART_CONTROL_ADMIN_PASSWORD === undefined)
    delete childEnv.RAMPART_CONTROL_ADMIN_PASSWORD;
  return spawn(process.execPath, ["--import", "tsx", "-e", script], {
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Collects a child's output and resolves with its exit code and everything it printed. */
async function runToExit(
  child: ChildProcess,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk) => (stdout += String(chunk)));
  child.stderr?.on("data", (chunk) => (stderr += String(chunk)));
  const [code] = (await once(child, "exit", { signal: AbortSignal.timeout(timeoutMs) })) as [
    number | null,
  ];
  return { code, stdout, stderr };
}

async function rejectAfter(ms: number): Promise<never> {
  await new Promise((resolve) => setTimeout(resolve, ms).unref());
  throw new Error(`timed out after ${ms} ms`);
}

async function signInStatus(url: string, username: string, password: string): Promise<number> {
  const response = await fetch(`${url}/api/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Starts the control plane on a free port; resolves with the child, its URL and the first-sign-in line. */
async function serve(
  database: string,
): Promise<{ child: ChildProcess; url: string; output: string[] }> {
  const child = startCli(["--port", "0", "--database", database]);
  const output: string[] = [];
  const listening = new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      output.push(line);
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match !== null) resolve(match[1] as string);
    });
    lines.on("close", () => reject(new Error("stdout ended before the listening line")));
  });
  const url = await Promise.race([listening, rejectAfter(timeoutMs)]);
  // The first-sign-in line follows the listening line at once.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return { child, url, output };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  await exited;
}

describe("rampart control start-up", () => {
  let database: TestDatabase;
  let blocker: net.Server;
  /** The first admin's generated password, printed by the first successful start. */
  let firstPassword: string | undefined;

  before(async () => {
    database = await createSqliteDatabase();
    blocker = net.createServer();
    blocker.listen(0, "127.0.0.1");
    await once(blocker, "listening");
  });

  after(async () => {
    blocker.close();
    await database.drop();
  });

  test("taken port stores no admin", async () => {
    const port = (blocker.address() as net.AddressInfo).port;
    const failed = await runToExit(
      startCli(["--port", String(port), "--database", database.location]),
    );
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /failed to listen on 127\.0\.0\.1:\d+/);
    assert.doesNotMatch(failed.stdout, /First sign-in/);

    // The next start creates the first admin and prints its password.
    const { child, url, output } = await serve(database.location);
    try {
      const line = output.find((text) => text.startsWith("First sign-in"));
      assert.ok(line !== undefined, output.join("\n"));
      firstPassword = /password "([^"]+)"/.exec(line)?.[1];
      assert.ok(firstPassword !== undefined, line);
      assert.equal(await signInStatus(url, "admin", firstPassword), 200);
    } finally {
      await stop(child);
    }
  });

  test("password reset signs in, old one fails", async () => {
    assert.ok(firstPassword !== undefined, "the previous test printed the first password");

    const reset = await runToExit(
      startCli(["--reset-admin-password", "--database", database.location]),
    );
    assert.equal(reset.code, 0, reset.stderr);
    const newPassword = /New password of "admin": "([^"]+)"/.exec(reset.stdout)?.[1];
    assert.ok(newPassword !== undefined, reset.stdout);

    const { child, url } = await serve(database.location);
    try {
      assert.equal(await signInStatus(url, "admin", newPassword), 200);
      assert.equal(await signInStatus(url, "admin", firstPassword), 401);
    } finally {
      await stop(child);
    }
  });

  test("reset of an unknown admin fails", async () => {
    const result = await runToExit(
      startCli(["--reset-admin-password", "--database", database.location], {
        RAMPART_CONTROL_ADMIN: "nobody",
      }),
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no admin named "nobody"/);
  });
});
