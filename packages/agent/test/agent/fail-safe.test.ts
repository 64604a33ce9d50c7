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

  test("fault logged once with its kind", () => {
    const lines = app
      .stderr()
      .split("\n")
      .filter((line) => line.includes('"level":"error"'));
    assert.equal(lines.length, 1, app.stderr());

    const entry = JSON.parse(lines[0] ?? "{}") as { kind: string; err: { message: string } };
    assert.equal(entry.kind, "inspect.better-sqlite3.prepare");
    assert.match(entry.err.message, /sabotaged/);
  });
});
