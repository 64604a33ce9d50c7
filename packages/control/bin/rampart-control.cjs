#!/usr/bin/env node
// Starts the control plane: `rampart-control [--port N] [--host H] [--database PATH|URL]`.
require("../dist/cli.js")
  .main(process.argv.slice(2))
  .then(
    (code) => (process.exitCode = code),
    (error) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
