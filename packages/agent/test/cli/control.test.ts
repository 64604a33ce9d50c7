import assert from "node:assert/strict";
import { test } from "node:test";

import { isInstalled } from "../../src/cli/control-command";

test("control package found unbuilt or built", () => {
  // The workspace links @rampart/control whether or not its dist folder was built.
  assert.equal(isInstalled("@rampart/control"), true);
});

test("missing package reported missing", () => {
  assert.equal(isInstalled("@rampart/no-such-package"), false);
});
