// Measures start-up: the time from spawning the example app to its "listening on" line, without
// and with the agent (alternating, median of the runs), and the time that loading the agent itself
// takes with require and with import. Run `node startup.mjs --help` for the options.

import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";

import { exampleDir } from "rampart-example-express-sqlite/start-app.mjs";

import { startBenchApp } from "./apps/start.mjs";
import { median } from "./load.mjs";

const benchDir = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

const usage = `Usage: node startup.mjs [options]
  --runs <n>     starts per side and per measurement; the median is reported (default 10)
  --out <file>   JSON summary path (default bench/results/startup.json)`;

// The agent's events and logs are kept off the app's stdout, where the listening line appears.
const agentEnv = {
  RAMPART_MODE: "block",
  RAMPART_EVENTS: join(tmpdir(), "rampart-bench-startup-events.jsonl"),
};

/** Measures every start-up figure with `runs` starts each, printing as it goes. */
export async function measureStartup({ runs, log = console.log }) {
  const listen = { unprotected: [], protected: [] };
  for (let index = 0; index < runs; index++) {
    // Alternating the order spreads drift in machine load over both sides.
    const order = index % 2 === 0 ? [false, true] : [true, false];
    for (const agent of order) {
      const app = await startBenchApp({
        script: join(exampleDir, "app.js"),
        agent,
        env: agent ? agentEnv : {},
        label: `example app ${agent ? "under Rampart" : "without Rampart"}`,
      });
      await app.stop();
      listen[agent ? "protected" : "unprotected"].push(app.startMs);
    }
  }
  const timeToListen = {
    unprotectedMs: median(listen.unprotected),
    protectedMs: median(listen.protected),
  };
  timeToListen.addedMs = timeToListen.protectedMs - timeToListen.unprotectedMs;
  log(
    `time to listening line, example app: unprotected ${formatMs(timeToListen.unprotectedMs)}, ` +
      `protected ${formatMs(timeToListen.protectedMs)}, added ${formatMs(timeToListen.addedMs)}`,
  );

  const agentLoad = {
    requireMs: median(await timeAgentLoad("load-agent.cjs", runs)),
    importMs: median(await timeAgentLoad("load-agent.mjs", runs)),
  };
  log(
    `agent load in a fresh process: require("rampart/register") ${formatMs(agentLoad.requireMs)}, ` +
      `import("rampart/register") ${formatMs(agentLoad.importMs)}`,
  );
  return { runs, timeToListen, agentLoad };
}

async function timeAgentLoad(script, runs) {
  const times = [];
  for (let index = 0; index < runs; index++) {
    const { stdout } = await run(process.execPath, [join(benchDir, "startup", script)], {
      cwd: benchDir,
      env: { ...process.env, ...agentEnv, RAMPART_LOG_LEVEL: "warn" },
      timeout: 30_000,
    });
    const line = stdout.trim().split("\n").at(-1) ?? "";
    times.push(JSON.parse(line).loadMs);
  }
  return times;
}

function formatMs(ms) {
  return `${ms.toFixed(1)} ms`;
}

async function main() {
  const options = readOptions();
  console.log(`Start-up: ${options.runs} starts per figure, Node ${process.version}`);

  const loadAverageBefore = loadavg();
  const figures = await measureStartup(options);
  const summary = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown CPU",
    loadAverageBefore,
    loadAverageAfter: loadavg(),
    ...figures,
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
        runs: { type: "string", default: "10" },
        out: { type: "string", default: join(benchDir, "results", "startup.json") },
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
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`Invalid --runs "${values.runs}": expected a positive integer.\n\n${usage}`);
    process.exit(2);
  }
  return { runs, out: resolve(values.out) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    await main();
  } catch (error) {
    console.error(`Start-up benchmark failed: ${error.message}`);
    process.exitCode = 1;
  }
}
