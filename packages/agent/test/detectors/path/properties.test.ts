import assert from "node:assert/strict";
import path from "node:path";
import { describe, test } from "node:test";

import fc from "fast-check";

import { detectPathTraversal } from "../../../src/detectors/path";
import { normalizePath } from "../../../src/detectors/path/separators";
import type { UserInput } from "../../../src/detectors/types";
import { baseDirectory, escapesBase, isAncestorOfBase } from "./oracle";

// prettier-ignore
const pathPieces = [
  "/", "\\", "//", ".", "..", "...", "../", "..\\", "./", "a", "b.txt", ".env", "C:", "c:/", "\\\\", "%", "%2e",
  "%2f", "%252e", "%c0%ae", "%5c", "\0", " ", "é", "😀", "\uD800", ":", "file:", "?", "#",
];

const anyCodeUnits = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 60 })
  .map((codes) => String.fromCharCode(...codes));

const arbitraryText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 60 }),
  anyCodeUnits,
  fc.string({ unit: fc.constantFrom(...pathPieces), maxLength: 40 }),
);

// Segments that never name a directory of the base, so no input climbs out and back in.
const segment = fc.constantFrom(
  "..",
  ".",
  "a",
  "b.txt",
  "x..y",
  ".env",
  "v1.2.3",
  "...",
  "é",
  "a b",
);
const relativeInput = fc
  .array(segment, { minLength: 1, maxLength: 8 })
  .map((parts) => parts.join("/"));

function userInputs(values: readonly string[]): UserInput[] {
  return values.map((value, index) => ({ source: "body", path: `body.v${index}`, value }));
}

describe("path detector properties", () => {
  test("never throws", () => {
    fc.assert(
      fc.property(arbitraryText, fc.array(arbitraryText, { maxLength: 4 }), (filePath, values) => {
        const finding = detectPathTraversal(filePath, userInputs(values));
        if (finding !== undefined) {
          assert.ok(finding.offset >= 0, `offset ${finding.offset}`);
          assert.ok(finding.offset <= filePath.length, `offset ${finding.offset}`);
          assert.ok(finding.input !== undefined);
        }
      }),
      { numRuns: 5000 },
    );
  });

  test("normalizePath matches path.posix.normalize", () => {
    const posixPath = fc.string({
      unit: fc.constantFrom("/", ".", "..", "a", "b.c", "../", "./", "//"),
      maxLength: 40,
    });
    fc.assert(
      fc.property(posixPath, (text) => {
        assert.equal(normalizePath(text), path.posix.normalize(text));
      }),
      { numRuns: 5000 },
    );
  });

  test("input found in path when flagged", () => {
    // Inputs appended to a path verbatim: a finding always names one of them.
    fc.assert(
      fc.property(arbitraryText, arbitraryText, (prefix, value) => {
        const finding = detectPathTraversal(`${prefix}${value}`, userInputs(["unrelated", value]));
        if (finding !== undefined) assert.equal(finding.input?.value, value);
      }),
      { numRuns: 3000 },
    );
  });

  for (const [name, build] of [
    ["path.join", (input: string) => path.posix.join(baseDirectory, input)],
    ["concatenation", (input: string) => `${baseDirectory}/${input}`],
    ["path.resolve", (input: string) => path.posix.resolve(baseDirectory, input)],
  ] as const) {
    test(`${name} flagged exactly when escaping`, () => {
      fc.assert(
        fc.property(relativeInput, (input) => {
          const built = build(input);
          const flagged = detectPathTraversal(built, userInputs([input])) !== undefined;
          if (!escapesBase(built, false)) assert.equal(flagged, false, `${input} -> ${built}`);
          else if (!isAncestorOfBase(built)) assert.equal(flagged, true, `${input} -> ${built}`);
        }),
        { numRuns: 3000 },
      );
    });
  }
});
