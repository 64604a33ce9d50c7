// Bundles the agent into dist/rampart.js after tsc has compiled dist/ one file per module, then
// rewrites the package's entry files (dist/index.js, dist/register.js, dist/serverless/index.js)
// so that each one loads only that bundle. Loading one file in place of about 200 is what makes
// the agent's start cheap enough for serverless cold starts. `node scripts/bundle.mjs`.
import { rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const distDir = path.join(packageDir, "dist");
const bundleFile = path.join(distDir, "rampart.js");

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

/** Source entries of the package, each rewritten to load its agent from dist/rampart.js. */
const entries = ["index.ts", "register.ts", "serverless/index.ts"];

const common = {
  bundle: true,
  platform: "node",
  format: "cjs",
  // The package's engines field: Node.js 20.19 or later.
  target: "node20.19",
  sourcemap: true,
  // Keeps the bundle's source map small; its paths point at src/ in a clone of the repository.
  sourcesContent: false,
  logLevel: "warning",
};

/**
 * Resolves every relative import of one entry file to the bundle, so the entry keeps its own code
 * (the start on load of `rampart/register`, for example) and takes everything else from the one
 * agent instance in dist/rampart.js.
 */
function importsFromBundle(entryFile, outFile) {
  const fromEntry = path.relative(path.dirname(outFile), bundleFile).split(path.sep).join("/");
  const bundlePath = fromEntry.startsWith(".") ? fromEntry : `./${fromEntry}`;
  return {
    name: "imports-from-bundle",
    setup(builder) {
      builder.onResolve({ filter: /^\./ }, (args) =>
        args.importer === entryFile ? { path: bundlePath, external: true } : undefined,
      );
    },
  };
}

await build({
  ...common,
  entryPoints: [path.join(packageDir, "src", "rampart.ts")],
  outfile: bundleFile,
  external,
});

for (const entry of entries) {
  const entryFile = path.join(packageDir, "src", entry);
  const outFile = path.join(distDir, entry.replace(/\.ts$/, ".js"));
  // tsc's source map of the per-module file no longer matches the rewritten entry.
  rmSync(`${outFile}.map`, { force: true });
  await build({
    ...common,
    entryPoints: [entryFile],
    outfile: outFile,
    external,
    plugins: [importsFromBundle(entryFile, outFile)],
  });
}
