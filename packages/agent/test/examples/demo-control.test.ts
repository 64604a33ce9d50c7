import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { TestControlPlane } from "../control/control-plane";

const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const demoScript = path.join(repoDir, "examples", "express-sqlite", "demo.mjs");

test("demo reports into a control plane", { timeout: 120_000 }, async () => {
  const control = await TestControlPlane.start();
  try {
    const token = await control.createToken("demo", "local");
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        [demoScript],
        {
          cwd: repoDir,
          timeout: 100_000,
          maxBuffer: 16 * 1024 * 1024,
          env: { ...process.env, RAMPART_CONTROL_URL: control.url, RAMPART_TOKEN: token },
        },
        (error, stdout) => {
          let code: number | null = 0;
          if (error !== null) code = typeof error.code === "number" ? error.code : null;
          resolve({ code, stdout });
        },
      );
    });
    assert.equal(result.code, 0, result.stdout.slice(-4000));
    assert.match(result.stdout, /^PASS:/m);

    // Every event that the demo printed reached the control plane under the token's service.
    const printed = Number(/^Event log: .* \((\d+) events\)$/m.exec(result.stdout)?.[1]);
    assert.ok(printed > 0, "the demo printed its event count");
    const stored = await control.db.all<{ attack_type: string; service: string }>(
      "SELECT attack_type, service FROM events",
    );
    assert.ok(stored.length > 0, "events stored");
    assert.equal(stored.length, printed);
    assert.ok(stored.every((event) => event.service === "demo"));
    assert.ok(stored.some((event) => event.attack_type === "sql_injection"));

    const agents = await control.agents("demo");
    assert.equal(agents.length, 1, "the demo's app registered once");
  } finally {
    await control.close();
  }
});
