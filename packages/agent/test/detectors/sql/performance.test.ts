// Guards against super-linear behaviour in the lexers and the detector. A quadratic step on 1 MB takes
// minutes, so the bound below has room for a loaded machine and still fails on such a regression.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { detectSqlInjection, sqlDialects, tokenizeSql } from "../../../src/detectors/sql";
import type { UserInput } from "../../../src/detectors/types";

const SAMPLE_LENGTH = 1 << 20; // 1 MiB of UTF-16 code units

// Maximum CPU time in ms for tokenizing and judging one sample in one dialect. Measured worst case: about
// 1.3 s under tsx on a 2-core VM at load average 8 (a million tokens from `1,` in MySQL). The budget counts
// CPU time rather than wall time, so other processes on the machine do not count against it.
const CPU_BUDGET_MS = 4000;

function repeatTo(piece: string, length: number): string {
  return piece.repeat(Math.ceil(length / piece.length)).slice(0, length);
}

/** Returns pieces in a fixed pseudo-random order and run length, so every run tokenizes the same text. */
function mixedSample(pieces: readonly string[], length: number): string {
  const parts: string[] = [];
  let seed = 20240601;
  let size = 0;
  while (size < length) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const piece = pieces[seed % pieces.length] ?? "";
    const part = piece.repeat(((seed >> 8) % 40) + 1);
    parts.push(part);
    size += part.length;
  }
  return parts.join("").slice(0, length);
}

// prettier-ignore
const hostilePieces = ["'", "''", "\\", "\\'", '"', "`", "[", "/*", "*/", "/*!", "$$", "$a$", "--", "-- ", "#", "\n", "E'", "1,", "=+", "("];

const samples: Record<string, string> = {
  "single quotes": repeatTo("'", SAMPLE_LENGTH),
  backslashes: repeatTo("\\", SAMPLE_LENGTH),
  "backslash quote": repeatTo("\\'", SAMPLE_LENGTH),
  "nested comment openers": repeatTo("/*", SAMPLE_LENGTH / 2) + repeatTo("*/", SAMPLE_LENGTH / 2),
  "dollar quotes": repeatTo("$$$a$", SAMPLE_LENGTH),
  "line comments": repeatTo("-- #\n--", SAMPLE_LENGTH),
  "executable comments": repeatTo("/*!50000 1 */", SAMPLE_LENGTH),
  "value list": repeatTo("1,", SAMPLE_LENGTH),
  operators: repeatTo("=+", SAMPLE_LENGTH),
  mixed: mixedSample(hostilePieces, SAMPLE_LENGTH),
};

function inputsFor(sample: string): UserInput[] {
  const values = [
    "''",
    "\\\\",
    "/*",
    "$$",
    "-- ",
    "1,1",
    "'",
    "\\",
    sample.slice(SAMPLE_LENGTH / 2, SAMPLE_LENGTH / 2 + 65536),
    sample.slice(0, SAMPLE_LENGTH / 2),
  ];
  return values.map((value, index) => ({ source: "body", path: `body.v${index}`, value }));
}

describe("1 MiB of hostile text", { concurrency: false }, () => {
  for (const dialect of sqlDialects) {
    for (const [name, sample] of Object.entries(samples)) {
      test(`${dialect} ${name}`, () => {
        const before = process.cpuUsage();

        const tokens = tokenizeSql(sample, dialect);
        detectSqlInjection(sample, dialect, inputsFor(sample));

        const used = process.cpuUsage(before);
        const cpuMs = (used.user + used.system) / 1000;
        assert.equal(tokens.at(-1)?.end, sample.length);
        assert.ok(
          cpuMs < CPU_BUDGET_MS,
          `took ${cpuMs.toFixed(0)} ms of CPU, budget ${CPU_BUDGET_MS} ms`,
        );
        console.log(`# ${dialect} ${name}: ${tokens.length} tokens, ${cpuMs.toFixed(0)} ms CPU`);
      });
    }
  }
});

describe("detector fast path", () => {
  test("absent inputs skip tokenizing", () => {
    const sample = samples["value list"] ?? "";
    const absent = ["' OR 1=1 --", "admin'--", "1; DROP TABLE users", "x".repeat(1000)];
    const inputs = absent.map((value, index): UserInput => ({
      source: "query",
      path: `query.a${index}`,
      value,
    }));

    const tokenizing = process.cpuUsage();
    tokenizeSql(sample, "postgresql");
    const tokenizeUsage = process.cpuUsage(tokenizing);

    const detecting = process.cpuUsage();
    const finding = detectSqlInjection(sample, "postgresql", inputs);
    const detectUsage = process.cpuUsage(detecting);

    // Searching 1 MiB with indexOf takes about 1 ms per input, tokenizing it hundreds of ms.
    const tokenizeMs = (tokenizeUsage.user + tokenizeUsage.system) / 1000;
    const detectMs = (detectUsage.user + detectUsage.system) / 1000;
    assert.equal(finding, undefined);
    assert.ok(
      detectMs * 4 < tokenizeMs,
      `detection took ${detectMs} ms, tokenizing ${tokenizeMs} ms`,
    );
  });
});
