// Short benchmark for CI that fails only on a large regression: the agent costing more than half
// of the app's throughput, or a detector's fast path getting more than twice as slow as recorded.
// Every figure is checked against a baseline that is either measured in the same run (the app
// without the agent) or recorded in bench/results/smoke-baseline.json. A check that fails is
// measured once more, and the run fails only when the check fails again. See docs/benchmarks.md.
// Run `node smoke.mjs --help` for the options.

import { execFile } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { formatNs, runDetectorBenchmarks } from "./micro/detectors.mjs";
import { measureStartup } from "./startup.mjs";

const benchDir = dirname(fileURLToPath(import.meta.url));
const baselineFile = join(benchDir, "results", "smoke-baseline.json");

// Limits: a regression must be worse than these to fail the run.
const limits = {
  // Protected req/s divided by unprotected req/s, per scenario.
  minRequestsRatio: 0.5,
  // Protected app CPU time per request divided by the unprotected one.
  maxCpuRatio: 2,
  // Protected p99 latency divided by the unprotected one, unless the difference is small: short
  // rounds on a shared machine move p99 by a few milliseconds.
  maxP99Ratio: 2,
  p99GraceMs: 2,
  // A fast-path case's minimum time per call divided by its recorded minimum, after scaling the
  // recorded figure by how much slower the machine runs the reference workload now.
  maxFastPathRatio: 2,
  // Differences below this are timer and JIT noise for cases that take tens of nanoseconds.
  fastPathGraceNs: 200,
  // Start-up time that the agent adds, as a share of the unprotected start-up time, divided by
  // the recorded share. Dividing by the unprotected time of the same run cancels machine speed.
  maxStartupShareRatio: 2,
};

const usage = `Usage: node smoke.mjs [options]
  --only <names>        comma-separated load scenarios (default: all of run.mjs)
  --record-baseline     measure the detectors' fast paths with long batches and write
                        ${baselineFile}, instead of checking
Exits with status 1 when a check fails twice.`;

const options = readOptions();

try {
  if (options.recordBaseline) await recordBaseline();
  else await smoke();
} catch (error) {
  console.error(`\nBenchmark smoke run failed to measure: ${error.message}`);
  process.exitCode = 1;
}

async function smoke() {
  const started = performance.now();
  const failures = [];

  console.log("=== load: each scenario with and without the agent (run.mjs, short rounds)");
  const loadFailures = await checkLoad(options.only, { warmup: 1, rounds: 2 });
  if (loadFailures.length > 0) {
    const names = loadFailures.map((failure) => failure.scenario).join(",");
    // A longer warm-up too, because on a busy machine 1 s of load may not finish compiling the
    // agent's code, which then counts against the protected side.
    console.log(`\nMeasuring again, with a longer warm-up and more rounds: ${names}`);
    failures.push(...(await checkLoad(names, { warmup: 3, rounds: 5 })));
  }

  console.log("\n=== detectors: fast path against the recorded baseline");
  const detectorFailures = await checkDetectors(undefined);
  for (const failure of detectorFailures) {
    console.log(`\nMeasuring again: ${failure.name}`);
    failures.push(...(await checkDetectors(failure.name)));
  }

  console.log("\n=== start-up: time to the listening line with and without the agent");
  let startupFailures = await checkStartup(5);
  if (startupFailures.length > 0) {
    console.log("\nMeasuring again, with more starts");
    startupFailures = await checkStartup(9);
  }
  failures.push(...startupFailures);

  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  if (failures.length === 0) {
    console.log(`\nBenchmark smoke run passed in ${seconds} s: no regression beyond the limits.`);
    return;
  }
  console.error(`\nBenchmark smoke run failed after ${seconds} s. Regressions measured twice:`);
  for (const failure of failures) console.error(`  - ${failure.message}`);
  console.error(
    "Rerun `npm run bench:smoke` to confirm, then `npm run bench` for full figures " +
      "(docs/benchmarks.md explains each limit).",
  );
  process.exitCode = 1;
}

/** Runs run.mjs on the scenarios and returns one failure per scenario beyond the limits. */
async function checkLoad(only, { warmup, rounds }) {
  const out = join(tmpdir(), `rampart-bench-smoke-${process.pid}.json`);
  const args = [
    "run.mjs",
    "--warmup",
    String(warmup),
    "--duration",
    "1",
    "--rounds",
    String(rounds),
  ];
  if (only !== undefined) args.push("--only", only);
  args.push("--out", out);

  const child = execFile(process.execPath, args, { cwd: benchDir, maxBuffer: 64 * 2 ** 20 });
  child.stdout.pipe(process.stdout);
  child.stderr.pipe(process.stderr);
  const exitCode = await new Promise((resolve) => child.on("exit", resolve));
  if (exitCode !== 0) throw new Error(`run.mjs exited with status ${exitCode}`);

  const summary = JSON.parse(await readFile(out, "utf8"));
  await rm(out, { force: true });

  const failures = [];
  if (summary.falsePositives > 0) {
    failures.push({
      scenario: summary.scenarios.map((scenario) => scenario.name).join(","),
      message: `${summary.falsePositives} security events on benign load (false positives)`,
    });
  }
  for (const scenario of summary.scenarios) {
    const message = loadRegression(scenario);
    if (message !== undefined) failures.push({ scenario: scenario.name, message });
  }
  console.log(
    failures.length === 0
      ? "Load checks passed."
      : `Load checks failed: ${failures.map((failure) => failure.message).join("; ")}`,
  );
  return failures;
}

function loadRegression({ name, ratios, medians }) {
  const problems = [];
  if (ratios.requestsPerSecond < limits.minRequestsRatio) {
    problems.push(
      `req/s ratio ${ratios.requestsPerSecond.toFixed(2)} < ${limits.minRequestsRatio}`,
    );
  }
  if (ratios.cpuMsPerRequest !== null && ratios.cpuMsPerRequest > limits.maxCpuRatio) {
    problems.push(
      `CPU per request ratio ${ratios.cpuMsPerRequest.toFixed(2)} > ${limits.maxCpuRatio}`,
    );
  }
  const p99Added = medians.protected.p99Ms - medians.unprotected.p99Ms;
  if (ratios.p99Ms > limits.maxP99Ratio && p99Added > limits.p99GraceMs) {
    problems.push(
      `p99 ${medians.protected.p99Ms.toFixed(2)} ms vs ${medians.unprotected.p99Ms.toFixed(2)} ms ` +
        `unprotected (ratio > ${limits.maxP99Ratio} and more than ${limits.p99GraceMs} ms added)`,
    );
  }
  return problems.length === 0 ? undefined : `${name}: ${problems.join(", ")}`;
}

/** Times the fast-path detector cases and returns those slower than the recorded limit. */
async function checkDetectors(only) {
  const baseline = await readBaseline();
  const { referenceNs, cases } = runDetectorBenchmarks({
    batches: only === undefined ? 9 : 21,
    batchMs: 10,
    only,
    log: () => {},
  });
  // Only a slower machine raises the limits; a faster one keeps the recorded figures.
  const machineFactor = Math.max(1, referenceNs / baseline.referenceNs);
  console.log(
    `reference workload ${formatNs(referenceNs)} (recorded ${formatNs(baseline.referenceNs)}), ` +
      `limits scaled by ${machineFactor.toFixed(2)}`,
  );

  const failures = [];
  for (const item of cases.filter((entry) => entry.path === "fast")) {
    const recorded = baseline.fastPath[item.name];
    if (recorded === undefined) {
      console.log(`  no recorded figure     ${formatNs(item.minNs).padStart(10)}  ${item.name}`);
      continue;
    }
    const limit = Math.max(
      limits.maxFastPathRatio * recorded * machineFactor,
      recorded * machineFactor + limits.fastPathGraceNs,
    );
    const passed = item.minNs <= limit;
    console.log(
      `  ${passed ? "ok  " : "SLOW"}  ${formatNs(item.minNs).padStart(10)} ` +
        `(limit ${formatNs(limit).padStart(10)})  ${item.name}`,
    );
    if (!passed) {
      failures.push({
        name: item.name,
        message:
          `detector fast path "${item.name}": ${formatNs(item.minNs)} per call, ` +
          `limit ${formatNs(limit)} (recorded ${formatNs(recorded)})`,
      });
    }
  }
  return failures;
}

/** Measures start-up and returns a failure when the agent's share of it doubled since recorded. */
async function checkStartup(runs) {
  const baseline = await readBaseline();
  const { timeToListen } = await measureStartup({ runs });
  const share = timeToListen.addedMs / timeToListen.unprotectedMs;
  const limit = limits.maxStartupShareRatio * baseline.startupAddedShare;
  console.log(
    `agent's share of start-up ${share.toFixed(2)} (limit ${limit.toFixed(2)}, ` +
      `recorded ${baseline.startupAddedShare.toFixed(2)})`,
  );
  if (share <= limit) return [];
  return [
    {
      message:
        `start-up: ${timeToListen.protectedMs.toFixed(0)} ms to listen with the agent, ` +
        `${timeToListen.unprotectedMs.toFixed(0)} ms without, so the agent adds ` +
        `${share.toFixed(2)} of the app's own start-up time (limit ${limit.toFixed(2)})`,
    },
  ];
}

async function readBaseline() {
  try {
    return JSON.parse(await readFile(baselineFile, "utf8"));
  } catch (error) {
    throw new Error(
      `Cannot read the recorded baseline ${baselineFile} (${error.message}); ` +
        "record it with `node bench/smoke.mjs --record-baseline`",
      { cause: error },
    );
  }
}

/**
 * Measures the fast-path cases with long batches and start-up with 10 starts per side, and writes
 * the detectors' minimum times and the agent's share of start-up time as the baseline.
 */
async function recordBaseline() {
  const { referenceNs, cases } = runDetectorBenchmarks({ batches: 41, batchMs: 20 });
  const { timeToListen } = await measureStartup({ runs: 10 });
  const baseline = {
    date: new Date().toISOString(),
    node: process.version,
    note:
      "From `node bench/smoke.mjs --record-baseline`: the minimum ns per call of each fast-path " +
      "case, and the start-up time that the agent adds divided by the unprotected start-up time.",
    referenceNs,
    startupAddedShare: timeToListen.addedMs / timeToListen.unprotectedMs,
    fastPath: Object.fromEntries(
      cases.filter((item) => item.path === "fast").map((item) => [item.name, item.minNs]),
    ),
  };
  await writeFile(baselineFile, JSON.stringify(baseline, null, 2) + "\n");
  console.log(`Baseline written to ${baselineFile}`);
}

function readOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        only: { type: "string" },
        "record-baseline": { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    }));
  } catch (error) {
    console.error(`${error.message}\n\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  return { only: values.only, recordBaseline: values["record-baseline"] };
}
