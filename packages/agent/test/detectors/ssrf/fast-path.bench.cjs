// Times the SSRF detector steps that run for every outgoing request to a public host.
// Run after `npm run build`: node test/detectors/ssrf/fast-path.bench.cjs
"use strict";

const path = require("node:path");
const ssrf = require(path.resolve(__dirname, "../../../dist/detectors/ssrf"));

const inputs = [
  { source: "query", path: "query.id", value: "42" },
  { source: "headers", path: "headers.user-agent", value: "Mozilla/5.0 (X11; Linux x86_64)" },
];
const target = ssrf.targetFromUrl("https://api.example.com/users/42");

function bench(name, run, iterations = 200_000) {
  for (let i = 0; i < 10_000; i++) run();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) run();
  const nanoseconds = Number(process.hrtime.bigint() - start) / iterations;
  console.log(`${name.padEnd(56)} ${(nanoseconds / 1000).toFixed(3)} µs`);
}

bench("targetFromUrl (every request)", () =>
  ssrf.targetFromUrl("https://api.example.com/users/42"),
);
bench("connectionCategory of a name (every request)", () =>
  ssrf.connectionCategory("api.example.com", []),
);
bench("connectionCategory of a public answer (new socket)", () =>
  ssrf.connectionCategory("api.example.com", ["93.184.215.14"]),
);
bench("findHostChooser, fixed host (internal targets only)", () =>
  ssrf.findHostChooser(target, inputs),
);
