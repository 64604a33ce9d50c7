import assert from "node:assert/strict";
import { test } from "node:test";

import { parseCookies } from "../../src/context/cookies";

test("cookies parse raw values", () => {
  assert.deepEqual(parseCookies('sid=abc; theme=dark%20mode; quoted="x y"; broken; =novalue'), [
    ["sid", "abc"],
    ["theme", "dark%20mode"],
    ["quoted", "x y"],
  ]);
});
