// Runs every *.test.ts file under a package's test/ folder with Node's test runner, TypeScript
// loaded through tsx: `node scripts/run-package-tests.mjs <package dir> [filter ...]`. Node 20 has
// no glob support in `node --test`, so the file list is built here.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const [packageArgument, ...filters] = process.argv.slice(2);
if (packageArgument === undefined) {
  console.error("usage: node scripts/run-package-tests.mjs <package dir> [filter ...]");
  process.exit(2);
}
const packageDir = path.resolve(packageArgument);
// Filters select files whose path contains any of them; none selects every file.

const files = readdirSync(path.join(packageDir, "test"), { recursive: true })
  .map(String)
  .filter((file) => file.endsWith(".test.ts"))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .map((file) => path.join("test", file))
  .sort();

if (files.length === 0) {
  console.error(`no test files match ${filters.join(", ") || "test/**/*.test.ts"}`);
  process.exit(1);
}

const blockingStdout = pathToFileURL(
  path.join(path.dirname(fileURLToPath(import.meta.url)), "blocking-stdout.mjs"),
).href;

// Two files at a time on a 2-core machine: integration tests mostly wait on servers. A file whose
// tests all finished exits even when a failed test left a server or timer open
// (--test-force-exit), so one failure cannot hang the whole run. blocking-stdout.mjs keeps that
// exit from dropping the file's last results (see there). The spec reporter ends with a list of
// the failed tests, so the last lines of a CI log name them.
const result = spawnSync(
  process.execPath,
  [
    "--import",
    "tsx",
    "--import",
    blockingStdout,
    "--test",
    "--test-force-exit",
    "--test-concurrency=2",
    "--test-reporter=spec",
    ...files,
  ],
  { cwd: packageDir, stdio: "inherit" },
);
process.exit(result.status ?? 1);
