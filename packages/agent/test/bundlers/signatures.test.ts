// The package signatures against real code: each hooked package bundled alone by esbuild (in memory,
// minified and not) is found by its name and no other. The agent's own code matches nothing, so an
// app that bundles the agent gets no warning about drivers.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";

import * as esbuild from "esbuild";

import {
  externalFix,
  findBundledPackages,
  findBundledPackagesInSlices,
} from "../../src/instrument/bundle-detection";

const packageDir = path.resolve(__dirname, "../..");

/** Optional dependencies that the packages load inside try blocks; none is installed here. */
const optionalDependencies = [
  "pg-native",
  "kerberos",
  "@mongodb-js/zstd",
  "snappy",
  "socks",
  "aws4",
  "mongodb-client-encryption",
  "gcp-metadata",
  "@aws-sdk/credential-providers",
];

async function bundleAlone(name: string, minify: boolean): Promise<string> {
  const result = await esbuild.build({
    stdin: {
      contents: `module.exports = require(${JSON.stringify(name)});`,
      resolveDir: packageDir,
    },
    bundle: true,
    platform: "node",
    format: "cjs",
    minify,
    write: false,
    logLevel: "silent",
    external: optionalDependencies,
  });
  return result.outputFiles[0]!.text;
}

/** Each package, and the hooked packages that its bundle contains. */
const expectations: [string, string[]][] = [
  ["pg", ["pg"]],
  ["postgres", ["postgres"]],
  ["mysql2", ["mysql2"]],
  ["mysql", ["mysql"]],
  ["mariadb", ["mariadb"]],
  ["mongodb", ["mongodb"]],
  // mongoose bundles its own copy of the MongoDB driver.
  ["mongoose", ["mongodb", "mongoose"]],
  ["js-yaml", ["js-yaml"]],
  ["undici", ["undici"]],
  ["node-serialize", ["node-serialize"]],
];

for (const [name, expected] of expectations) {
  test(`${name} found in its bundle`, async () => {
    for (const minify of [true, false]) {
      const found = findBundledPackages(await bundleAlone(name, minify)).map((item) => item.name);
      assert.deepEqual(found, expected, `minify: ${minify}`);
    }
  });
}

test("package without driver found clean", async () => {
  assert.deepEqual(findBundledPackages(await bundleAlone("qs", true)), []);
});

test("agent code matches nothing", () => {
  // The compiled agent as an app would bundle it, and its TypeScript source.
  for (const folder of ["dist", "src"]) {
    const root = path.join(packageDir, folder);
    const files = readdirSync(root, { recursive: true })
      .map(String)
      .filter((file) => file.endsWith(".js") || file.endsWith(".ts"));
    assert.ok(files.length > 10, `${folder} has the agent's files`);
    for (const file of files) {
      const found = findBundledPackages(readFileSync(path.join(root, file), "utf8"));
      assert.deepEqual(found, [], `${folder}/${file}`);
    }
  }
});

test("signature across slice boundary", async () => {
  // The scan reads 1 MiB slices that overlap, so a signature across a boundary still counts.
  const filler = "x".repeat(1024 * 1024 - 10);
  const text = `${filler}Client has already been connected. You cannot reuse a client.${filler}`;
  const found = await findBundledPackagesInSlices(text);
  assert.deepEqual(
    found.map((item) => item.name),
    ["pg"],
  );
});

test("fix names both bundlers", () => {
  const fix = externalFix("mysql2");
  assert.ok(fix.includes("--external:mysql2"), fix);
  assert.ok(fix.includes('packages: "external"'), fix);
  assert.ok(fix.includes('externals: { "mysql2": "commonjs mysql2" }'), fix);
});
