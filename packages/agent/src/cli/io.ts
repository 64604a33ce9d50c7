/** Output streams of a command: the process's streams, or buffers in tests. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** Exit status of a command: 0 success, 1 failure while running, 2 invalid usage. */
export const exitCodes = { ok: 0, failed: 1, usage: 2 } as const;

/** A failure that the command reports as one line on stderr, with its exit status. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = exitCodes.failed,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** A subcommand of `rampart`; new ones (such as `run`) register in commands.ts. */
export interface Command {
  readonly name: string;
  /** One line for the command list, at most 60 characters. */
  readonly summary: string;
  readonly usage: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}
