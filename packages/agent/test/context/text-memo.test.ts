import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { TextMemo } from "../../src/context/text-memo";

/** A compute function that counts its calls, so a test can tell a lookup from a computation. */
function countingUpperCase(): { calls: number; compute: (text: string) => string } {
  const counter = {
    calls: 0,
    compute: (text: string) => {
      counter.calls++;
      return text.toUpperCase();
    },
  };
  return counter;
}

describe("text memo", () => {
  test("same text computed once", () => {
    const memo = new TextMemo<string>(4, 16);
    const counter = countingUpperCase();

    assert.equal(memo.get("bearer", counter.compute), "BEARER");
    assert.equal(memo.get("bearer", counter.compute), "BEARER");
    assert.equal(memo.get("other", counter.compute), "OTHER");
    assert.equal(counter.calls, 2);
  });

  test("unparsable text kept, not parsed again", () => {
    const memo = new TextMemo<unknown>(4, 16);
    let calls = 0;
    const parse = (text: string): unknown => {
      calls++;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return undefined;
      }
    };

    assert.equal(memo.get("{not json", parse), undefined);
    assert.equal(memo.get("{not json", parse), undefined);
    assert.equal(calls, 1);
  });

  test("text over the length limit computed each time, never held", () => {
    const memo = new TextMemo<string>(4, 16);
    const counter = countingUpperCase();
    const long = "x".repeat(17);

    assert.equal(memo.get(long, counter.compute), long.toUpperCase());
    assert.equal(memo.get(long, counter.compute), long.toUpperCase());
    assert.equal(counter.calls, 2);
    assert.equal(memo.size, 0);
  });

  test("flood of distinct texts bounded by the entry limit", () => {
    const memo = new TextMemo<string>(4, 16);
    const counter = countingUpperCase();

    for (let index = 0; index < 1_000; index++) {
      memo.get(`text-${index}`, counter.compute);
      assert.ok(memo.size <= 4, `size ${memo.size} after ${index + 1} texts`);
    }
    assert.equal(counter.calls, 1_000);

    // The results stay correct after the table was emptied: a text is computed again.
    assert.equal(memo.get("text-0", counter.compute), "TEXT-0");
    assert.equal(counter.calls, 1_001);
  });
});
