// Runs each microbenchmark in this folder with and without the agent (block mode), alternating,
// and prints the medians and their difference. Usage: node micro/run.mjs [rounds]
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { median } from "../load.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const rounds = Number(process.argv[2] ?? 5);
const benchmarks = ["mongodb-find.cjs"];

function runOnce(script, agent) {
  const args = agent ? ["--require", "rampart/register", script] : [script];
  const output = execFileSync(process.execPath, args, {
    cwd: here,
    env: {
      ...process.env,
      RAMPART_MODE: "block",
      RAMPART_EVENTS: "stderr",
      RAMPART_LOG_LEVEL: "warn",
    },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return JSON.parse(output.trim().split("\n").at(-1)).microsecondsPerCall;
}

for (const script of benchmarks) {
  const figures = { unprotected: [], protected: [] };
  for (let round = 0; round < rounds; round++) {
    figures.unprotected.push(runOnce(join(here, script), false));
    figures.protected.push(runOnce(join(here, script), true));
  }
  const base = median(figures.unprotected);
  const guarded = median(figures.protected);
  console.log(
    `${script}: unprotected ${base.toFixed(2)} us/call, protected ${guarded.toFixed(2)} us/call, ` +
      `added ${(guarded - base).toFixed(2)} us, ratio ${(guarded / base).toFixed(3)} (median of ${rounds})`,
  );
}
