"use strict";

// Preloaded into benchmark apps with --require: on SIGUSR2 the app writes process.memoryUsage()
// (bytes) as JSON to the file named by RAMPART_BENCH_MEMORY_FILE, so that the benchmark can read
// the heap of a running app from outside.

const { writeFileSync } = require("node:fs");

const file = process.env.RAMPART_BENCH_MEMORY_FILE;
if (file) {
  process.on("SIGUSR2", () => writeFileSync(file, JSON.stringify(process.memoryUsage())));
}
