// One autocannon run against a URL, with exact latency percentiles.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

import autocannon from "autocannon";

// Clock ticks per second of the utime and stime fields in /proc/<pid>/stat (Linux only).
const clockTicksPerSecond = readClockTicks();

/**
 * Loads `url` for `durationSeconds` with `connections` keep-alive connections and returns the
 * throughput, latency percentiles (ms) and the CPU time that the server process `pid` spent per
 * request (ms, null where /proc is missing). `request` may set method, headers and body. Throws
 * when any response has another status than `expectedStatus` (default 200) or any request
 * errored, because such a run measures something other than the route.
 */
export async function measure(
  url,
  { connections, durationSeconds, pid, request = {}, expectedStatus = 200 },
) {
  // autocannon's own histogram stores whole milliseconds, too coarse for latencies of a few
  // milliseconds, so every latency (a float in ms) is also kept here.
  const latencies = [];
  const instance = autocannon({
    url,
    connections,
    duration: durationSeconds,
    pipelining: 1,
    ...request,
  });
  instance.on("response", (_client, _statusCode, _bytes, responseTime) =>
    latencies.push(responseTime),
  );

  const cpuBefore = readCpuSeconds(pid);
  const result = await instance;
  const cpuAfter = readCpuSeconds(pid);

  const unexpected = Object.entries(result.statusCodeStats ?? {})
    .filter(([status]) => Number(status) !== expectedStatus)
    .reduce((sum, [, stats]) => sum + stats.count, 0);
  const problems = result.errors + result.timeouts + unexpected;
  if (problems > 0) {
    throw new Error(
      `Load run against ${url} failed: ${result.errors} errors, ${result.timeouts} timeouts, ` +
        `${unexpected} responses other than ${expectedStatus} ` +
        `(status counts ${JSON.stringify(result.statusCodeStats)})`,
    );
  }
  if (result.requests.total === 0) throw new Error(`Load run against ${url} completed no requests`);

  latencies.sort((a, b) => a - b);
  return {
    requests: result.requests.total,
    durationSeconds: result.duration,
    requestsPerSecond: result.requests.total / result.duration,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    cpuMsPerRequest:
      cpuBefore === null || cpuAfter === null
        ? null
        : ((cpuAfter - cpuBefore) * 1000) / result.requests.total,
  };
}

/** Returns the user plus system CPU time (s) that process `pid` has used, or null without /proc. */
function readCpuSeconds(pid) {
  if (clockTicksPerSecond === null) return null;

  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // Fields after the parenthesized command name start at field 3, so utime (14) and stime (15)
  // are at indexes 11 and 12.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
}

function readClockTicks() {
  if (process.platform !== "linux") return null;
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
  } catch {
    // USER_HZ is 100 on common Linux builds.
    return 100;
  }
}

/** Returns the nearest-rank percentile of sorted values. */
function percentile(sorted, fraction) {
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[rank - 1];
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
