import assert from "node:assert/strict";
import { after, describe, test } from "node:test";

import { startApp, type RunningApp, type AppOptions } from "../helpers/app-process";

const shellAttack = encodeURIComponent("x; id");
const sqlAttack = encodeURIComponent("x' OR '1'='1");

async function expectShellBlocked(app: RunningApp): Promise<void> {
  const blocked = await fetch(`${app.url}/?name=${shellAttack}`);
  assert.equal(blocked.status, 403, `the injected command is blocked; stderr:\n${app.stderr()}`);
  const body = (await blocked.json()) as { event_id: string };

  const event = await app.waitForEvent(body.event_id);
  assert.ok(event, `event ${body.event_id} was written; stderr:\n${app.stderr()}`);
  assert.equal(event.attack_type, "shell_injection");
  assert.equal(event.input.path, "query.name");
  assert.equal(event.request.path, "/");

  const benign = await fetch(`${app.url}/?name=alice`);
  assert.equal(benign.status, 200, app.stderr());
  const served = (await benign.json()) as { output: string; threadId: number };
  assert.equal(served.output, "alice\n");
  assert.notEqual(served.threadId, 0, "a worker thread served the request");
}

describe("worker threads", () => {
  const apps: RunningApp[] = [];
  after(() => Promise.all(apps.map((app) => app.stop())));

  async function start(
    script: string,
    loader: AppOptions["loader"],
    env: Record<string, string> = {},
  ): Promise<RunningApp> {
    const app = await startApp({ script, loader, env });
    apps.push(app);
    return app;
  }

  test("server in worker with --require", async () => {
    await expectShellBlocked(await start("worker-http.cjs", "require"));
  });

  test("server in worker with --import", async () => {
    await expectShellBlocked(await start("worker-http.cjs", "import"));
  });

  test("worker with empty execArgv calling protect()", async () => {
    const app = await start("worker-http.cjs", "none", {
      WORKER_EXEC_ARGV: "none",
      WORKER_PROTECT: "1",
    });
    await expectShellBlocked(app);
  });

  test("worker with empty execArgv is unprotected", async () => {
    // The agent is loaded in the main thread, but the worker gets no --require and never calls
    // protect(): nothing patches that thread, so the command runs.
    const app = await start("worker-http.cjs", "require", { WORKER_EXEC_ARGV: "none" });
    const response = await fetch(`${app.url}/?name=${shellAttack}`);
    assert.equal(response.status, 200, app.stderr());
    const body = (await response.json()) as { output: string };
    assert.match(body.output, /uid=\d+/);
    assert.deepEqual(await app.waitForEvents(1, 500), []);
  });

  test("input sent to a worker is not traced", async () => {
    // The request context lives in the main thread's async context. The worker receives the input
    // as a plain message, so its SQL query runs outside any request and is not judged.
    const app = await start("worker-sql.cjs", "require");
    const response = await fetch(`${app.url}/?name=${sqlAttack}`);
    assert.equal(response.status, 200, app.stderr());
    const body = (await response.json()) as { rows: Array<{ id: number }> };
    assert.equal(body.rows.length, 2, "the injected condition matched every row");
    assert.deepEqual(await app.waitForEvents(1, 500), []);
  });
});
