import assert from "node:assert/strict";
import { test } from "node:test";

import { failOpen, internalErrorCounts } from "../src/failsafe";
import { setLogLevel } from "../src/log";

test("failOpen returns fallback and counts", () => {
  setLogLevel("silent");
  const kind = "test.failing-hook";

  for (let attempt = 0; attempt < 3; attempt++) {
    const result = failOpen(kind, "fallback", () => {
      throw new Error("boom");
    });
    assert.equal(result, "fallback");
  }
  assert.equal(internalErrorCounts().get(kind), 3);
  assert.equal(
    failOpen(kind, "fallback", () => "value"),
    "value",
  );
});
