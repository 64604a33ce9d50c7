// Guards against super-linear behaviour in the path detector: each sample is a 1 MiB path judged
// against hostile inputs. A quadratic step on 1 MiB takes minutes, so the budget below fails on
// such a regression and still leaves room for a loaded machine.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { detectPathTraversal } from "../../../src/detectors/path";
import type { UserInput } from "../../../src/detectors/types";

const SAMPLE_LENGTH = 1 << 20; // 1 MiB of UTF-16 code units

// Maximum CPU time in ms to judge one sample. Measured: at most about 0.5 s per sample (200
// inputs that each occur in the path) under tsx on a 2-core VM at load average 2.
const CPU_BUDGET_MS = 4000;

// Maximum mean time per call in µs for paths that no input can steer. Measured: about 0.1 µs
// under tsx on the same VM; the bound leaves room for a loaded machine.
const FAST_PATH_BUDGET_US = 2;

function repeatTo(piece: string, length: number): string {
  return piece.repeat(Math.ceil(length / piece.length)).slice(0, length);
}

interface Sample {
  readonly path: string;
  readonly values: readonly string[];
}

const half = SAMPLE_LENGTH / 2;

const samples: Record<string, Sample> = {
  "climbs in path and input": {
    path: `/srv/app/${repeatTo("../", SAMPLE_LENGTH)}`,
    values: [repeatTo("../", half), "../", "..", "/"],
  },
  "near-miss input": {
    path: repeatTo("a", SAMPLE_LENGTH),
    values: [`${repeatTo("a", half)}../`, `../${repeatTo("a", half)}`],
  },
  separators: {
    path: repeatTo("/\\", SAMPLE_LENGTH),
    values: [repeatTo("\\/", half), `..${repeatTo("/", half)}`, "/"],
  },
  "encoded climbs": {
    path: `/srv/${repeatTo("%2e%2e%2f", SAMPLE_LENGTH)}`,
    values: [repeatTo("%252e%252e%252f", half), repeatTo("%c0%ae%c0%ae/", half)],
  },
  "filter evasion": {
    path: `/srv/${repeatTo("../", SAMPLE_LENGTH)}x`,
    values: [`${repeatTo("....//", half)}y`, `${repeatTo("....\\\\", half)}y`],
  },
  "many short inputs": {
    path: `/srv/app/${repeatTo("a/../", SAMPLE_LENGTH)}`,
    values: Array.from({ length: 200 }, (_, index) => `a/../${index}/..`),
  },
};

function cpuMilliseconds(run: () => void): number {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

describe("path detector performance", () => {
  for (const [name, sample] of Object.entries(samples)) {
    test(`1 MiB ${name} within budget`, () => {
      const inputs: UserInput[] = sample.values.map((value, index) => ({
        source: "body",
        path: `body.v${index}`,
        value,
      }));
      const elapsed = cpuMilliseconds(() => detectPathTraversal(sample.path, inputs));
      assert.ok(elapsed < CPU_BUDGET_MS, `${name}: ${elapsed.toFixed(0)} ms CPU`);
    });
  }
});

/** Inputs of an ordinary request: headers and a query value, none with `..`, NUL or a leading `/`. */
const ordinaryInputs: UserInput[] = [
  { source: "headers", path: "headers.host", value: "127.0.0.1:3000" },
  {
    source: "headers",
    path: "headers.user-agent",
    value: "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
  },
  { source: "headers", path: "headers.accept", value: "text/html,application/xhtml+xml,*/*;q=0.8" },
  { source: "headers", path: "headers.accept-language", value: "en-US,en;q=0.5" },
  { source: "headers", path: "headers.accept-encoding", value: "gzip, deflate, br" },
  { source: "headers", path: "headers.connection", value: "keep-alive" },
  { source: "path", path: "path.0", value: "files" },
  { source: "path", path: "path.1", value: "report.pdf" },
  { source: "query", path: "query.download", value: "1" },
];

function meanMicroseconds(calls: number, run: () => void): number {
  for (let warmup = 0; warmup < 10_000; warmup++) run();
  const start = process.hrtime.bigint();
  for (let call = 0; call < calls; call++) run();
  return Number(process.hrtime.bigint() - start) / 1000 / calls;
}

describe("path detector fast path", () => {
  test("ordinary request within budget", () => {
    const filePath = "/srv/app/node_modules/express/lib/view.js";
    const mean = meanMicroseconds(200_000, () => detectPathTraversal(filePath, ordinaryInputs));
    console.log(`# path fast path, no steering input: ${mean.toFixed(3)} µs per call`);
    assert.ok(mean < FAST_PATH_BUDGET_US, `${mean.toFixed(3)} µs per call`);
  });

  test("climbing input absent from path within budget", () => {
    const inputs = [
      ...ordinaryInputs,
      { source: "query" as const, path: "query.file", value: "../../etc/passwd" },
    ];
    const filePath = "/srv/app/node_modules/express/lib/view.js";
    const mean = meanMicroseconds(200_000, () => detectPathTraversal(filePath, inputs));
    console.log(`# path fast path, climbing input elsewhere: ${mean.toFixed(3)} µs per call`);
    assert.ok(mean < FAST_PATH_BUDGET_US * 2, `${mean.toFixed(3)} µs per call`);
  });
});
