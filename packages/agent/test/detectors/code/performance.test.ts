import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { detectCodeInjection, tokenize } from "../../../src/detectors/code";
import type { UserInput } from "../../../src/detectors/types";

/** Upper bound for tokenizing or judging 1 MB of hostile text, in milliseconds, with room for a busy 2-core machine. */
const megabyteBudgetMs = 2_000;

const megabyte = 1 << 20;

// Texts that stress one scanner each: unclosed openers, nested substitutions, escapes, and
// inputs that occur at every offset.
const hostileTexts: Record<string, string> = {
  quotes: "'".repeat(megabyte),
  backslashes: "\\".repeat(megabyte),
  "template openers": "`${".repeat(megabyte / 3),
  "brace closers": "`${".repeat(1000) + "}".repeat(megabyte - 3000),
  "regex openers": "=/[".repeat(megabyte / 3),
  "comment openers": "/*".repeat(megabyte / 2),
  punctuators: "?.>>>=".repeat(megabyte / 6),
  "unicode escapes": "\\u{".repeat(megabyte / 3),
  "mixed pieces": "a'b\"c`d${e}/f/g//h\n/*i*/".repeat(megabyte / 24),
};

function elapsedMs(run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

describe("tokenizer performance", () => {
  for (const [name, text] of Object.entries(hostileTexts)) {
    test(`1 MB of ${name}`, () => {
      const tokenizeMs = elapsedMs(() => tokenize(text));
      assert.ok(tokenizeMs < megabyteBudgetMs, `tokenizing took ${tokenizeMs.toFixed(0)} ms`);

      const inputs: UserInput[] = [{ source: "query", path: "query.q", value: text.slice(0, 64) }];
      const detectMs = elapsedMs(() => detectCodeInjection(text, inputs));
      assert.ok(detectMs < megabyteBudgetMs, `detection took ${detectMs.toFixed(0)} ms`);
    });
  }

  test("fast path without occurrence", () => {
    const code = "function anonymous(a,b\n) {\nreturn a + b * 2 + helper(a)\n}";
    const inputs: UserInput[] = [
      { source: "query", path: "query.name", value: "alice" },
      { source: "query", path: "query.page", value: "not-present" },
      { source: "headers", path: "headers.user-agent", value: "Mozilla/5.0 (X11; Linux x86_64)" },
    ];
    const rounds = 200_000;
    for (let round = 0; round < 10_000; round++) detectCodeInjection(code, inputs);

    const totalMs = elapsedMs(() => {
      for (let round = 0; round < rounds; round++) detectCodeInjection(code, inputs);
    });
    const microseconds = (totalMs * 1000) / rounds;
    console.log(`# fast path: ${microseconds.toFixed(3)} µs per call with 3 inputs`);
    assert.ok(microseconds < 2, `fast path took ${microseconds.toFixed(3)} µs`);
  });
});
