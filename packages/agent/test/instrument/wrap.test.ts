import assert from "node:assert/strict";
import { test } from "node:test";

import { isWrapped, wrapFunction, wrapMethod } from "../../src/instrument/wrap";

test("method wrapped once", () => {
  const calls: string[] = [];
  const target: Record<string, unknown> = {
    query(text: string) {
      calls.push(`original:${text}`);
      return text.length;
    },
  };
  const wrap = (original: (text: string) => number) =>
    function (this: unknown, text: string) {
      calls.push("wrapper");
      return original.call(this, text);
    };

  assert.equal(wrapMethod(target, "query", wrap), true);
  assert.equal(wrapMethod(target, "query", wrap), false, "second wrap is refused");
  assert.equal((target.query as (text: string) => number)("abc"), 3);
  assert.deepEqual(calls, ["wrapper", "original:abc"]);
  assert.ok(isWrapped(target.query));
});

test("missing or non-function member left alone", () => {
  const target: Record<string, unknown> = { value: 1 };
  assert.equal(
    wrapMethod(target, "value", (original) => original),
    false,
  );
  assert.equal(
    wrapMethod(target, "absent", (original) => original),
    false,
  );
  assert.equal(target.value, 1);
});

test("wrapper keeps name, length and static members", () => {
  function connect(_url: string, _options: object) {
    return "connected";
  }
  connect.BigInt = { type: 20 };

  const wrapped = wrapFunction<(url: string, options: object) => string>(
    connect,
    (original) =>
      function (this: unknown, ...args: [string, object]) {
        return original.apply(this, args);
      },
  );
  assert.equal(wrapped.name, "connect");
  assert.equal(wrapped.length, 2);
  assert.equal((wrapped as unknown as typeof connect).BigInt, connect.BigInt);
  assert.equal(
    wrapFunction(wrapped, (original) => original),
    wrapped,
  );
});
