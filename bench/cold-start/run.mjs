// Measures the cold start that `wrap` from `rampart/lambda` adds: in fresh Node.js processes, the
// time from process start to the end of the first invocation, without and with the wrapper
// (alternating runs), with median and 90th percentile. `node cold-start/run.mjs --help`.

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

const usage = `Usage: node cold-start/run.mjs [--runs N]
  --runs N  processes per variant (default 40); median and p90 are reported`;

/** Value at quantile `q` (0 to 1) of sorted numbers, by the nearest-rank method. */
function quantile(sorted, q) {
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1];
}

function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), min: sorted[0] };
}

async function coldStart(variant, env) {
  const { stdout } = await run(process.execPath, [join(here, "invoke-once.cjs"), variant], {
    cwd: here,
    env,
  });
  return JSON.parse(stdout).elapsedMs;
}

async function main() {
  const { values } = parseArgs({
    options: { runs: { type: "string", default: "40" }, help: { type: "boolean" } },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`invalid --runs ${values.runs}; expected a positive integer`);

  const workDir = mkdtempSync(join(tmpdir(), "rampart-cold-start-"));
  const env = {
    ...process.env,
    NODE_OPTIONS: "",
    RAMPART_MODE: "block",
    RAMPART_EVENTS: join(workDir, "events.jsonl"),
    RAMPART_LOG_LEVEL: "warn",
  };

  const samples = { plain: [], wrapped: [] };
  const loadBefore = loadavg()[0];
  // One warm-up run of each fills the OS file cache, so the first measured run is not an outlier.
  await coldStart("plain", env);
  await coldStart("wrapped", env);
  for (let index = 0; index < runs; index++) {
    samples.plain.push(await coldStart("plain", env));
    samples.wrapped.push(await coldStart("wrapped", env));
  }
  rmSync(workDir, { recursive: true, force: true });

  const plain = summarize(samples.plain);
  const wrapped = summarize(samples.wrapped);
  const format = (value) => value.toFixed(1).padStart(7);
  console.log(
    `Node.js ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? "unknown"}), ${runs} runs per variant`,
  );
  console.log(`load average ${loadBefore.toFixed(2)} -> ${loadavg()[0].toFixed(2)}`);
  console.log("variant       median ms   p90 ms   min ms");
  console.log(`without agent  ${format(plain.median)} ${format(plain.p90)} ${format(plain.min)}`);
  console.log(
    `with wrap()    ${format(wrapped.median)} ${format(wrapped.p90)} ${format(wrapped.min)}`,
  );
  console.log(
    `added          ${format(wrapped.median - plain.median)} ${format(wrapped.p90 - plain.p90)}`,
  );
}

await main();
