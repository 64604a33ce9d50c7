// The benchmark handler wrapped by `rampart/lambda`, loaded first as the docs recommend.
// COLD_START_AGENT_DIR (set by `run.mjs --agent DIR`) names another build of the package to load.
"use strict";

const path = require("node:path");

const agentDir = process.env.COLD_START_AGENT_DIR;
const { wrap } = require(
  agentDir ? path.join(agentDir, "dist", "serverless", "index.js") : "rampart/lambda",
);
const { handle } = require("./handler-work.cjs");

exports.handler = wrap(handle);
