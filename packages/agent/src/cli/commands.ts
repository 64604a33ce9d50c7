import type { Command } from "./io";
import { reportCommand } from "./report/command";

/** Subcommands of `rampart`, by name. */
export const commands: ReadonlyMap<string, Command> = new Map(
  [reportCommand].map((command) => [command.name, command]),
);
