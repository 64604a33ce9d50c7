import type { Command } from "./io";
import { policyCommand } from "./policy/command";
import { reportCommand } from "./report/command";

/** Subcommands of `rampart`, by name. */
export const commands: ReadonlyMap<string, Command> = new Map(
  [reportCommand, policyCommand].map((command) => [command.name, command]),
);
