#!/usr/bin/env node
// The `rampart` command. This file exists before the build, so that `npm install` links the
// command in a clone too; the implementation is the compiled CLI in dist/.
"use strict";

try {
  require.resolve("../dist/cli/main.js");
} catch {
  process.stderr.write(
    "rampart: the agent is not built yet (dist/cli/main.js is missing). " +
      "Run `npm run build` at the repository root, then try again.\n",
  );
  process.exit(1);
}
require("../dist/cli/main.js");
