// Loads dist/rampart.js, the agent bundle, with a V8 code cache. Every entry and every stub that
// scripts/bundle.mjs writes into dist/ loads the bundle through this module, which is compiled
// by tsc and not bundled.
//
// Compiling the bundle (about 750 KB of JavaScript) and the functions that start the agent takes
// about a third of the agent's start-up time. V8 can serialize that compiled code, and a later
// process that passes it back skips the compilation. On the benchmark machine, loading and
// starting the agent in a serverless cold start falls from about 25 ms to about 17 ms of CPU time
// (`bench/cold-start/phases.cjs`).
//
// The cache is off unless RAMPART_CODE_CACHE turns it on: `on` keeps the file in dist/.code-cache/,
// and any other value but `off` names the directory. On Node.js 24 a process that loaded the bundle
// from the cache spent 4 to 14 µs more CPU time per request than one that compiled it. That was
// measured in alternating pinned rounds of the example app and the drivers app. Under the same
// load, `--trace-opt` counted 259 optimized functions with the cache and 285 without it. On Node.js
// 20 the difference was within the noise. A server saves about 8 ms once per start, so the cache
// suits processes whose start is most of their life, such as serverless functions.
//
// The cache file's name contains the bundle's SHA-256 (from dist/bundle.json, which the
// build writes), V8's version and the CPU architecture. V8 checks its own version and flags, but of
// the source only its length (`SerializedCodeData::SourceHash`), and it verifies its checksum only
// under `--verify-snapshot-checksum`, so the file carries a checksum of its own. A missing or
// rejected cache is written once per process, after the code that loaded the agent has run, so
// that it contains the start-up functions too. A read-only directory, a corrupt file or any other
// failure only means compiling as before.
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import Module, { createRequire } from "node:module";
import path from "node:path";
import vm from "node:vm";

/** Outcome of the code cache in this process. */
export type CodeCacheState =
  | "accepted" // V8 used the cache file
  | "rejected" // V8 rejected it (another V8 build or other flags), so it is written again
  | "missing" // no cache file yet, so it is written
  | "corrupt" // the file failed its checksum, so it is written again
  | "off" // RAMPART_CODE_CACHE unset or off, --enable-source-maps, or no bundle.json beside the bundle
  | "shared"; // the bundle was already loaded by another path, so nothing was compiled here

export interface CodeCacheStatus {
  state: CodeCacheState;
  /** The cache file, when a cache is in use. */
  file?: string;
  /** `true` once the process wrote the file, or the error message when writing failed. */
  written?: true | string;
}

interface BundleExports {
  bundledModules: Record<string, () => unknown>;
  [name: string]: unknown;
}

const bundleFile = path.join(__dirname, "rampart.js");

/** "RPC1": marks a Rampart code cache file of this layout. */
const magic = 0x31435052;
const headerBytes = 12;

/**
 * Computes a 32-bit FNV-1a over the payload, four bytes at a time. At a cold start it runs before
 * the JIT compiles it: about 2 ms for 400 KB on the benchmark machine, 0.1 ms once compiled. This
 * module runs before the bundle, so it has its own copy rather than the bundle's hash helpers.
 */
function checksum(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  const words = Math.floor(bytes.byteLength / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let index = 0; index < words; index += 1) {
    hash = Math.imul(hash ^ view.getUint32(index * 4, true), 0x01000193);
  }
  for (let index = words * 4; index < bytes.byteLength; index += 1) {
    hash = Math.imul(hash ^ (bytes[index] as number), 0x01000193);
  }
  return hash >>> 0;
}

/** Reads a cache file: its payload, undefined when there is none, "corrupt" when it is damaged. */
function readPayload(file: string): Buffer | undefined | "corrupt" {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return undefined;
  }
  if (data.byteLength < headerBytes) return "corrupt";
  const length = data.readUInt32LE(4);
  const payload = data.subarray(headerBytes);
  if (data.readUInt32LE(0) !== magic || length !== payload.byteLength) return "corrupt";
  if (data.readUInt32LE(8) !== checksum(payload)) return "corrupt";
  return payload;
}

/**
 * Writes the cache of `script` through a temporary file and a rename, so no reader sees half a
 * file. The temporary file is opened first: in a read-only deployment that fails at once, before
 * V8 spends milliseconds serializing code that cannot be stored.
 */
function writeCacheFile(file: string, script: vm.Script): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  // "wx" rejects an existing path, so a planted link is never written through.
  const fd = openSync(temporary, "wx", 0o644);
  try {
    try {
      const payload = script.createCachedData();
      const header = Buffer.alloc(headerBytes);
      header.writeUInt32LE(magic, 0);
      header.writeUInt32LE(payload.byteLength, 4);
      header.writeUInt32LE(checksum(payload), 8);
      writeSync(fd, header);
      writeSync(fd, payload);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** Returns the cache file for this bundle and this V8, or undefined when caching is off. */
function cacheFile(): string | undefined {
  const setting = process.env.RAMPART_CODE_CACHE?.trim() ?? "";
  if (setting === "" || setting === "off" || setting === "false" || setting === "0")
    return undefined;
  // Node.js maps stack frames through the bundle's source map only for modules that its own
  // loader compiled, so with source maps on the bundle is required as any other module.
  if (process.sourceMapsEnabled) return undefined;

  let sha256: unknown;
  try {
    sha256 = (
      JSON.parse(readFileSync(path.join(__dirname, "bundle.json"), "utf8")) as { sha256?: unknown }
    ).sha256;
  } catch {
    return undefined;
  }
  if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256)) return undefined;

  const inPackage = setting === "on" || setting === "true" || setting === "1";
  const directory = inPackage ? path.join(__dirname, ".code-cache") : path.resolve(setting);
  const v8 = process.versions.v8.replace(/[^0-9A-Za-z.-]/g, "_");
  return path.join(directory, `rampart-${sha256.slice(0, 16)}-v8-${v8}-${process.arch}.bin`);
}

/** Writes a debug line through the bundle's logger, which applies RAMPART_LOG_LEVEL. */
function logDebug(bundle: BundleExports, fields: Record<string, unknown>, message: string): void {
  try {
    const { log } = bundle.bundledModules["log.js"]?.() as {
      log: { debug(fields: Record<string, unknown>, message: string): void };
    };
    log.debug(fields, message);
  } catch {
    // The line is only a diagnostic: a bundle without the logger loses nothing else.
  }
}

/** Writes the cache of `script` once the current synchronous work, the agent's start, is done. */
function scheduleWrite(
  script: vm.Script,
  file: string,
  status: CodeCacheStatus,
  bundle: BundleExports,
): void {
  // Not unreferenced: a short script that loads the agent and exits should still leave the cache
  // for the next process, at the cost of a few milliseconds once.
  setImmediate(() => {
    try {
      writeCacheFile(file, script);
      status.written = true;
      logDebug(bundle, { file, previous: status.state }, "code cache written");
    } catch (error) {
      status.written = error instanceof Error ? error.message : String(error);
      logDebug(
        bundle,
        { file, previous: status.state, err: status.written },
        "code cache not written, so the agent compiles its bundle at every start; create the cache when building the image, with the Node.js that runs the app (docs/deployment.md)",
      );
    }
  });
}

function loadBundle(): { bundle: BundleExports; codeCache: CodeCacheStatus } {
  const loaded = require.cache[bundleFile];
  if (loaded) return { bundle: loaded.exports as BundleExports, codeCache: { state: "shared" } };

  const file = cacheFile();
  if (file === undefined) {
    return { bundle: module.require(bundleFile) as BundleExports, codeCache: { state: "off" } };
  }

  let script: vm.Script;
  let payload: Buffer | undefined | "corrupt";
  try {
    const source = readFileSync(bundleFile, "utf8");
    payload = readPayload(file);
    // The wrapper stays on the bundle's first line, so line numbers in stack traces are unchanged.
    script = new vm.Script(
      `(function (exports, require, module, __filename, __dirname) { ${source}\n})`,
      { filename: bundleFile, cachedData: payload instanceof Buffer ? payload : undefined },
    );
  } catch {
    // Nothing of the bundle has run yet, so Node.js's own loader can still load it.
    return { bundle: module.require(bundleFile) as BundleExports, codeCache: { state: "off" } };
  }
  const status: CodeCacheStatus = {
    state:
      payload === undefined
        ? "missing"
        : payload === "corrupt"
          ? "corrupt"
          : script.cachedDataRejected
            ? "rejected"
            : "accepted",
    file,
  };

  const bundleModule = new Module(bundleFile, module);
  bundleModule.filename = bundleFile;
  bundleModule.paths = module.paths;
  // Registered before the bundle runs, as Node.js does, so a `require` of dist/rampart.js from
  // anywhere returns this instance.
  require.cache[bundleFile] = bundleModule;
  try {
    const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
    wrapper.call(
      bundleModule.exports,
      bundleModule.exports,
      createRequire(bundleFile),
      bundleModule,
      bundleFile,
      __dirname,
    );
  } catch (error) {
    delete require.cache[bundleFile];
    throw error;
  }
  bundleModule.loaded = true;

  const bundle = bundleModule.exports as BundleExports;
  if (status.state !== "accepted") scheduleWrite(script, file, status, bundle);
  return { bundle, codeCache: status };
}

const { bundle, codeCache } = loadBundle();

export { bundle, codeCache };
