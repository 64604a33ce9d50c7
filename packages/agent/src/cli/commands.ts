import { controlCommand } from "./control-command";
import type { Command } from "./io";
import { policyCommand } from "./policy/command";
import { reportCommand } from "./report/command";
import { runCommand } from "./run-command";

/** Subcommands of `rampart`, by name. */
export const commands: ReadonlyMap<string, Command> = new Map(
  [runCommand, reportCommand, policyCommand, controlCommand].map((command) => [
    command.name,
    command,
  ]),
);
