import childProcess, { ChildProcess } from "node:child_process";
import { PassThrough, Writable } from "node:stream";
import { promisify } from "node:util";

import {
  detectArgumentInjection,
  detectProgramFromInput,
  detectShellInjection,
  shellScriptArgument,
} from "../detectors/shell";
import type { RampartBlockedError } from "../errors";
import { failOpen } from "../failsafe";
import { inspect, isInspecting } from "../guard/guard";
import type { RuntimeInstrumentation } from "../instrument/runtime-hooks";
import { wrapMethod } from "../instrument/wrap";
import { callbackIndex } from "./call";

type AnyFunction = (this: unknown, ...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A child process launch as Node.js will run it. */
interface Launch {
  readonly file: string;
  readonly args: readonly string[];
  readonly options: { shell?: unknown; encoding?: unknown } | undefined;
  /** The command line a shell runs, when `shell` is set; Node joins file and arguments with spaces. */
  readonly shellCommand: string | undefined;
}

/**
 * Depth of calls to the original `exec`. Node's `exec` calls `module.exports.execFile`, which is the
 * wrapper, and the command was judged already as `child_process.exec`.
 */
let execDepth = 0;

function isOptions(value: unknown): value is Launch["options"] & object {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Describes `spawn(file, args?, options?)`, `execFile(file, args?, options?, callback?)` and their sync forms. */
function fileLaunch(args: readonly unknown[]): Launch | undefined {
  const [file, second, third] = args;
  if (typeof file !== "string") return undefined;

  const argv = Array.isArray(second) ? second.map(String) : [];
  const optionsArgument = Array.isArray(second) ? third : second;
  const options = isOptions(optionsArgument) ? optionsArgument : undefined;
  const shell = options?.shell;
  const usesShell = shell === true || (typeof shell === "string" && shell !== "");
  const shellCommand = usesShell ? [file, ...argv].join(" ") : undefined;
  return { file, args: argv, options, shellCommand };
}

/** Describes `exec(command, options?, callback?)` and `execSync(command, options?)`: always a shell. */
function commandLaunch(args: readonly unknown[]): Launch | undefined {
  const [command, options] = args;
  if (typeof command !== "string") return undefined;
  return {
    file: command,
    args: [],
    options: isOptions(options) ? options : undefined,
    shellCommand: command,
  };
}

/** A launch described from a call's arguments, and the error to deliver when it must not run. */
interface Verdict {
  readonly launch: Launch | undefined;
  readonly blocked: RampartBlockedError | undefined;
}

const allowed: Verdict = { launch: undefined, blocked: undefined };

/** Describes and judges one call. Any fault in the agent lets the call run unjudged. */
function judgeCall(
  sink: string,
  describe: (args: unknown[]) => Launch | undefined,
  args: unknown[],
): Verdict {
  return failOpen(`describe.${sink}`, allowed, () => {
    const launch = describe(args);
    return { launch, blocked: launch === undefined ? undefined : inspectLaunch(sink, launch) };
  });
}

/** Judges one launch; returns the error to deliver when it must not run. */
function inspectLaunch(sink: string, launch: Launch): RampartBlockedError | undefined {
  if (launch.shellCommand !== undefined) return inspectShellCommand(sink, launch.shellCommand);

  const operation = [launch.file, ...launch.args].join(" ");
  const script = shellScriptArgument(launch.file, launch.args);
  if (script !== undefined) return inspectShellCommand(sink, script);

  const programBlocked = inspect({
    attackType: "shell_injection",
    sink,
    operation,
    detect: (inputs) => detectProgramFromInput(launch.file, inputs),
  });
  if (programBlocked !== undefined) return programBlocked;

  return inspectArguments(sink, launch, operation);
}

function inspectShellCommand(sink: string, command: string): RampartBlockedError | undefined {
  return inspect({
    attackType: "shell_injection",
    sink,
    operation: command,
    detect: (inputs) => detectShellInjection(command, inputs),
    cleanKey: command,
  });
}

function inspectArguments(
  sink: string,
  launch: Launch,
  operation: string,
): RampartBlockedError | undefined {
  if (!isInspecting("argument_injection")) return undefined;

  const offsets: number[] = [];
  let offset = launch.file.length + 1;
  for (const arg of launch.args) {
    offsets.push(offset);
    offset += arg.length + 1;
  }

  return inspect({
    attackType: "argument_injection",
    sink,
    operation,
    detect: (inputs) => detectArgumentInjection(launch.args, offsets, inputs),
  });
}

/** Empty output in the type that the callback of exec or execFile would receive. */
function emptyOutput(options: Launch["options"]): string | Buffer {
  const encoding = options?.encoding;
  return encoding === "buffer" || encoding === null ? Buffer.alloc(0) : "";
}

/**
 * Returns a ChildProcess that never ran and fails the way Node reports a spawn failure such as ENOENT.
 * On the next tick it emits 'error', ends its output streams and emits 'close' with exit code -1 (Node
 * passes the negative errno; -1 is EPERM's) and no signal. It emits 'error' only when the app listens,
 * so an unhandled block cannot crash the process.
 */
function blockedChildProcess(error: RampartBlockedError): ChildProcess {
  const child = new ChildProcess();
  const stdin = new Writable({ write: (_chunk, _encoding, done) => done() });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  Object.assign(child, { stdin, stdout, stderr, stdio: [stdin, stdout, stderr, null, null] });

  process.nextTick(() => {
    if (child.listenerCount("error") > 0) child.emit("error", error);
    stdout.end();
    stderr.end();
    Object.assign(child, { exitCode: -1 });
    child.emit("close", -1, null);
  });
  return child;
}

/** Wraps a function that throws on failure (`execSync`, `execFileSync`). */
function throwingSync(sink: string, describe: (args: unknown[]) => Launch | undefined) {
  return (original: AnyFunction): AnyFunction =>
    function launchSync(this: unknown, ...args: unknown[]) {
      const { blocked } = judgeCall(sink, describe, args);
      if (blocked !== undefined) throw blocked;
      return original.apply(this, args);
    };
}

/**
 * Wraps `spawnSync`, which reports a failed spawn in the `error` field of its result rather than by
 * throwing. The output fields are empty instead of null, so that an app reading `stdout` without
 * checking `error` gets no output rather than a TypeError.
 */
function wrapSpawnSync(original: AnyFunction): AnyFunction {
  return function spawnSync(this: unknown, ...args: unknown[]) {
    const { launch, blocked } = judgeCall("child_process.spawnSync", fileLaunch, args);
    if (blocked === undefined) return original.apply(this, args);

    const output = emptyOutput(launch?.options);
    return {
      pid: 0,
      output: [null, output, output],
      stdout: output,
      stderr: output,
      status: null,
      signal: null,
      error: blocked,
    };
  };
}

function wrapSpawn(original: AnyFunction): AnyFunction {
  return function spawn(this: unknown, ...args: unknown[]) {
    const { blocked } = judgeCall("child_process.spawn", fileLaunch, args);
    if (blocked !== undefined) return blockedChildProcess(blocked);
    return original.apply(this, args);
  };
}

/**
 * Wraps `exec` or `execFile`. A blocked call returns a ChildProcess that never ran, and the callback
 * gets the error with empty output on the next tick, as for a program that could not be spawned.
 */
function asyncExec(sink: string, describe: (args: unknown[]) => Launch | undefined) {
  return (original: AnyFunction): AnyFunction => {
    const wrapper = function launch(this: unknown, ...args: unknown[]) {
      const judgedAsExec = sink === "child_process.execFile" && execDepth > 0;
      const { launch: launchCall, blocked } = judgedAsExec
        ? allowed
        : judgeCall(sink, describe, args);
      if (blocked === undefined) return runOriginal(original, this, args, sink);

      const callback = args[callbackIndex(args)];
      if (typeof callback === "function") {
        const output = emptyOutput(launchCall?.options);
        process.nextTick(callback as AnyFunction, blocked, output, output);
      }
      return blockedChildProcess(blocked);
    };

    Object.defineProperty(wrapper, promisify.custom, {
      value: promisifiedExec(wrapper),
      configurable: true,
    });
    return wrapper;
  };
}

function runOriginal(original: AnyFunction, self: unknown, args: unknown[], sink: string): unknown {
  if (sink !== "child_process.exec") return original.apply(self, args);

  execDepth++;
  try {
    return original.apply(self, args);
  } finally {
    execDepth--;
  }
}

/**
 * Builds the `util.promisify` form of exec and execFile on the wrapper, because Node's own form calls the
 * unwrapped function. Like Node's, the promise resolves `{ stdout, stderr }`, rejects with an error that
 * carries both, and exposes the ChildProcess as `promise.child`.
 */
function promisifiedExec(wrapper: AnyFunction) {
  return function execAsync(this: unknown, ...args: unknown[]) {
    let child: unknown;
    const promise = new Promise((resolve, reject) => {
      child = wrapper.call(this, ...args, (error: unknown, stdout: unknown, stderr: unknown) => {
        if (error === null || error === undefined) resolve({ stdout, stderr });
        else reject(Object.assign(error as object, { stdout, stderr }));
      });
    });
    return Object.assign(promise, { child });
  };
}

/**
 * `node:child_process`: exec, execSync, execFile, execFileSync, spawn and spawnSync. A command line that a
 * shell runs is judged for shell injection. A program started without a shell is judged for a user-chosen
 * program and for option injection. A shell given a script (`sh -c SCRIPT`) has its script judged instead.
 *
 * NOTE: `fork` is not judged because it runs a Node.js module, not a command line.
 */
export const childProcessInstrumentation: RuntimeInstrumentation = {
  name: "node:child_process",
  install() {
    const target = childProcess as unknown as Record<string, unknown>;
    wrapMethod(target, "exec", asyncExec("child_process.exec", commandLaunch));
    wrapMethod(target, "execFile", asyncExec("child_process.execFile", fileLaunch));
    wrapMethod(target, "spawn", wrapSpawn);
    wrapMethod(target, "execSync", throwingSync("child_process.execSync", commandLaunch));
    wrapMethod(target, "execFileSync", throwingSync("child_process.execFileSync", fileLaunch));
    wrapMethod(target, "spawnSync", wrapSpawnSync);
  },
};
