import { agentVersion } from "../version";
import { commands } from "./commands";
import { CliError, exitCodes, type CliIo } from "./io";

function usage(): string {
  const lines = ["Usage: rampart <command> [options]", "", "Commands:"];
  for (const command of commands.values())
    lines.push(`  ${command.name.padEnd(10)} ${command.summary}`);
  lines.push("", "Run `rampart <command> --help` for the options of a command.", "");
  return lines.join("\n");
}

/** Runs `rampart` with its arguments (without `node` and the script) and returns the exit status. */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    io.stdout.write(usage());
    return name === undefined ? exitCodes.usage : exitCodes.ok;
  }
  if (name === "--version" || name === "-v") {
    io.stdout.write(`${agentVersion}\n`);
    return exitCodes.ok;
  }

  const command = commands.get(name);
  if (command === undefined) {
    io.stderr.write(`rampart: unknown command "${name}"\n\n${usage()}`);
    return exitCodes.usage;
  }

  try {
    return await command.run(rest, io);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    io.stderr.write(`rampart ${command.name}: ${error.message}\n`);
    if (error.exitCode === exitCodes.usage) io.stderr.write(`\n${command.usage}`);
    return error.exitCode;
  }
}
