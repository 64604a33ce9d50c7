#!/usr/bin/env node
// Entry point of the `rampart` command (package.json `bin`).
import { runCli } from "./run-cli";

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `rampart: unexpected failure: ${(error as Error).stack ?? String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
