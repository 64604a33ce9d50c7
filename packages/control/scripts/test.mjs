// Runs this package's tests: `node scripts/test.mjs [filter ...]` (see the root scripts folder).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const runner = path.resolve(packageDir, "../../scripts/run-package-tests.mjs");
const result = spawnSync(process.execPath, [runner, packageDir, ...process.argv.slice(2)], {
  stdio: "inherit",
});
process.exit(result.status ?? 1);
