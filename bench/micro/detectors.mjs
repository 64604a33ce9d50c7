// Microbenchmarks of the agent's detectors, called directly as a sink calls them: nanoseconds per
// call on the fast path (no input occurs in the operation) and the full path (inputs occur, so the
// operation is tokenized and every occurrence judged). Run `node micro/detectors.mjs --help`.

import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { detectorCases } from "./detector-cases.mjs";
import { keptResults, referenceWorkload, timeCall } from "./timing.mjs";

const defaultOut = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "results",
  "micro-detectors.json",
);

const usage = `Usage: node micro/detectors.mjs [options]
  --batches <n>     timed batches per case; the median is reported (default 21)
  --batch-ms <ms>   length of one batch in milliseconds (default 20)
  --only <text>     run only the cases whose name contains this text
  --out <file>      JSON summary path (default bench/results/micro-detectors.json)`;

/**
 * Runs the selected cases and returns their figures, plus the reference workload's time, which
 * shows how fast the machine was during the run.
 */
export function runDetectorBenchmarks({ batches, batchMs, only, log = console.log }) {
  const cases = detectorCases().filter((item) => only === undefined || item.name.includes(only));
  if (cases.length === 0) throw new Error(`No detector case name contains "${only}"`);

  const reference = timeCall(referenceWorkload, { batches, batchMs });
  log(`reference workload: ${formatNs(reference.minNs)} per call (minimum)`);

  const results = [];
  for (const item of cases) {
    // A finding on benign input would be a false positive, and would time the reporting path.
    const finding = item.run();
    if (finding !== undefined) {
      throw new Error(`Case "${item.name}" reported a finding: ${JSON.stringify(finding)}`);
    }

    const timing = timeCall(item.run, { batches, batchMs });
    results.push({
      name: item.name,
      detector: item.detector,
      path: item.path,
      operationChars: item.operationChars,
      inputs: item.inputs,
      ...timing,
    });
    log(`${item.path.padEnd(4)}  ${formatNs(timing.medianNs).padStart(10)}  ${item.name}`);
  }
  return { referenceNs: reference.minNs, cases: results };
}

export function formatNs(ns) {
  return ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`;
}

async function main() {
  const options = readOptions();
  console.log(
    `Detector microbenchmarks: median of ${options.batches} batches of ${options.batchMs} ms, ` +
      `Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}`,
  );
  const loadAverageBefore = loadavg();
  const { referenceNs, cases } = runDetectorBenchmarks(options);
  const loadAverageAfter = loadavg();

  const slowFast = cases.filter((item) => item.path === "fast" && item.medianNs > 2000);
  console.log(
    slowFast.length === 0
      ? "Every fast-path case is under 2 µs."
      : `Fast-path cases over 2 µs: ${slowFast.map((item) => item.name).join("; ")}`,
  );

  const summary = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown CPU",
    loadAverageBefore,
    loadAverageAfter,
    batches: options.batches,
    batchMs: options.batchMs,
    referenceNs,
    cases,
    // Printed only so that no call of the timed loops can be optimized away.
    keptResults: keptResults(),
  };
  await mkdir(dirname(options.out), { recursive: true });
  await writeFile(options.out, JSON.stringify(summary, null, 2) + "\n");
  console.log(`Summary written to ${options.out}`);
}

function readOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        batches: { type: "string", default: "21" },
        "batch-ms": { type: "string", default: "20" },
        only: { type: "string" },
        out: { type: "string", default: defaultOut },
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
  return {
    batches: readPositiveInteger("--batches", values.batches),
    batchMs: readPositiveInteger("--batch-ms", values["batch-ms"]),
    only: values.only,
    out: resolve(values.out),
  };
}

function readPositiveInteger(flag, raw) {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`Invalid ${flag} "${raw}": expected a positive integer.\n\n${usage}`);
    process.exit(2);
  }
  return value;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    await main();
  } catch (error) {
    console.error(`Detector microbenchmarks failed: ${error.message}`);
    process.exitCode = 1;
  }
}
