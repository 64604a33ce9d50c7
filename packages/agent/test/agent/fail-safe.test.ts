import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";

describe("fail-safe", () => {
  let app: RunningApp;
  before(async () => {
    app = await startApp({ script: "sabotaged-agent.cjs", loader: "require", mode: "block" });
  });
  after(() => app.stop());

  test("agent fault never reaches the app", async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await fetch(`${app.url}/direct?name=alice`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), [{ id: 1, name: "alice" }]);
    }
  });

  test("fault logged once per hook, however many requests hit it", () => {
    const entries = app
      .stderr()
      .split("\n")
      .filter((line) => line.includes('"level":"error"'))
      .map((line) => JSON.parse(line) as { kind: string; err: { message: string } });

    // Three requests went through the SQL sink, the response hook and the end-of-response check:
    // each hook logs its first failure and only counts the next ones.
    const kinds = entries.map((entry) => entry.kind);
    assert.equal(new Set(kinds).size, kinds.length, app.stderr());
    assert.ok(kinds.includes("inspect.better-sqlite3.prepare"), app.stderr());
    for (const entry of entries) assert.match(entry.err.message, /sabotaged/);
  });
});
