import assert from "node:assert/strict";
import { describe, test } from "node:test";

import fc from "fast-check";

import { buildQueryObject, type StructuredInput } from "../../../src/context/request-inputs";
import { splitKey } from "../../../src/context/query-string";
import {
  detectPrototypePollution,
  findPollutingQueryKey,
  isPollutingKey,
} from "../../../src/detectors/prototype-pollution/detect";

function body(value: unknown): StructuredInput[] {
  return [{ source: "body", path: "body", value }];
}

function queryKeys(...keys: string[]): string[][] {
  return keys.map(splitKey);
}

describe("prototype pollution keys", () => {
  test("__proto__ anywhere", () => {
    const finding = detectPrototypePollution(body(JSON.parse('{"a":[{"__proto__":{"x":1}}]}')));
    assert.equal(finding?.input?.path, "body.a.0.__proto__");
    assert.equal(finding?.input?.value, "__proto__");
    assert.equal(finding?.reason, "prototype-key");
  });

  test("constructor.prototype", () => {
    const finding = detectPrototypePollution(body({ constructor: { prototype: "x" } }));
    assert.equal(finding?.input?.path, "body.constructor.prototype");
  });

  test("prototype with object below", () => {
    assert.equal(
      detectPrototypePollution(body({ prototype: { isAdmin: true } }))?.input?.path,
      "body.prototype",
    );
    assert.equal(
      detectPrototypePollution(
        body({ prototype: "v2", proto: {}, prototypes: {}, constructor: "Bob" }),
      ),
      undefined,
    );
  });

  test("query key paths", () => {
    assert.equal(
      findPollutingQueryKey(queryKeys("a", "__proto__[x]"))?.input?.path,
      "query.__proto__",
    );
    assert.equal(
      findPollutingQueryKey(queryKeys("constructor[prototype][x]"))?.input?.path,
      "query.constructor.prototype",
    );
    assert.equal(
      findPollutingQueryKey(queryKeys("user[__proto__]"))?.input?.path,
      "query.user.__proto__",
    );
    assert.equal(
      findPollutingQueryKey(queryKeys("prototype", "constructor", "proto[x]")),
      undefined,
    );
  });

  test("isPollutingKey rules", () => {
    assert.equal(isPollutingKey("__proto__", undefined, false), true);
    assert.equal(isPollutingKey("prototype", "constructor", false), true);
    assert.equal(isPollutingKey("prototype", "item", false), false);
    assert.equal(isPollutingKey("constructor", undefined, true), false);
  });

  test("query object keeps __proto__ as own key", () => {
    const query = buildQueryObject("/x?__proto__[polluted]=1&user[$ne]=a&ids[]=1&ids[]=2");
    assert.ok(query !== undefined);
    assert.equal(Object.getPrototypeOf(query), null);
    assert.deepEqual(Object.keys(query), ["__proto__", "user", "ids"]);
    assert.deepEqual(query.ids, ["1", "2"]);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test("never throws, bounded on deep bodies", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        detectPrototypePollution(body(value));
      }),
      { numRuns: 300 },
    );

    let deep: unknown = { leaf: 1 };
    for (let level = 0; level < 100_000; level++) deep = { a: deep };
    const started = performance.now();
    assert.equal(detectPrototypePollution(body(deep)), undefined);
    assert.ok(performance.now() - started < 3_000);
  });
});
