// Builds test/fixtures/bundle-app.cjs into one file with the esbuild and webpack APIs, as an app's
// build step would, in a temporary folder that the caller removes.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import * as esbuild from "esbuild";
import webpack from "webpack";

import { fixturesDir } from "../helpers/app-process";

export const bundleEntry = path.join(fixturesDir, "bundle-app.cjs");

/** Packages left to `require` at run time in every build: pg's optional native binding is not installed. */
const alwaysExternal = ["pg-native"];

export interface BundleOptions {
  readonly minify: boolean;
  /** Packages left to `require`, such as `pg`, so that they load from node_modules at run time. */
  readonly external: readonly string[];
}

export function bundleDir(): string {
  return mkdtempSync(path.join(tmpdir(), "rampart-bundle-"));
}

/** Bundles with esbuild for Node.js as CommonJS; returns the output file. */
export async function buildWithEsbuild(dir: string, options: BundleOptions): Promise<string> {
  const outfile = path.join(dir, "esbuild-app.cjs");
  await esbuild.build({
    entryPoints: [bundleEntry],
    outfile,
    bundle: true,
    platform: "node",
    format: "cjs",
    minify: options.minify,
    external: [...alwaysExternal, ...options.external],
    logLevel: "silent",
  });
  return outfile;
}

/** Bundles with webpack for Node.js, in production mode (minified) or development mode; returns the output file. */
export function buildWithWebpack(dir: string, options: BundleOptions): Promise<string> {
  const externals = Object.fromEntries(
    [...alwaysExternal, ...options.external].map((name) => [name, `commonjs ${name}`]),
  );
  const compiler = webpack({
    entry: bundleEntry,
    target: "node",
    mode: options.minify ? "production" : "development",
    devtool: false,
    output: { path: dir, filename: "webpack-app.js" },
    externals,
  });

  return new Promise((resolve, reject) => {
    compiler.run((error, stats) => {
      compiler.close(() => undefined);
      if (error !== null && error !== undefined) return reject(error);
      if (stats?.hasErrors() === true) return reject(new Error(stats.toString("errors-only")));
      resolve(path.join(dir, "webpack-app.js"));
    });
  });
}
