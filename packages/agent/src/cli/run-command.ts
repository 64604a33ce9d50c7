import { spawn } from "node:child_process";
import { constants } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { CliError, exitCodes, type CliIo, type Command } from "./io";

const usage = `Usage:
  rampart run [--] COMMAND [ARGUMENT]...

Runs COMMAND (usually \`node app.js\`) with the agent loaded into every Node.js
process it starts, by adding \`--import rampart/register\` to NODE_OPTIONS. Works
for CommonJS and ES module apps. Standard input, output and error are passed
through, signals (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR2) are forwarded, and
rampart exits with the command's exit status, or dies of the same signal.
Configure the agent with RAMPART_* variables, for example RAMPART_MODE=block.

Example:
  RAMPART_MODE=block rampart run -- node server.js

Options:
  --help  print this help
`;

/** Exit status of a shell when the command cannot be found. */
const commandNotFound = 127;

const forwardedSignals: readonly NodeJS.Signals[] = [
  "SIGINT",
  "SIGTERM",
  "SIGHUP",
  "SIGQUIT",
  "SIGUSR2",
];

/**
 * Path of this package's ES module register. Preloaded with `--import`, it runs before the app's
 * entry in both module formats, starts the agent (which hooks `require`) and registers the hooks
 * for `import`, so one flag protects CommonJS and ES module apps alike.
 */
export function registerUrl(): string {
  return pathToFileURL(path.resolve(__dirname, "../../esm/register.mjs")).href;
}

/** NODE_OPTIONS with the agent's preload added, unless an earlier `rampart run` added it already. */
export function nodeOptionsWithAgent(current: string | undefined): string {
  const url = registerUrl();
  const existing = (current ?? "").trim();
  if (existing.includes(url)) return existing;

  // A file URL has no spaces (they are percent-encoded), so the value needs no quoting.
  const flag = `--import=${url}`;
  return existing === "" ? flag : `${existing} ${flag}`;
}

function commandOf(args: readonly string[]): string[] {
  const command = args[0] === "--" ? args.slice(1) : [...args];
  if (command.length === 0) throw new CliError("missing COMMAND to run", exitCodes.usage);
  return command;
}

/** Exit status a shell reports for a process killed by `signal`: 128 plus the signal number. */
function signalStatus(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

function runChild(command: string[], io: CliIo): Promise<number> {
  const [file, ...args] = command as [string, ...string[]];
  const child = spawn(file, args, {
    stdio: "inherit",
    env: { ...process.env, NODE_OPTIONS: nodeOptionsWithAgent(process.env.NODE_OPTIONS) },
  });

  // The child gets every forwarded signal; rampart itself waits for the child to end.
  const forward = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of forwardedSignals) process.on(signal, forward);
  const stopForwarding = () => {
    for (const signal of forwardedSignals) process.removeListener(signal, forward);
  };

  return new Promise((resolve) => {
    child.once("error", (error: NodeJS.ErrnoException) => {
      stopForwarding();
      if (error.code === "ENOENT") {
        io.stderr.write(`rampart run: command not found: ${file}\n`);
        resolve(commandNotFound);
        return;
      }
      io.stderr.write(`rampart run: cannot start ${file}: ${error.message}\n`);
      resolve(exitCodes.failed);
    });

    child.once("exit", (code, signal) => {
      stopForwarding();
      if (signal === null) {
        resolve(code ?? exitCodes.failed);
        return;
      }
      // Dying of the same signal shows the parent (a shell, a supervisor) how the app ended.
      process.kill(process.pid, signal);
      resolve(signalStatus(signal));
    });
  });
}

/** `rampart run`: starts a command with the agent preloaded into its Node.js processes. */
export const runCommand: Command = {
  name: "run",
  summary: "run a Node.js app with the agent loaded",
  usage,
  run(args, io) {
    if (args[0] === "--help" || args[0] === "-h") {
      io.stdout.write(usage);
      return Promise.resolve(exitCodes.ok);
    }
    return runChild(commandOf(args), io);
  },
};
