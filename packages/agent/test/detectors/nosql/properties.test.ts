import assert from "node:assert/strict";
import { describe, test } from "node:test";

import fc from "fast-check";

import type { StructuredInput } from "../../../src/context/request-inputs";
import { detectNosqlInjection } from "../../../src/detectors/nosql/detect";
import { describeMongoOperation } from "../../../src/detectors/nosql/describe";
import { tokenizeJavaScript } from "../../../src/detectors/nosql/js-tokens";
import { findServerCodeInjection } from "../../../src/detectors/nosql/server-code";
import { findUserOperators } from "../../../src/detectors/nosql/user-operators";
import type { UserInput } from "../../../src/detectors/types";

// prettier-ignore
const codePieces = ["'", '"', "`", "${", "}", "{", "\\", "/", "//", "/*", "*/", "\n", " ", "a", "1", "==", "||", ";", "(", ")", "[", "]", "return", "$where", "é", "\uD800"];
const codeText = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: fc.constantFrom(...codePieces), maxLength: 60 }),
);
const operatorKey = fc.constantFrom(
  "$ne",
  "$gt",
  "$regex",
  "$where",
  "$in",
  "$eq",
  "$expr",
  "$function",
  "name",
  "__proto__",
);
const mongoValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string({ maxLength: 10 }),
    fc.integer(),
    fc.constant(null),
    fc.boolean(),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(operatorKey, tie("value"), { maxKeys: 4 }),
  ),
})).value;

function parts(body: unknown): StructuredInput[] {
  return [{ source: "body", path: "body", value: body }];
}

function inputsOf(values: readonly string[]): UserInput[] {
  return values.map((value, index) => ({ source: "body", path: `body.v${index}`, value }));
}

/** Builds `{ a: { a: ... } }` `depth` levels deep without recursion. */
function nested(depth: number, leaf: unknown): unknown {
  let value = leaf;
  for (let level = 0; level < depth; level++)
    value = { a: value, $ne: level % 2 === 0 ? value : "x" };
  return value;
}

describe("nosql detector properties", () => {
  test("never throws on arbitrary values", () => {
    fc.assert(
      fc.property(
        mongoValue,
        mongoValue,
        fc.array(fc.string({ maxLength: 12 }), { maxLength: 4 }),
        (filter, body, values) => {
          const userOperators = findUserOperators(parts(body));
          detectNosqlInjection(
            [
              { role: "filter", value: filter },
              { role: "update", value: body },
              { role: "pipeline", value: [filter] },
            ],
            userOperators,
            inputsOf(values),
          );
          describeMongoOperation("find", [filter, body]);
        },
      ),
      { numRuns: 500 },
    );
  });

  test("user operator objects always found", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("$ne", "$gt", "$regex", "$in"),
        fc.string({ maxLength: 10 }),
        (key, value) => {
          const body = { field: { [key]: value } };
          const finding = detectNosqlInjection(
            [{ role: "filter", value: { field: body.field } }],
            findUserOperators(parts(body)),
            [],
          );
          assert.equal(finding?.input?.path, "body.field");
        },
      ),
      { numRuns: 200 },
    );
  });

  test("code check never throws", () => {
    fc.assert(
      fc.property(codeText, fc.array(codeText, { maxLength: 4 }), (code, values) => {
        findServerCodeInjection(code, inputsOf(values));
        const bounds = tokenizeJavaScript(code);
        for (let index = 2; index < bounds.length; index += 2) {
          assert.ok((bounds[index] as number) >= (bounds[index - 1] as number), "tokens overlap");
        }
      }),
      { numRuns: 1000 },
    );
  });

  test("string literal content is never code", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const value = `x${text}`;
        const code = `this.name == ${JSON.stringify(value)}`;
        assert.equal(findServerCodeInjection(code, inputsOf([value])), undefined);
      }),
      { numRuns: 500 },
    );
  });
});

describe("nosql detector bounds", () => {
  test("deep and cyclic values in bounded time", () => {
    const deep = nested(50_000, "leaf");
    const cyclic: Record<string, unknown> = { $ne: "x" };
    cyclic.self = cyclic;
    const wide = Object.fromEntries(
      Array.from({ length: 50_000 }, (_, index) => [`k${index}`, { $gt: index }]),
    );

    const started = performance.now();
    for (const body of [deep, cyclic, wide]) {
      const userOperators = findUserOperators(parts(body));
      detectNosqlInjection(
        [
          { role: "filter", value: body },
          { role: "pipeline", value: [body] },
        ],
        userOperators,
        inputsOf(["x"]),
      );
      describeMongoOperation("find", [body]);
    }
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 5_000, `took ${elapsed.toFixed(0)} ms`);
  });

  test("long code with repeated input in bounded time", () => {
    const code = `this.a == '${"ab".repeat(200_000)}'`;
    const started = performance.now();
    findServerCodeInjection(code, inputsOf(["ab", "abab", "a' || '"]));
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 2_000, `took ${elapsed.toFixed(0)} ms`);
  });
});
