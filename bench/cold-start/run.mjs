// Measures the cold start that `wrap` from `rampart/lambda` adds. Fresh Node.js processes run a
// handler without and with the wrapper (alternating), and each reports the wall time and the CPU
// time from process start to the end of its first invocation; the median and 90th percentile are
// printed. CPU time is the steadier figure on a shared machine, because waiting for a core counts
// in wall time only. `node cold-start/run.mjs --help`.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

const usage = `Usage: node cold-start/run.mjs [--runs N] [--node PATH] [--agent DIR]
  --runs N     processes per variant (default 40); median and p90 are reported
  --node PATH  Node.js binary that runs the handlers (default: the one running this script);
               better-sqlite3 must be built for its version
  --agent DIR  package folder of another build of the agent, such as an older commit's
               (default: the rampart package installed for bench/)`;

/** Value at quantile `q` (0 to 1) of sorted numbers, by the nearest-rank method. */
function quantile(sorted, q) {
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1];
}

function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), min: sorted[0] };
}

/** Runs one cold start; returns its wall ms, CPU ms and module count. */
async function coldStart(nodePath, variant, env) {
  const { stdout } = await run(nodePath, [join(here, "invoke-once.cjs"), variant], {
    cwd: here,
    env,
  });
  return JSON.parse(stdout);
}

async function nodeVersion(nodePath) {
  const { stdout } = await run(nodePath, ["--version"]);
  return stdout.trim();
}

const variantNames = {
  plain: "without agent",
  wrapped: "with wrap()",
  uncached: "wrap(), no code cache",
};

function printTable(title, figures) {
  const format = (value) => value.toFixed(1).padStart(7);
  console.log(`${title.padEnd(22)} median ms   p90 ms   min ms`);
  for (const [variant, figure] of Object.entries(figures)) {
    console.log(
      `${variantNames[variant].padEnd(22)} ${format(figure.median)} ${format(figure.p90)} ${format(figure.min)}`,
    );
  }
  const plain = figures.plain;
  for (const variant of ["wrapped", "uncached"]) {
    const figure = figures[variant];
    console.log(
      `${`added, ${variant === "wrapped" ? "code cache" : "no code cache"}`.padEnd(22)} ${format(figure.median - plain.median)} ${format(figure.p90 - plain.p90)} ${format(figure.min - plain.min)}`,
    );
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "40" },
      node: { type: "string", default: process.execPath },
      agent: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`invalid --runs ${values.runs}; expected a positive integer`);
  const nodePath = values.node;

  const workDir = mkdtempSync(join(tmpdir(), "rampart-cold-start-"));
  const env = {
    ...process.env,
    NODE_OPTIONS: "",
    RAMPART_MODE: "block",
    RAMPART_EVENTS: join(workDir, "events.jsonl"),
    RAMPART_LOG_LEVEL: "warn",
  };
  // The Node.js 20 and later Lambda runtimes do not set NODE_EXTRA_CA_CERTS. With it set, Node.js
  // reads the extra certificates at process start in both variants, which hides the cost of
  // loading the default root certificates that the first TLS context pays.
  delete env.NODE_EXTRA_CA_CERTS;
  if (values.agent !== undefined) env.COLD_START_AGENT_DIR = resolve(values.agent);

  // The agent keeps its V8 code cache in a directory of this run, so each run starts without one:
  // the warm-up start writes it, as the first start of a deployed app (or a build step) would.
  // The third variant turns the cache off, as in a read-only deployment shipped without one.
  const cachedEnv = { ...env, RAMPART_CODE_CACHE: join(workDir, "code-cache") };
  const uncachedEnv = { ...env, RAMPART_CODE_CACHE: "off" };
  const variants = [
    ["plain", env],
    ["wrapped", cachedEnv],
    ["uncached", uncachedEnv],
  ];

  const samples = { plain: [], wrapped: [], uncached: [] };
  const loadBefore = loadavg()[0];
  // One warm-up run of each fills the OS file cache, so the first measured run is not an outlier.
  for (const [variant, variantEnv] of variants) await coldStart(nodePath, variant, variantEnv);
  for (let index = 0; index < runs; index++) {
    for (const [variant, variantEnv] of variants) {
      samples[variant].push(await coldStart(nodePath, variant, variantEnv));
    }
  }
  rmSync(workDir, { recursive: true, force: true });

  const pick = (variant, field) => summarize(samples[variant].map((sample) => sample[field]));
  console.log(
    `Node.js ${await nodeVersion(nodePath)}, ${cpus().length} CPUs (${cpus()[0]?.model ?? "unknown"}), ${runs} runs per variant`,
  );
  console.log(`agent: ${env.COLD_START_AGENT_DIR ?? "rampart/lambda as installed for bench/"}`);
  console.log(`load average ${loadBefore.toFixed(2)} -> ${loadavg()[0].toFixed(2)}`);
  console.log(
    `CommonJS modules loaded: ${samples.plain[0].modules} without agent, ${samples.wrapped[0].modules} with wrap()`,
  );
  const figures = (field) =>
    Object.fromEntries(Object.keys(samples).map((variant) => [variant, pick(variant, field)]));
  printTable("wall time", figures("elapsedMs"));
  printTable("CPU time", figures("cpuMs"));
}

await main();
