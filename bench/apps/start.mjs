// Starts a benchmark app in a child process, with or without the agent, and stops it by its PID.
// The app must print "listening on http://127.0.0.1:<port>" on stdout once it serves requests.

import { spawn } from "node:child_process";
import { dirname } from "node:path";
import { createInterface } from "node:readline";

const listeningLine = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/;
const maxOutputChars = 64 * 1024;

// Children still running when this process exits, killed by the "exit" handler so that an
// uncaught error leaves no app behind (a SIGKILL of this process still does).
const running = new Set();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * Starts `script` on a free port and resolves once it prints its listening line. `agent: true`
 * adds `--require rampart/register` (or `--import` for an ES module script). `env` entries are added
 * to a copy of this process's environment, and `nodeArgs` go before the agent's flag. The result
 * has `startMs`, the time from spawning to the listening line in milliseconds. Rejects when the app
 * exits or prints no listening line within `timeoutMs`.
 */
export async function startBenchApp({
  script,
  agent,
  env = {},
  nodeArgs = [],
  timeoutMs = 30_000,
  label = script,
}) {
  const agentArgs = agent
    ? [script.endsWith(".mjs") ? "--import" : "--require", "rampart/register"]
    : [];
  const startedAt = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, ...agentArgs, script], {
    cwd: dirname(script),
    env: { ...process.env, ...env, PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);

  const output = { stdout: "", stderr: "" };
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => (output.stderr = keepTail(output.stderr + chunk)));

  const exited = new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });

  const app = {
    label,
    pid: child.pid,
    url: "",
    startMs: 0,
    stderr: () => output.stderr,
    stdout: () => output.stdout,
    stop: () => stopChild(child, exited),
  };

  try {
    app.url = await waitForListening(child, output, exited, timeoutMs, label);
    app.startMs = performance.now() - startedAt;
  } catch (error) {
    await app.stop();
    throw error;
  }
  return app;
}

async function waitForListening(child, output, exited, timeoutMs, label) {
  // stdout stays consumed after the listening line, so that a full pipe never blocks the app.
  const lines = createInterface({ input: child.stdout });
  const listening = new Promise((resolve) => {
    lines.on("line", (line) => {
      output.stdout = keepTail(output.stdout + line + "\n");
      const match = listeningLine.exec(line);
      if (match) resolve(match[1]);
    });
  });

  let timer;
  const timedOut = new Promise((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${label} did not print "listening on ..." within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  const failed = exited.then(({ code, signal }) => {
    throw new Error(
      `${label} exited (code ${code}, signal ${signal}) before listening. Its stderr:\n` +
        (output.stderr.trim() || "(empty)"),
    );
  });

  try {
    return await Promise.race([listening, timedOut, failed]);
  } finally {
    clearTimeout(timer);
  }
}

/** Sends SIGTERM to the child's PID, then SIGKILL when it has not exited after 3 s. */
async function stopChild(child, exited) {
  if (child.exitCode !== null || child.signalCode !== null) return;

  signalChild(child, "SIGTERM");
  const timer = setTimeout(() => signalChild(child, "SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}

function signalChild(child, signal) {
  try {
    process.kill(child.pid, signal);
  } catch (error) {
    // ESRCH: the child exited between the check and the signal, which is the goal anyway.
    if (error.code !== "ESRCH") throw error;
  }
}

function keepTail(text) {
  return text.length > maxOutputChars ? text.slice(-maxOutputChars) : text;
}
