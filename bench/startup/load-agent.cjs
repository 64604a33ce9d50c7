"use strict";

// Prints, as JSON, how long `require("rampart/register")` takes in a fresh process, in
// milliseconds. The agent starts (reads its configuration, installs its hooks) during that call.

const started = performance.now();
require("rampart/register");
const loadMs = performance.now() - started;

console.log(JSON.stringify({ loadMs }));
