// Pins the load generator and the apps under test to separate CPUs with taskset(1), so that the
// scheduler does not move an app between cores or run it beside the load generator for part of a
// round.

import { execFileSync } from "node:child_process";
import { availableParallelism } from "node:os";

/**
 * Returns the CPUs to pin to as `{ loadCpu, appCpu }`, or `{ reason }` when the machine cannot pin.
 * Pinning needs Linux, two CPUs and the taskset command.
 */
export function pinningPlan() {
  if (process.platform !== "linux") return { reason: "not Linux" };
  const cpuCount = availableParallelism();
  if (cpuCount < 2) return { reason: `${cpuCount} CPU available` };
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" });
  } catch {
    return { reason: "taskset (util-linux) not found" };
  }
  return { loadCpu: 0, appCpu: cpuCount - 1 };
}

/** Sets the CPU affinity of every thread of process `pid` to `cpu`. Throws when taskset fails. */
export function pinProcess(pid, cpu) {
  execFileSync("taskset", ["--all-tasks", "--pid", "--cpu-list", String(cpu), String(pid)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
}
