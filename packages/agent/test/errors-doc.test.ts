import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { errorCodes } from "../src/errors";

const docsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../docs");

test("every error code documented", () => {
  const doc = readFileSync(path.join(docsDir, "errors.md"), "utf8");
  for (const code of Object.values(errorCodes)) {
    assert.ok(doc.includes(`\`${code}\``), `docs/errors.md must document ${code}`);
  }
});
