// Bundles the agent into dist/rampart.js after tsc has compiled dist/ one file per module, then
// turns every compiled module that went into the bundle into a stub that returns the bundle's
// copy of it. `node scripts/bundle.mjs`, after tsc.
//
// Loading one file in place of about 200 makes the agent's start cheap enough for serverless
// cold starts. The stubs keep one instance of each module whichever path loads it: `rampart`,
// `rampart/register`, `rampart/lambda`, the ES module wrappers, the CLI, and tests that load a
// module of dist/ by its path.
import { createHash } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const distDir = path.join(packageDir, "dist");
const bundleName = "rampart.js";

/** First line of a stub. It also marks a dist/ that contains no tsc output left to bundle. */
const stubMarker = "// Stub of a module compiled into dist/rampart.js.";

/**
 * Packages left to `require` at run time. The optional peers are loaded only when configured.
 * import-in-the-middle must stay one copy: the modules its loader generates import its
 * lib/register.js by name, and that must be the instance the agent's hooks registered with.
 * yaml is loaded only when a policy file is read.
 */
const external = [
  "@opentelemetry/api",
  "import-in-the-middle",
  "import-in-the-middle/*",
  "ioredis",
  "prom-client",
  "yaml",
];

/** Compiled entries whose code runs when they load, so they are bundled but not run by the bundle. */
const entries = ["rampart.js", "index.js", "register.js", "serverless/index.js"];

/**
 * Fails the build on a stub among the inputs: that dist/ was already bundled, or another build
 * wrote stubs while this one read its inputs, and the bundle would then load itself.
 */
const rejectStubs = {
  name: "reject-stubs",
  setup(builder) {
    builder.onLoad({ filter: /\.js$/ }, (args) => {
      if (!readFileSync(args.path, "utf8").startsWith(stubMarker)) return undefined;
      throw new Error(
        `${args.path} is a stub of an earlier bundle, so dist/ has no tsc output to bundle; run tsc -p tsconfig.build.json first`,
      );
    });
  },
};

/**
 * Replaces the `debug` package, which require-in-the-middle uses for its own trace output, with a
 * function that writes nothing. `debug` reads `process.stderr` at load to choose colours, which
 * opens the stream (and loads node:net when stderr is a pipe): a few milliseconds of every start.
 * The cost: DEBUG=require-in-the-middle prints nothing for the agent's copy.
 */
const silentDebug = {
  name: "silent-debug",
  setup(builder) {
    builder.onResolve({ filter: /^debug$/ }, () => ({ path: "debug", namespace: "silent-debug" }));
    builder.onLoad({ filter: /.*/, namespace: "silent-debug" }, () => ({
      contents:
        "module.exports = function createDebug() { const debug = () => {}; debug.enabled = false; return debug; };",
      loader: "js",
    }));
  },
};

const common = {
  bundle: true,
  platform: "node",
  format: "cjs",
  // The package's engines field: Node.js 20.19 or later.
  target: "node20.19",
  absWorkingDir: distDir,
  external,
  plugins: [rejectStubs, silentDebug],
  logLevel: "warning",
};

function toPosix(file) {
  return file.split(path.sep).join("/");
}

/** Returns the dist/ files, relative to dist/, that the entries load. */
async function moduleGraph() {
  const result = await build({
    ...common,
    entryPoints: entries.map((entry) => path.join(distDir, entry)),
    outdir: path.join(distDir, ".graph"),
    write: false,
    metafile: true,
  });
  return Object.keys(result.metafile.inputs)
    .map((input) => toPosix(path.relative(distDir, path.resolve(distDir, input))))
    .filter((file) => !file.startsWith("../") && file.endsWith(".js"))
    .sort();
}

/**
 * Source of the bundle's entry: the agent's exports (dist/rampart.js as tsc compiled it) and, as
 * the non-enumerable `bundledModules`, a loader for each bundled module by its path under dist/.
 */
function bundleEntrySource(files) {
  const loaders = files.map((file) => `  ${JSON.stringify(file)}: () => require("./${file}"),`);
  return [
    '"use strict";',
    `const agent = require("./${bundleName}");`,
    "const bundledModules = {",
    ...loaders,
    "};",
    'Object.defineProperty(agent, "bundledModules", { value: bundledModules });',
    "module.exports = agent;",
    "",
  ].join("\n");
}

/** Loads the bundle with its V8 code cache; see src/load-bundle.ts. Compiled by tsc, not bundled. */
const loaderName = "load-bundle.js";

function stubSource(file) {
  const loaderPath = toPosix(path.relative(path.dirname(file), loaderName));
  const fromStub = loaderPath.startsWith(".") ? loaderPath : `./${loaderPath}`;
  return [
    stubMarker,
    '"use strict";',
    `module.exports = require(${JSON.stringify(fromStub)}).bundle.bundledModules[${JSON.stringify(file)}]();`,
    "",
  ].join("\n");
}

const files = await moduleGraph();
await build({
  ...common,
  stdin: { contents: bundleEntrySource(files), resolveDir: distDir, sourcefile: "bundle-entry.js" },
  outfile: path.join(distDir, bundleName),
  allowOverwrite: true,
  // Chains the source maps that tsc wrote, so stack frames of the bundle map to src/*.ts.
  sourcemap: true,
  sourcesContent: false,
});

// The loader names its code cache files by this hash, so a rebuilt bundle never gets the compiled
// code of an earlier one (V8 compares only the source's length).
const bundleHash = createHash("sha256")
  .update(readFileSync(path.join(distDir, bundleName)))
  .digest("hex");
rmSync(path.join(distDir, ".code-cache"), { recursive: true, force: true });
writeFileSync(
  path.join(distDir, "bundle.json"),
  `${JSON.stringify({ file: bundleName, sha256: bundleHash })}\n`,
);

for (const file of files) {
  if (file === bundleName) continue;
  const target = path.join(distDir, file);
  writeFileSync(target, stubSource(file));
  // tsc's source map describes the compiled module, which is now in the bundle.
  rmSync(`${target}.map`, { force: true });
}
