import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import type { SecurityEvent as AgentEvent } from "../../src/telemetry/security-event";

/**
 * An event as tests read it. Events about an operation outside any request, or refused without an
 * input, carry null there; tests that expect those check for null before reading the fields.
 */
export type SecurityEvent = AgentEvent & {
  input: NonNullable<AgentEvent["input"]>;
  request: NonNullable<AgentEvent["request"]>;
};

/** Directory of the fixture apps. */
export const fixturesDir = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../fixtures",
);

/** How long an app may take to print its listening line, in milliseconds. */
const startTimeoutMs = 15_000;

export interface AppOptions {
  /** Fixture file name in test/fixtures, or an absolute path. */
  readonly script: string;
  /** `--require rampart/register` for CommonJS, `--import rampart/register` for ESM, or none. */
  readonly loader: "require" | "import" | "none";
  readonly mode?: "monitor" | "block" | "off";
  readonly env?: Record<string, string>;
  /** Node.js options placed before the loader's, such as `["--import", "tsx"]`. */
  readonly nodeArgs?: readonly string[];
  /** Arguments after the script, such as the app file when the script is a launcher like tsx's. */
  readonly scriptArgs?: readonly string[];
}

/** A fixture app running under the agent in a child process. */
export interface RunningApp {
  readonly url: string;
  readonly process: ChildProcess;
  /** Everything the app wrote to stderr so far (agent diagnostics included). */
  stderr(): string;
  /** Security events written so far (the agent writes them shortly after each request). */
  events(): SecurityEvent[];
  /** Waits until at least `count` events were written, polling for up to `timeoutMs`. */
  waitForEvents(count: number, timeoutMs?: number): Promise<SecurityEvent[]>;
  /** Waits for the event with this id (from a 403 body); undefined when it was not written in time. */
  waitForEvent(eventId: string, timeoutMs?: number): Promise<SecurityEvent | undefined>;
  stop(): Promise<void>;
}

function loaderArgs(loader: AppOptions["loader"]): string[] {
  if (loader === "require") return ["--require", "rampart/register"];
  if (loader === "import") return ["--import", "rampart/register"];
  return [];
}

function readEvents(file: string): SecurityEvent[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  // The agent may be in the middle of a write: only lines ended by a newline are complete.
  return text
    .split("\n")
    .slice(0, -1)
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as SecurityEvent);
}

function waitForListening(child: ChildProcess, output: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => {
      reject(
        new Error(
          `app did not print its listening line within ${startTimeoutMs} ms; stderr:\n${output()}`,
        ),
      );
    }, startTimeoutMs);

    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (https?:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`app exited with code ${code} before listening; stderr:\n${output()}`));
    });
  });
}

/**
 * Starts a fixture app on a free loopback port with the agent loaded as requested, events going to
 * a temporary file. The app must print `listening on http://127.0.0.1:<port>` on stdout.
 */
export async function startApp(options: AppOptions): Promise<RunningApp> {
  const workDir = mkdtempSync(path.join(tmpdir(), "rampart-test-"));
  const eventsFile = path.join(workDir, "events.jsonl");
  const script = path.isAbsolute(options.script)
    ? options.script
    : path.join(fixturesDir, options.script);

  const args = [
    ...(options.nodeArgs ?? []),
    ...loaderArgs(options.loader),
    script,
    ...(options.scriptArgs ?? []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: fixturesDir,
    env: {
      ...process.env,
      NODE_OPTIONS: "",
      PORT: "0",
      RAMPART_MODE: options.mode ?? "block",
      RAMPART_EVENTS: eventsFile,
      // Snapshots of blocked requests stay with the test's other files and go away with them.
      RAMPART_SNAPSHOT_DIR: path.join(workDir, "snapshots"),
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });

  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));

  let url: string;
  try {
    url = await waitForListening(child, () => stderr);
  } catch (error) {
    child.kill("SIGKILL");
    rmSync(workDir, { recursive: true, force: true });
    throw error;
  }

  return {
    url,
    process: child,
    stderr: () => stderr,
    events: () => readEvents(eventsFile),
    waitForEvents: (count, timeoutMs = 5_000) => waitForEvents(eventsFile, count, timeoutMs),
    waitForEvent: (eventId, timeoutMs = 5_000) => waitForEvent(eventsFile, eventId, timeoutMs),
    stop: () => stopChild(child, workDir),
  };
}

function stopChild(child: ChildProcess, workDir: string): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      rmSync(workDir, { recursive: true, force: true });
      resolve();
    };
    if (child.exitCode !== null || child.signalCode !== null) {
      done();
      return;
    }
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(timer);
      done();
    });
    child.kill("SIGTERM");
  });
}

async function waitForEvents(
  file: string,
  count: number,
  timeoutMs: number,
): Promise<SecurityEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = readEvents(file);
    if (events.length >= count || Date.now() > deadline) return events;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function waitForEvent(
  file: string,
  eventId: string,
  timeoutMs: number,
): Promise<SecurityEvent | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const event = readEvents(file).find((candidate) => candidate.event_id === eventId);
    if (event !== undefined || Date.now() > deadline) return event;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
