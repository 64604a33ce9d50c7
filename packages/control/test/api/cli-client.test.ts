import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";

import { runClientCommand } from "../../src/cli-client";
import { adminPassword, startControl, type RunningControl } from "../helpers/control-client";
import { createSqliteDatabase, type TestDatabase } from "../helpers/databases";

/** Collects what a command writes. */
function capture(): { stream: Writable; text: () => string } {
  let text = "";
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = capture();
  const stderr = capture();
  const code = await runClientCommand(args, { stdout: stdout.stream, stderr: stderr.stream });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe("control CLI client", () => {
  let database: TestDatabase;
  let control: RunningControl;
  let dir: string;

  before(async () => {
    database = await createSqliteDatabase();
    control = await startControl(database);
    dir = mkdtempSync(path.join(tmpdir(), "rampart-cli-client-"));
    process.env.RAMPART_CONTROL_ADMIN_PASSWORD = adminPassword;
  });
  after(async () => {
    delete process.env.RAMPART_CONTROL_ADMIN_PASSWORD;
    await control?.stop();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("push stores a version and rolls it out", async () => {
    const file = path.join(dir, "rampart.policy.yaml");
    writeFileSync(file, "mode: block\n");
    const args = [
      "policy",
      "push",
      file,
      "--url",
      control.plane.url,
      "--service",
      "shop",
      "--environment",
      "prod",
    ];

    const result = await run([...args, "--canary", "100", "--comment", "block everything"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^stored shop\/prod@1 /);
    assert.match(result.stdout, /rollout .*: promoted at 100%/);

    const rollouts = await control.admin.request<{ rollouts: { state: string }[] }>(
      "GET",
      "/api/rollouts?service=shop&environment=prod",
    );
    assert.equal(rollouts.body.rollouts[0]?.state, "promoted");

    const listed = await run(["policy", "list", "--url", control.plane.url, "--service", "shop"]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^shop\/prod@1\tadmin\tblock everything$/m);
  });

  test("invalid policy fails with the problems", async () => {
    const file = path.join(dir, "broken.yaml");
    writeFileSync(file, "mode: blok\n");
    const result = await run([
      "policy",
      "push",
      file,
      "--url",
      control.plane.url,
      "--service",
      "shop",
      "--environment",
      "prod",
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /failed with 422: the policy is invalid:\nshop\/prod:1: mode/);
  });

  test("wrong password and bad usage", async () => {
    process.env.RAMPART_CONTROL_ADMIN_PASSWORD = "wrong";
    const wrong = await run(["policy", "list", "--url", control.plane.url]);
    process.env.RAMPART_CONTROL_ADMIN_PASSWORD = adminPassword;
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /sign-in at .* failed with 401/);

    const usage = await run(["policy", "delete"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /Usage: rampart control policy push/);
    const noUrl = await run(["policy", "list"]);
    assert.equal(noUrl.code, 1);
    assert.match(noUrl.stderr, /--url is required/);
  });
});
