import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { Ajv2020 } from "ajv/dist/2020.js";
import { parse as parseYaml } from "yaml";

import { formatProblem, loadPolicyFile, parsePolicyText } from "../../src/policy/load";
import { policySchema } from "../../src/policy/schema";

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.resolve(here, "../fixtures");
const repoRoot = path.resolve(here, "../../../..");
const examplesDir = path.join(repoRoot, "examples/policies");

/** The problems of a fixture, formatted as the agent logs them, with the directory left out. */
function problemLines(name: string): string[] {
  const result = loadPolicyFile(path.join(fixtures, name));
  assert.equal(result.ok, false, `${name} should be rejected`);
  return result.ok
    ? []
    : result.problems.map((problem) => formatProblem({ ...problem, file: name }));
}

// The JSON Schema published for editors and CI; `x-key` only names keys in the agent's messages.
const ajv = new Ajv2020({ allErrors: true, strict: false });
const validateWithAjv = ajv.compile(
  JSON.parse(readFileSync(path.join(repoRoot, "docs/policy.schema.json"), "utf8")),
);

const goodFiles = [
  path.join(fixtures, "policy-good.yaml"),
  ...readdirSync(examplesDir)
    .filter((name) => /^\d-.*\.yaml$/.test(name))
    .map((name) => path.join(examplesDir, name)),
];

describe("policy schema", () => {
  test("good files pass", () => {
    for (const file of goodFiles) {
      const result = loadPolicyFile(file);
      assert.equal(
        result.ok,
        true,
        `${file}: ${result.ok ? "" : result.problems.map(formatProblem).join("\n")}`,
      );
    }
  });

  test("broken YAML lists every error with its line", () => {
    const lines = problemLines("policy-broken.yaml");
    const attackTypeList = "expected one of sql_injection, shell_injection, argument_injection";
    const expected = [
      'policy-broken.yaml:2: version: invalid value "release 1"; expected text matching /^[\\w.:+-]{1,64}$/',
      'policy-broken.yaml:3: mode: invalid value "blok"; expected one of off, monitor, block',
      `policy-broken.yaml:6: detectors.sqli: unknown attack type; ${attackTypeList}`,
      'policy-broken.yaml:7: detectors.xss: invalid value "sometimes"; expected one of off, monitor, block',
      `policy-broken.yaml:11: allow[0].attackType: invalid value "sqli"; ${attackTypeList}`,
      "policy-broken.yaml:12: allow[1]: must set at least one of route, method, input, attackType, clientIp",
      'policy-broken.yaml:13: allow[2].clientIp: invalid address block "10.0.0.300"; expected an IP address or CIDR',
      "policy-broken.yaml:15: sampling.rate: 1.5 is out of range; expected from 0 to 1",
      "policy-broken.yaml:17: sampling.detectors.ssrf: -0.1 is out of range; expected from 0 to 1",
      'policy-broken.yaml:18: canary: missing required key "percent"',
      "policy-broken.yaml:21: blockResponse.status: 200 is out of range; expected from 400 to 599",
      "policy-broken.yaml:22: blockResponse.json: not valid JSON once placeholders are filled in",
      'policy-broken.yaml:24: trustedProxies[0]: invalid address block "10.0.0.0/33"; expected an IP address or CIDR such as 10.0.0.0/8',
      'policy-broken.yaml:26: ssrf.allowHosts[0]: invalid host "bad host"; expected a host name, IP address or CIDR block',
      "policy-broken.yaml:27: hookEval: expected a boolean, got string",
      'policy-broken.yaml:30: telemetry.webhook.url: invalid value "ftp://example.invalid/hook"; expected text matching /^https?:///',
      "policy-broken.yaml:31: unknownKey: unknown policy key; expected one of version, mode, detectors",
    ];
    assert.equal(lines.length, expected.length, lines.join("\n"));
    for (const [index, prefix] of expected.entries()) {
      assert.ok(
        lines[index]?.startsWith(prefix),
        `line ${index}:\n  got      ${lines[index]}\n  expected ${prefix}`,
      );
    }
  });

  test("broken JSON gets line numbers", () => {
    assert.deepEqual(problemLines("policy-broken.json"), [
      `policy-broken.json:5: detectors.sqli: unknown attack type; expected one of ${policySchema().properties?.detectors?.properties === undefined ? "" : Object.keys(policySchema().properties!.detectors!.properties!).join(", ")}`,
      "policy-broken.json:7: canary.percent: 150 is out of range; expected from 0 to 100",
    ]);
  });

  test("syntax errors name their line", () => {
    // Written here, not kept as a fixture, because the repository's format check parses fixtures.
    const text =
      "mode: block\ndetectors:\n  sql_injection: block\n  sql_injection: monitor\nallow: [\n";
    const result = parsePolicyText(text, "policy-syntax.yaml");
    assert.equal(result.ok, false);
    const lines = result.ok ? [] : result.problems.map(formatProblem);
    assert.ok(
      lines.some((line) =>
        line.startsWith("policy-syntax.yaml:4: (syntax): Map keys must be unique"),
      ),
      lines.join("\n"),
    );
    assert.ok(
      lines.some(
        (line) => /^policy-syntax\.yaml:\d+: \(syntax\): /.test(line) && !line.includes("unique"),
      ),
      lines.join("\n"),
    );
  });

  test("missing file is one problem", () => {
    const result = loadPolicyFile(path.join(fixtures, "policy-missing.yaml"));
    assert.equal(result.ok, false);
    assert.match(
      result.ok ? "" : formatProblem(result.problems[0]!),
      /policy-missing\.yaml: \(file\): failed to read the policy file: ENOENT/,
    );
  });

  test("version defaults to content hash", () => {
    const first = parsePolicyText("mode: block\n", "a.yaml");
    const second = parsePolicyText("mode: monitor\n", "a.yaml");
    const named = parsePolicyText("version: v7\nmode: block\n", "a.yaml");
    assert.ok(first.ok);
    assert.ok(second.ok);
    assert.ok(named.ok);
    assert.match(first.policy.version, /^sha256:[0-9a-f]{12}$/);
    assert.notEqual(first.policy.version, second.policy.version);
    assert.equal(named.policy.version, "v7");
  });

  test("empty file is the default policy", () => {
    const result = parsePolicyText("# nothing set yet\n", "empty.yaml");
    assert.equal(result.ok, true);
  });

  test("gate keys use the gate schema", () => {
    const accepted = parsePolicyText("store:\n  type: memory\n", "gate.yaml");
    assert.equal(accepted.ok, true);
    const rejected = parsePolicyText("store:\n  type: memory\n  colour: red\n", "gate.yaml");
    assert.equal(rejected.ok, false);
    assert.match(
      rejected.ok ? "" : formatProblem(rejected.problems[0]!),
      /^gate\.yaml:3: store\.colour: unknown key/,
    );
  });
});

describe("published JSON Schema", () => {
  test("docs and package copies match the agent", () => {
    // Compared as data: the files are formatted by prettier, `rampart policy schema` is not.
    const generated: unknown = JSON.parse(JSON.stringify(policySchema()));
    for (const file of ["docs/policy.schema.json", "packages/agent/policy.schema.json"]) {
      const published: unknown = JSON.parse(readFileSync(path.join(repoRoot, file), "utf8"));
      assert.deepEqual(
        published,
        generated,
        `${file} differs; regenerate with rampart policy schema`,
      );
    }
  });

  test("ajv accepts the good files", () => {
    for (const file of goodFiles) {
      const valid = validateWithAjv(parseYaml(readFileSync(file, "utf8")) ?? {});
      assert.equal(valid, true, `${file}: ${JSON.stringify(validateWithAjv.errors)}`);
    }
  });

  test("ajv rejects the broken files", () => {
    for (const name of ["policy-broken.yaml", "policy-broken.json"]) {
      const document = parseYaml(readFileSync(path.join(fixtures, name), "utf8"));
      assert.equal(validateWithAjv(document), false, `${name} should be rejected by ajv`);
    }
  });

  test("ajv and the agent agree per key", () => {
    const cases = [
      "mode: block",
      "mode: blok",
      "detectors: { sqli: block }",
      "allow: [{ comment: only }]",
      "allow: [{ attackType: [xss, ssrf] }]",
      "sampling: { rate: 0.5, routes: [{ route: /health, rate: 0 }] }",
      "sampling: { routes: [{ route: /health }] }",
      "canary: { percent: 101 }",
      "blockResponse: { status: 302 }",
      "clientIpHeader: x-real-ip",
      "telemetry: { prometheus: { port: 70000 } }",
      "snapshots: { capture: sometimes }",
    ];
    for (const text of cases) {
      const agent = parsePolicyText(`${text}\n`, "case.yaml").ok;
      assert.equal(validateWithAjv(parseYaml(text)), agent, `${text}: agent says ${agent}`);
    }
  });
});
