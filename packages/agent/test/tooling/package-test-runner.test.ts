// The repository's test runner (scripts/run-package-tests.mjs) runs each test file in its own
// process with --test-force-exit. These tests give it a package whose files report more than a
// pipe buffer of results, and check that every result reaches the report.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const runner = path.join(repoRoot, "scripts", "run-package-tests.mjs");

// 40 files of 50 tests whose names are 8,000 characters long: each file reports at least 400 KB of
// test names, several times the 64 KiB buffer of a Linux pipe. Without the runner's blocking
// stdout, 5 runs of such files on Node.js 20.20 each lost 20 to 37 results, and 1 of 2 runs of
// these tests lost the failing test's name.
const fileCount = 40;
const testsPerFile = 50;
const nameLength = 8_000;
const failingTest = "last test of the last file fails";

interface RunnerOutput {
  status: number | null;
  stdout: string;
}

let packageDir: string;
let result: RunnerOutput;

/**
 * Runs the runner on the generated package. NODE_TEST_CONTEXT, which Node's test runner sets in
 * each test file's process, would make the nested runner report to this process as a child does.
 */
function runPackageTests(): RunnerOutput {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const run = spawnSync(process.execPath, [runner, packageDir], {
    env,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    timeout: 120_000,
  });
  return { status: run.status, stdout: run.stdout };
}

before(() => {
  // Inside the repository, so that the runner's `--import tsx` resolves from the package folder.
  const cacheDir = path.join(repoRoot, "node_modules", ".cache");
  mkdirSync(cacheDir, { recursive: true });
  packageDir = mkdtempSync(path.join(cacheDir, "rampart-runner-test-"));
  mkdirSync(path.join(packageDir, "test"));

  for (let file = 1; file <= fileCount; file++) {
    const failing =
      file === fileCount
        ? `test(${JSON.stringify(failingTest)}, () => { throw new Error("expected failure"); });`
        : "";
    const count = file === fileCount ? testsPerFile - 1 : testsPerFile;
    const source = [
      'import { test } from "node:test";',
      `const padding = "x".repeat(${nameLength});`,
      `for (let index = 0; index < ${count}; index++) test(\`test \${index} \${padding}\`, () => {});`,
      failing,
    ].join("\n");
    writeFileSync(path.join(packageDir, "test", `file-${file}.test.ts`), source);
  }

  result = runPackageTests();
});

after(() => {
  rmSync(packageDir, { recursive: true, force: true });
});

/** Returns a count from the spec reporter's summary (`ℹ tests 2000`), or undefined when missing. */
function summaryCount(stdout: string, name: string): number | undefined {
  const match = new RegExp(`^ℹ ${name} (\\d+)$`, "m").exec(stdout);
  return match === null ? undefined : Number(match[1]);
}

test("every result reaches the report", () => {
  assert.equal(result.status, 1, `runner output ends with:\n${result.stdout.slice(-2000)}`);
  assert.equal(summaryCount(result.stdout, "tests"), fileCount * testsPerFile);
  assert.equal(summaryCount(result.stdout, "pass"), fileCount * testsPerFile - 1);
  assert.equal(summaryCount(result.stdout, "fail"), 1);
});

test("failing last test named", () => {
  const failures = result.stdout.slice(result.stdout.lastIndexOf("failing tests:"));
  assert.ok(failures.includes(failingTest), `failures listed:\n${failures.slice(0, 2000)}`);
  assert.ok(failures.includes("expected failure"));
});
