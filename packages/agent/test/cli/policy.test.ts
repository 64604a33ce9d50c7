import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const cliPath = path.resolve(here, "../../dist/cli/main.js");
const fixtures = path.resolve(here, "../fixtures");
const examples = path.resolve(here, "../../../../examples/policies");
const workDir = mkdtempSync(path.join(tmpdir(), "rampart-policy-cli-"));

after(() => rmSync(workDir, { recursive: true, force: true }));

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `rampart` with a clean RAMPART_* environment plus `env`. */
function rampart(
  args: string[],
  env: Record<string, string> = {},
  cwd = workDir,
): Promise<CliResult> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("RAMPART_")),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cliPath, ...args],
      { env: { ...clean, ...env }, cwd },
      (error, stdout, stderr) => {
        let code = 0;
        if (error !== null) code = typeof error.code === "number" ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function writeFile(name: string, text: string): string {
  const file = path.join(workDir, name);
  writeFileSync(file, text);
  return file;
}

describe("rampart policy validate", () => {
  test("valid file exits 0 with its version", async () => {
    const result = await rampart(["policy", "validate", path.join(fixtures, "policy-good.yaml")]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /policy-good\.yaml: valid policy, version 2026\.12\.1\n$/);
  });

  test("broken file exits 1 listing every error", async () => {
    const file = path.join(fixtures, "policy-broken.yaml");
    const result = await rampart(["policy", "validate", file]);
    assert.equal(result.code, 1);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 18, result.stderr);
    assert.equal(
      lines[1],
      `${file}:3: mode: invalid value "blok"; expected one of off, monitor, block`,
    );
    assert.match(
      lines[2] ?? "",
      /:6: detectors\.sqli: unknown attack type; expected one of sql_injection, /,
    );
    assert.equal(lines.at(-1), `${file}: invalid policy (17 problem(s))`);
  });

  test("missing argument is a usage error", async () => {
    const result = await rampart(["policy", "validate"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /validate expects 1 argument\(s\), got 0/);
  });
});

describe("rampart policy test", () => {
  test("worked example cases pass", async () => {
    const result = await rampart([
      "policy",
      "test",
      path.join(examples, "5-block.yaml"),
      path.join(examples, "cases.yaml"),
    ]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(
      result.stdout,
      /^ok {3}traversal through the file download: blocked; path_traversal at query\.name/m,
    );
    assert.match(
      result.stdout,
      /^ok {3}sort file lookup is allowed on \/search: allowed; path_traversal at query\.sort/m,
    );
    assert.match(result.stdout, /^8 of 8 cases passed \(policy version shop-5\)$/m);
  });

  test("monitor policy fails the block expectations", async () => {
    const result = await rampart([
      "policy",
      "test",
      path.join(examples, "1-monitor.yaml"),
      path.join(examples, "cases.yaml"),
    ]);
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      /^FAIL traversal through the file download: monitored \(expected blocked\)/m,
    );
    assert.match(result.stdout, /^ok {3}plain file name reaches no finding: allowed; no finding$/m);
    assert.match(result.stdout, /^2 of 8 cases passed/m);
  });

  test("canary is off in tests", async () => {
    const policy = writeFile("canary.yaml", "mode: block\ncanary: { percent: 1 }\n");
    const cases = writeFile(
      "canary-cases.yaml",
      Array.from({ length: 20 }, (_, index) =>
        [
          `- name: case ${index}`,
          "  path: /files",
          "  query: { name: ../../etc/passwd }",
          "  sink: path",
          "  operation: /srv/public/../../etc/passwd",
          "  expect: blocked",
        ].join("\n"),
      ).join("\n") + "\n",
    );
    const result = await rampart(["policy", "test", policy, cases]);
    assert.equal(result.code, 0, result.stdout);
  });

  test("invalid cases file names the line", async () => {
    const cases = writeFile(
      "bad-cases.yaml",
      "- path: /x\n  sink: sql\n  operation: SELECT 1\n  expect: blockd\n",
    );
    const result = await rampart(["policy", "test", path.join(examples, "5-block.yaml"), cases]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /bad-cases\.yaml:4: \[0\]\.expect: invalid value "blockd"; expected one of blocked, monitored, allowed/,
    );
  });
});

describe("rampart policy explain", () => {
  test("marks environment overrides", async () => {
    const result = await rampart(["policy", "explain", path.join(fixtures, "policy-good.yaml")], {
      RAMPART_MODE: "monitor",
      RAMPART_DETECTOR_MODES: "xss=block",
      RAMPART_REDACT_KEYS: "order_id",
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^policy version: 2026\.12\.1$/m);
    assert.match(result.stdout, /^mode +monitor +env RAMPART_MODE \(overrides file: block\)$/m);
    assert.match(
      result.stdout,
      /^detectors\.xss +block +env RAMPART_DETECTOR_MODES \(overrides file: monitor\)$/m,
    );
    assert.match(result.stdout, /^detectors\.path_traversal +block +file$/m);
    assert.match(result.stdout, /^detectors\.sql_injection +monitor +global mode$/m);
    assert.match(
      result.stdout,
      /^redaction\.keys +customer_ref,order_id +env RAMPART_REDACT_KEYS/m,
    );
    assert.match(result.stdout, /^ssrf\.allowHosts +billing\.internal,10\.1\.0\.0\/16 +file$/m);
    assert.match(result.stdout, /^events +\(default\) +default$/m);
    assert.match(result.stdout, /^canary: \{"percent":10,"by":"request"\}$/m);
  });

  test("finds rampart.policy.yaml in the working directory", async () => {
    const dir = mkdtempSync(path.join(workDir, "app-"));
    writeFileSync(path.join(dir, "rampart.policy.yaml"), "version: local-1\nmode: block\n");
    const result = await rampart(["policy", "explain"], {}, dir);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^policy version: local-1$/m);
    assert.match(result.stdout, /^mode +block +file$/m);
  });

  test("without a file shows environment only", async () => {
    const result = await rampart(["policy", "explain"], { RAMPART_MODE: "block" });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^policy file: none/m);
    assert.match(result.stdout, /^mode +block +env RAMPART_MODE$/m);
  });
});
