// The benchmark handler wrapped by `rampart/lambda`, loaded first as the docs recommend.
"use strict";

const { wrap } = require("rampart/lambda");
const { handle } = require("./handler-work.cjs");

exports.handler = wrap(handle);
