// Prints the figures of the last full run (bench/results/latest.json, micro-detectors.json and
// startup.json) as Markdown tables, the form that docs/benchmarks.md shows them in.
// Usage: node report.mjs [results folder]

import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const resultsDir = resolve(
  process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "results"),
);

const readJson = async (name) => JSON.parse(await readFile(join(resultsDir, name), "utf8"));

function printLoad(load) {
  console.log(
    `Load: ${load.date}, ${load.options.rounds} rounds x ${load.options.duration} s, ` +
      `load average before ${load.loadAverageBefore[0].toFixed(2)}, after ${load.loadAverageAfter[0].toFixed(2)}, ` +
      `false positives ${load.falsePositives}\n`,
  );
  console.log(
    "| Scenario | unprotected req/s | protected req/s | req/s ratio | p50 (ms), unprotected → protected | p99 (ms), unprotected → protected | CPU per request (µs), unprotected → protected | CPU ratio |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const scenario of load.scenarios) {
    const { unprotected, protected: guarded } = scenario.medians;
    const cells = [
      `\`${scenario.name}\``,
      unprotected.requestsPerSecond.toFixed(0),
      guarded.requestsPerSecond.toFixed(0),
      scenario.ratios.requestsPerSecond.toFixed(2),
      `${unprotected.p50Ms.toFixed(2)} → ${guarded.p50Ms.toFixed(2)}`,
      `${unprotected.p99Ms.toFixed(2)} → ${guarded.p99Ms.toFixed(2)}`,
      `${(unprotected.cpuMsPerRequest * 1000).toFixed(0)} → ${(guarded.cpuMsPerRequest * 1000).toFixed(0)}`,
      scenario.ratios.cpuMsPerRequest.toFixed(2),
    ];
    console.log(`| ${cells.join(" | ")} |`);
  }

  console.log(
    "\n| App | side | RSS after start (MiB) | heap used after start | RSS after load | heap used after load |",
  );
  console.log("| --- | --- | ---: | ---: | ---: | ---: |");
  for (const [app, bySide] of Object.entries(load.memory ?? {})) {
    for (const [side, { afterStart, afterLoad }] of Object.entries(bySide)) {
      console.log(
        `| ${app} | ${side} | ${afterStart.rssMiB} | ${afterStart.heapUsedMiB} | ` +
          `${afterLoad.rssMiB} | ${afterLoad.heapUsedMiB} |`,
      );
    }
  }
}

function formatNs(ns) {
  return ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`;
}

function printMicro(micro) {
  console.log(
    `\nDetectors: ${micro.date}, ${micro.batches} batches of ${micro.batchMs} ms, ` +
      `reference workload ${formatNs(micro.referenceNs)}, load average before ` +
      `${micro.loadAverageBefore[0].toFixed(2)}\n`,
  );
  console.log("| Case | path | operation (chars) | median per call | minimum per call |");
  console.log("| --- | --- | ---: | ---: | ---: |");
  for (const item of micro.cases) {
    console.log(
      `| ${item.name} | ${item.path} | ${item.operationChars} | ${formatNs(item.medianNs)} | ${formatNs(item.minNs)} |`,
    );
  }
}

function printStartup(startup) {
  const { timeToListen, agentLoad } = startup;
  console.log(
    `\nStart-up: ${startup.date}, ${startup.runs} runs each, load average before ` +
      `${startup.loadAverageBefore[0].toFixed(2)}\n`,
  );
  console.log("| Figure | median (ms) |");
  console.log("| --- | ---: |");
  console.log(`| time to listening line, unprotected | ${timeToListen.unprotectedMs.toFixed(0)} |`);
  console.log(`| time to listening line, protected | ${timeToListen.protectedMs.toFixed(0)} |`);
  console.log(`| added by the agent | ${timeToListen.addedMs.toFixed(0)} |`);
  console.log(`| \`require("rampart/register")\` | ${agentLoad.requireMs.toFixed(0)} |`);
  console.log(`| \`import("rampart/register")\` | ${agentLoad.importMs.toFixed(0)} |`);
}

printLoad(await readJson("latest.json"));
printMicro(await readJson("micro-detectors.json"));
printStartup(await readJson("startup.json"));
