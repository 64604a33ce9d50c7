// The benchmark handler without the agent.
"use strict";

const { handle } = require("./handler-work.cjs");

exports.handler = handle;
