// An attack that an app reflects after many harmless copies of the same input must still be found:
// detectors judge every occurrence of an input, not the first few.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { detectXss } from "../../src/detectors/html";
import { findServerCodeInjection } from "../../src/detectors/nosql/server-code";
import type { UserInput } from "../../src/detectors/types";

function bodyInput(value: string): UserInput[] {
  return [{ source: "body", path: "body.q", value }];
}

describe("occurrences beyond any count", () => {
  const payload = "<img src=x onerror=alert(1)>";

  for (const copies of [0, 63, 64, 65, 1_000]) {
    test(`xss after ${copies} harmless reflections`, () => {
      const harmless = `<textarea>${payload}</textarea>`.repeat(copies);
      const page = `<html><body>${harmless}<p>${payload}</p></body></html>`;

      const finding = detectXss(page, bodyInput(payload));

      assert.ok(finding !== undefined, "attack after harmless copies was not found");
      assert.equal(finding.offset, page.lastIndexOf(payload));
    });
  }

  test("xss reflections in comments only pass", () => {
    const page = `<html><body>${`<!-- ${payload} -->`.repeat(200)}</body></html>`;

    assert.equal(detectXss(page, bodyInput(payload)), undefined);
  });

  for (const copies of [63, 64, 65, 1_000]) {
    test(`$where insertion after ${copies} copies`, () => {
      const input = "x' || true || '";
      const ownCode = `var note = "${input}";`.repeat(copies);
      const code = `${ownCode} return this.name == '${input}'`;

      const finding = findServerCodeInjection(code, bodyInput(input));

      assert.ok(finding !== undefined, "insertion after harmless copies was not found");
      assert.equal(finding.offset, code.lastIndexOf(input));
    });
  }

  test("many attributes and many occurrences stay fast", () => {
    // One tag with 100,000 attributes whose quoted values each contain the input: judging each
    // occurrence against every attribute would take minutes. The bound is generous for a shared
    // 2-core machine; a linear judge needs well under 100 ms.
    const tag = `<div ${'t="a=x" '.repeat(100_000)}>`;
    const started = performance.now();

    const finding = detectXss(tag, bodyInput("a=x"));

    const elapsedMs = performance.now() - started;
    assert.equal(finding, undefined);
    assert.ok(elapsedMs < 2_000, `took ${elapsedMs.toFixed(0)} ms`);
  });
});
