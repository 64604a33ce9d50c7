// Measures what Rampart costs an app: the same routes are loaded on each app without the agent and
// under the agent in block mode, in alternating rounds, and the medians are compared. The apps are
// the example app (one route per sink class) and bench/apps/drivers.cjs (an empty route and one
// route per SQL driver). Memory is read from each app after it starts and after its load.
// Run `node run.mjs --help` for the options.

import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { exampleDir } from "rampart-example-express-sqlite/start-app.mjs";

import { browserHeaders } from "./browser-request.mjs";

import { pinningPlan, pinProcess } from "./apps/cpu-affinity.mjs";
import { memoryProbe, readAppMemory } from "./apps/memory.mjs";
import { startBenchApp } from "./apps/start.mjs";
import { measure, median } from "./load.mjs";

const benchDir = dirname(fileURLToPath(import.meta.url));
const defaultOut = join(benchDir, "results", "latest.json");

// The apps under test. Each has an attack probe that the protected side must block and the
// unprotected side must not, which proves that each side runs the configuration that the figures
// claim.
const apps = {
  example: {
    script: join(exampleDir, "app.js"),
    title: "example app (examples/express-sqlite/app.js)",
    probePath: "/users?name=x'%20OR%20'1'%3D'1",
  },
  drivers: {
    script: join(benchDir, "apps", "drivers.cjs"),
    title: "drivers app (bench/apps/drivers.cjs)",
    probePath: "/probe?name=x'%20OR%20'1'%3D'1",
  },
};

const sqlDrivers = ["pg", "postgres", "mysql", "mysql2", "mariadb", "better-sqlite3", "sqlite3"];

const scenarios = [
  {
    name: "db-parameterized",
    title: "Parameterized DB route",
    path: "/products/by-category?category=tools",
  },
  {
    // The input reaches the SQL text, so the agent runs its full detection on every request.
    name: "injectable-benign",
    title: "Injectable route, benign input",
    path: "/users?name=alice",
  },
  // One route per sink class beyond SQL, each with benign input that reaches the sink once.
  { name: "fs-read", title: "File read (fs/promises)", path: "/files?name=readme.txt" },
  {
    // The same route with a browser's headers, cookies and bearer token: 31 inputs where the
    // load generator's bare request has 5, all collected when the file read is inspected.
    name: "fs-read-browser",
    title: "File read, browser request headers",
    path: "/files?name=readme.txt",
    request: { headers: browserHeaders },
  },
  {
    name: "shell-exec",
    title: "Shell command (child_process.exec)",
    path: "/files/lines?name=readme.txt",
  },
  {
    name: "outgoing-fetch",
    title: "Outgoing request to the app itself (fetch)",
    path: "/products/preview?path=%2Fproducts%2Fby-category%3Fcategory%3Dtools",
  },
  { name: "code-function", title: "Compiled expression (Function)", path: "/calc?expr=2*(3%2B4)" },
  {
    name: "deserialize",
    title: "Deserialization (node-serialize)",
    path: "/preferences/import",
    request: jsonPost({ data: '{"theme":"dark","items":[1,2,3]}' }),
  },
  { name: "html-response", title: "HTML response with input", path: "/search/page?q=cable" },
  {
    name: "redirect",
    title: "Redirect (Location header)",
    path: "/go?next=/products",
    status: 302,
  },
  {
    name: "json-body-merge",
    title: "JSON body merged into settings",
    path: "/settings",
    request: jsonPost({ theme: "dark" }),
  },
  // NOTE: no MongoDB server runs on the benchmark machine, so the NoSQL sink has no route here.
  {
    name: "empty",
    title: "Empty route (Express, no sink)",
    app: "drivers",
    path: "/empty",
  },
  // The same parameterized SELECT of 10 rows through each driver. The path segment `products`
  // occurs in the table name, so the SQL detector tokenizes the query (once, then from its cache).
  ...sqlDrivers.map((driver) => ({
    name: `driver-${driver}`,
    title: `SQL driver ${driver}, parameterized query`,
    app: "drivers",
    path: `/drivers/${driver}/products?category=tools`,
  })),
].map((scenario) => ({ app: "example", ...scenario }));

function jsonPost(body) {
  return {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  };
}

// Figures taken from every load run. cpuMsPerRequest is the app process's CPU time per request.
const metrics = ["requestsPerSecond", "p50Ms", "p99Ms", "cpuMsPerRequest"];

const usage = `Usage: node run.mjs [options]
  --warmup <s>        warm-up load per side and scenario, in seconds (default 3, smoke 1)
  --duration <s>      length of each measured round, in seconds (default 3, smoke 1)
  --rounds <n>        measured rounds per side and scenario (default 10, smoke 1)
  --connections <n>   concurrent keep-alive connections (default 10)
  --smoke             short run that checks the setup, not a measurement
  --out <file>        JSON summary path (default bench/results/latest.json, smoke: OS temp dir)
  --only <names>      comma-separated scenario names to run (default: all)
  --no-pin            leaves CPU placement to the scheduler. By default, on Linux with 2 or more
                      CPUs, taskset pins the load generator to the first CPU and the apps to the last
  --async-context     adds a third side: the app with each request run in an AsyncLocalStorage
                      and no agent, which shows what the async context alone costs
Scenarios: ${scenarios.map((scenario) => scenario.name).join(", ")}`;

const options = readOptions();
const sides = [];

// The "exit" handler of start-app.mjs does not run when a signal ends this process.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    console.error(`\nBenchmark interrupted by ${signal}`);
    await stopAll();
    process.exit(1);
  });
}

try {
  await main();
} catch (error) {
  console.error(`\nBenchmark failed: ${error.message}`);
  for (const app of runningApps()) {
    console.error(`Last stderr of ${app.label}:\n${app.stderr().trim() || "(empty)"}`);
  }
  process.exitCode = 1;
} finally {
  await stopAll();
}

function runningApps() {
  return sides.flatMap((side) => Object.values(side.apps));
}

async function stopAll() {
  await Promise.all(runningApps().map((app) => app.stop()));
}

async function main() {
  const selected = selectedScenarios();
  const appNames = Object.keys(apps).filter((name) =>
    selected.some((scenario) => scenario.app === name),
  );

  sides.push({ name: "unprotected", apps: {}, probes: {} });
  sides.push({ name: "protected", apps: {}, probes: {}, eventsFiles: {} });
  if (options.asyncContext) sides.push({ name: "asyncContext", apps: {}, probes: {} });
  // One app at a time, because the drivers app recreates its tables when it starts.
  for (const appName of appNames) {
    for (const side of sides) await startSide(side, appName);
  }
  await checkSides(appNames);
  const pinning = pinAll();

  const memory = {};
  for (const appName of appNames) await readMemory(memory, appName, "afterStart");

  const machine = describeMachine();
  // Other processes' load moves the figures, so it is recorded next to them.
  const loadAverageBefore = loadavg();
  console.log(
    `Rampart benchmark: ${options.connections} connections, warm-up ${options.warmup} s, ` +
      `${options.rounds} rounds x ${options.duration} s per side, sides alternating`,
  );
  console.log(
    `Machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}`,
  );
  console.log(
    pinning.reason === undefined
      ? `CPU pinning: load generator on CPU ${pinning.loadCpu}, apps on CPU ${pinning.appCpu}`
      : `CPU pinning: off (${pinning.reason})`,
  );

  const results = [];
  for (const appName of appNames) {
    for (const scenario of selected.filter((item) => item.app === appName)) {
      results.push(await runScenario(scenario));
    }
    await readMemory(memory, appName, "afterLoad");
  }
  printMemory(memory);

  // Each probe wrote one event, so any other event means that benign load was flagged.
  let falsePositives = 0;
  for (const eventsFile of Object.values(sides[1].eventsFiles)) {
    const eventLines = (await readFile(eventsFile, "utf8").catch(() => ""))
      .split("\n")
      .filter(Boolean);
    falsePositives += eventLines.length - 1;
    await rm(eventsFile, { force: true });
  }
  console.log(`\nSecurity events during load (false positives): ${falsePositives}`);

  const loadAverageAfter = loadavg();
  console.log(
    `Load average (1, 5, 15 min) before: ${formatLoad(loadAverageBefore)}, ` +
      `after: ${formatLoad(loadAverageAfter)}`,
  );

  const summary = {
    date: new Date().toISOString(),
    machine,
    loadAverageBefore,
    loadAverageAfter,
    options,
    pinning,
    falsePositives,
    startMs: Object.fromEntries(
      appNames.map((name) => [
        name,
        Object.fromEntries(sides.map((side) => [side.name, side.apps[name].startMs])),
      ]),
    ),
    memory,
    scenarios: results,
  };
  await mkdir(dirname(options.out), { recursive: true });
  await writeFile(options.out, JSON.stringify(summary, null, 2) + "\n");
  console.log(`Summary written to ${options.out}`);
}

/**
 * Pins this process (autocannon runs in it) and every app, unless `--no-pin` is set or the machine
 * cannot pin. Returns the plan, or the reason why nothing was pinned.
 */
function pinAll() {
  if (!options.pin) return { reason: "--no-pin" };
  const plan = pinningPlan();
  if (plan.reason !== undefined) return plan;

  pinProcess(process.pid, plan.loadCpu);
  for (const app of runningApps()) pinProcess(app.pid, plan.appCpu);
  return plan;
}

async function startSide(side, appName) {
  const { script, title } = apps[appName];
  const probe = memoryProbe();
  const env = { ...probe.env };
  if (side.name === "protected") {
    side.eventsFiles[appName] = join(
      tmpdir(),
      `rampart-bench-events-${process.pid}-${appName}.jsonl`,
    );
    await rm(side.eventsFiles[appName], { force: true });
    Object.assign(env, { RAMPART_MODE: "block", RAMPART_EVENTS: side.eventsFiles[appName] });
  }
  side.probes[appName] = probe.file;
  const nodeArgs =
    side.name === "asyncContext"
      ? [...probe.nodeArgs, "--require", join(benchDir, "apps", "async-context.cjs")]
      : probe.nodeArgs;
  const labels = {
    unprotected: "without Rampart",
    protected: "under Rampart",
    asyncContext: "in an AsyncLocalStorage only",
  };
  side.apps[appName] = await startBenchApp({
    script,
    agent: side.name === "protected",
    env,
    nodeArgs,
    label: `${title} ${labels[side.name]}`,
  });
}

/** Sends each app's probe attack to both sides and throws unless only the protected side blocks it. */
async function checkSides(appNames) {
  for (const appName of appNames) {
    for (const side of sides) {
      const app = side.apps[appName];
      const probePath = apps[appName].probePath;
      const response = await fetch(app.url + probePath, { signal: AbortSignal.timeout(5000) });
      await response.arrayBuffer();

      const blocked = response.status === 403;
      if (blocked !== (side.name === "protected")) {
        throw new Error(
          `${app.label} returned status ${response.status} for the probe attack ${probePath}: ` +
            (blocked ? "the agent is active where it must not be" : "the agent is not blocking"),
        );
      }
    }
  }
}

/** Reads the memory of both sides of one app, in MiB, into `memory[appName][side][moment]`. */
async function readMemory(memory, appName, moment) {
  memory[appName] ??= {};
  for (const side of sides) {
    memory[appName][side.name] ??= {};
    memory[appName][side.name][moment] = await readAppMemory(
      side.apps[appName],
      side.probes[appName],
    );
  }
}

function printMemory(memory) {
  console.log("\nMemory (MiB): RSS and V8 heap used, after start and after the load");
  for (const [appName, bySide] of Object.entries(memory)) {
    for (const [sideName, moments] of Object.entries(bySide)) {
      const line = Object.entries(moments)
        .map(([moment, usage]) => `${moment} RSS ${usage.rssMiB}, heap ${usage.heapUsedMiB}`)
        .join("; ");
      console.log(`  ${appName.padEnd(8)} ${sideName.padEnd(12)} ${line}`);
    }
  }
}

function selectedScenarios() {
  if (options.only === undefined) return scenarios;

  const names = options.only.split(",").map((name) => name.trim());
  const unknown = names.filter((name) => !scenarios.some((scenario) => scenario.name === name));
  if (unknown.length > 0) throw new Error(`Unknown scenario(s) in --only: ${unknown.join(", ")}`);
  return scenarios.filter((scenario) => names.includes(scenario.name));
}

async function runScenario(scenario) {
  console.log(`\n${scenario.title}: ${scenario.request?.method ?? "GET"} ${scenario.path}`);
  const load = (side, durationSeconds) =>
    measure(side.apps[scenario.app].url + scenario.path, {
      connections: options.connections,
      durationSeconds,
      pid: side.apps[scenario.app].pid,
      request: scenario.request,
      expectedStatus: scenario.status,
    });

  for (const side of sides) await load(side, options.warmup);

  // Alternating which side goes first spreads slow drift, such as other processes' load, over both
  // sides.
  const rounds = Object.fromEntries(sides.map((side) => [side.name, []]));
  for (let round = 1; round <= options.rounds; round++) {
    const order = round % 2 === 1 ? sides : [...sides].reverse();
    for (const side of order) {
      const figures = await load(side, options.duration);
      rounds[side.name].push(figures);
      console.log(`  round ${round}  ${side.name.padEnd(12)} ${formatFigures(figures)}`);
    }
  }

  const { medians, ratios, asyncContextRatios, roundRatios } = summarize(rounds);
  for (const side of sides) {
    console.log(`  median       ${side.name.padEnd(12)} ${formatFigures(medians[side.name])}`);
  }
  console.log(
    "  protected/unprotected: " +
      metrics.map((metric) => `${metric} ${ratios[metric]?.toFixed(3) ?? "n/a"}`).join(", "),
  );
  if (asyncContextRatios !== undefined) {
    console.log(
      "  asyncContext/unprotected: " +
        metrics
          .map((metric) => `${metric} ${asyncContextRatios[metric]?.toFixed(3) ?? "n/a"}`)
          .join(", "),
    );
  }
  console.log(
    `  req/s ratio per round: ${roundRatios.map((ratio) => ratio.toFixed(3)).join(", ")} ` +
      `(min ${Math.min(...roundRatios).toFixed(3)}, max ${Math.max(...roundRatios).toFixed(3)})`,
  );
  return { ...scenario, rounds, medians, ratios, asyncContextRatios, roundRatios };
}

/**
 * Computes the median of each metric per side, and the median of the per-round ratios of each side
 * to the unprotected side.
 */
function summarize(rounds) {
  const medians = {};
  for (const side of sides) {
    medians[side.name] = {};
    for (const metric of metrics) {
      const values = rounds[side.name].map((figures) => figures[metric]);
      medians[side.name][metric] = values.includes(null) ? null : median(values);
    }
  }

  // The median of the rounds' ratios, rather than the ratio of the medians: the two runs of a
  // round are seconds apart, so a machine that slows down for a few rounds moves both alike.
  const ratiosTo = (sideName) => {
    const result = {};
    for (const metric of metrics) {
      const pairs = rounds[sideName].map((figures, index) => [
        figures[metric],
        rounds.unprotected[index][metric],
      ]);
      result[metric] = pairs.some(([value, base]) => value === null || base === null)
        ? null
        : median(pairs.map(([value, base]) => value / base));
    }
    return result;
  };
  const ratios = ratiosTo("protected");
  // The share of the agent's cost that the async context alone explains.
  const asyncContextRatios =
    medians.asyncContext === undefined ? undefined : ratiosTo("asyncContext");

  // The req/s ratio of the two runs of each round shows how much the machine's noise moves it.
  const roundRatios = rounds.protected.map(
    (figures, index) => figures.requestsPerSecond / rounds.unprotected[index].requestsPerSecond,
  );
  return { medians, ratios, asyncContextRatios, roundRatios };
}

function formatFigures({ requestsPerSecond, p50Ms, p99Ms, cpuMsPerRequest }) {
  const cpu = cpuMsPerRequest === null ? "n/a" : `${(cpuMsPerRequest * 1000).toFixed(0)} us`;
  return (
    `${requestsPerSecond.toFixed(0).padStart(6)} req/s  ` +
    `p50 ${p50Ms.toFixed(2).padStart(6)} ms  p99 ${p99Ms.toFixed(2).padStart(6)} ms  ` +
    `app CPU/request ${cpu.padStart(6)}`
  );
}

function formatLoad(load) {
  return load.map((value) => value.toFixed(2)).join(", ");
}

function describeMachine() {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown CPU",
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

function readOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      allowNegative: true,
      options: {
        warmup: { type: "string" },
        duration: { type: "string" },
        rounds: { type: "string" },
        connections: { type: "string" },
        smoke: { type: "boolean", default: false },
        out: { type: "string" },
        only: { type: "string" },
        "async-context": { type: "boolean", default: false },
        pin: { type: "boolean", default: true },
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

  // Many short alternating rounds rather than a few long ones, because load from other processes
  // on a shared machine comes and goes within seconds.
  const fullRun = { warmup: 3, duration: 3, rounds: 10, connections: 10 };
  const smokeRun = { warmup: 1, duration: 1, rounds: 1, connections: 10 };
  const defaults = values.smoke ? smokeRun : fullRun;
  return {
    smoke: values.smoke,
    warmup: readPositiveInteger("--warmup", values.warmup, defaults.warmup),
    duration: readPositiveInteger("--duration", values.duration, defaults.duration),
    rounds: readPositiveInteger("--rounds", values.rounds, defaults.rounds),
    connections: readPositiveInteger("--connections", values.connections, defaults.connections),
    only: values.only,
    asyncContext: values["async-context"],
    pin: values.pin,
    // A smoke run is no measurement, so by default it does not replace the recorded summary.
    out: resolve(
      values.out ?? (values.smoke ? join(tmpdir(), "rampart-bench-smoke.json") : defaultOut),
    ),
  };
}

function readPositiveInteger(flag, raw, fallback) {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`Invalid ${flag} "${raw}": expected a positive integer.\n\n${usage}`);
    process.exit(2);
  }
  return value;
}
