import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { fixturesDir } from "../helpers/app-process";

interface Outcome {
  readonly label: string;
  readonly statusCode?: number;
  readonly body?: string;
  readonly error?: string;
}

interface Report {
  readonly builtinsAtStart: string[];
  readonly outcomes: Outcome[];
}

const workDir = mkdtempSync(path.join(tmpdir(), "rampart-lambda-deferred-"));
after(() => rmSync(workDir, { recursive: true, force: true }));

function runFixture(): Promise<Report> {
  const env = {
    ...process.env,
    NODE_OPTIONS: "",
    RAMPART_MODE: "block",
    RAMPART_EVENTS: path.join(workDir, "events.jsonl"),
    RAMPART_SNAPSHOT_DIR: path.join(workDir, "snapshots"),
    RAMPART_LOG_LEVEL: "warn",
  };
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(fixturesDir, "lambda-deferred.cjs")],
      { cwd: fixturesDir, env, timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error !== null) reject(new Error(`${error.message}\nstderr:\n${stderr}`));
        else resolve(JSON.parse(stdout) as Report);
      },
    );
  });
}

describe("built-in modules patched when a Lambda function loads them", () => {
  let report: Report;
  before(async () => {
    report = await runFixture();
  });

  function outcome(label: string): Outcome {
    const found = report.outcomes.find((candidate) => candidate.label === label);
    assert.ok(found, `no outcome named ${label}`);
    return found;
  }

  test("start loads no unused built-ins", () => {
    for (const builtin of ["child_process", "http", "https", "http2", "tls", "net", "dns"]) {
      assert.ok(
        !report.builtinsAtStart.includes(builtin),
        `${builtin} was loaded at start: ${report.builtinsAtStart.join(" ")}`,
      );
    }
  });

  test("required child_process patched", () => {
    assert.equal(outcome("required shell, benign").statusCode, 200);
    assert.equal(outcome("required shell, benign").body, "hello\n");
    assert.equal(outcome("required shell, attack").statusCode, 403);
  });

  test("fs.promises first read patched", () => {
    assert.equal(outcome("fs.promises, benign").statusCode, 200);
    assert.match(outcome("fs.promises, benign").body ?? "", /Lambda handlers whose built-in/);
    assert.equal(outcome("fs.promises, attack").statusCode, 403);
  });

  test("imported module patched next invocation", () => {
    assert.equal(outcome("imported shell, import").body, "imported");
    assert.equal(outcome("imported shell, attack").statusCode, 403);
  });
});
