import fs from "node:fs";
import path from "node:path";

import { agentCodeDir } from "../agent-dir";
import { failOpen } from "../failsafe";
import { log } from "../log";

/**
 * Text that a hooked package's code keeps in a bundle: the `node_modules/<name>/` paths that esbuild
 * and webpack write as module comments or ids when they do not minify, and an error message that
 * survives minification. A bundled copy never goes through `require`, so the agent cannot patch it.
 *
 * Each pattern escapes or bracket-quotes one character. The agent's own code then never matches a
 * pattern, even when an app bundles the agent along with its drivers.
 */
interface PackageSignature {
  readonly name: string;
  readonly patterns: readonly RegExp[];
}

const packageSignatures: readonly PackageSignature[] = [
  {
    name: "pg",
    patterns: [/node_modules\/pg\/lib\//, /Client has already been connected\. You cannot reuse/],
  },
  {
    name: "postgres",
    patterns: [
      /node_modules\/postgres\/(?:cjs\/)?src\//,
      /You cannot execute queries during cop[y]/,
    ],
  },
  {
    name: "mysql2",
    patterns: [
      /node_modules\/mysql2\/lib\//,
      /Can[']t add new command when connection is in closed/,
    ],
  },
  {
    name: "mysql",
    patterns: [/node_modules\/mysql\/lib\//, /PROTOCOL_ENQUEUE_HANDSHAKE_TWIC[E]/],
  },
  {
    name: "mariadb",
    patterns: [/node_modules\/mariadb\/lib\//, /Cannot execute new commands: connection close[d]/],
  },
  { name: "better-sqlite3", patterns: [/node_modules\/better-sqlite3\/lib\//] },
  { name: "sqlite3", patterns: [/node_modules\/sqlite3\/lib\//] },
  {
    name: "mongodb",
    patterns: [
      /node_modules\/mongodb\/lib\//,
      /MongoClient must be connected to perform this operatio[n]/,
    ],
  },
  {
    name: "mongoose",
    patterns: [
      /node_modules\/mongoose\/lib\//,
      /Cannot modify Mongoose driver if a connection is already ope[n]/,
    ],
  },
  {
    name: "undici",
    patterns: [/node_modules\/undici\/lib\//, /Headers Overflow Erro[r]/],
  },
  {
    name: "js-yaml",
    patterns: [/node_modules\/js-yaml\//, /unacceptable kind of an object to dum[p]/],
  },
  { name: "node-serialize", patterns: [/node_modules\/node-serialize\//, /_\$\$ND_CC\$\$_/] },
];

/** Runtime helpers that name the bundler of an unminified bundle; minified bundles keep none. */
const bundlerMarkers: readonly { readonly bundler: string; readonly pattern: RegExp }[] = [
  { bundler: "webpack", pattern: /__webpack_require[_]_|__webpack_module[s]__/ },
  { bundler: "esbuild", pattern: /^\/\/ node_modules\/|\b__commonJ[S]\(|\b__toES[M]\(/m },
];

/** Characters that the bundler markers are looked for in: both bundlers put their runtime first. */
const bundlerMarkerRange = 1024 * 1024;

/**
 * All signatures as one alternation, one capturing group per pattern, so that one pass over a file
 * finds every package: about 6 times faster than a pass per pattern on a 16 MiB file.
 */
const signatureOwners = packageSignatures.flatMap((signature) =>
  signature.patterns.map(() => signature.name),
);
const combinedSignature = new RegExp(
  packageSignatures
    .flatMap((signature) => signature.patterns.map((pattern) => `(${pattern.source})`))
    .join("|"),
  "g",
);

/** Adds the names of the packages whose signatures occur in the text. */
function addMatchedPackages(text: string, names: Set<string>): void {
  for (const match of text.matchAll(combinedSignature)) {
    const group = match.findIndex((value, index) => index > 0 && value !== undefined);
    const name = signatureOwners[group - 1];
    if (name !== undefined) names.add(name);
  }
}

/** A hooked package found bundled into an application file. */
export interface BundledPackage {
  readonly name: string;
  /** "webpack" or "esbuild" when the file shows which bundler built it, else null. */
  readonly bundler: string | null;
}

function bundledPackages(text: string, names: Set<string>): BundledPackage[] {
  if (names.size === 0) return [];

  const head = text.slice(0, bundlerMarkerRange);
  const bundler = bundlerMarkers.find((marker) => marker.pattern.test(head))?.bundler ?? null;
  // The signature list's order, so that warnings come in a stable order.
  return packageSignatures
    .filter((signature) => names.has(signature.name))
    .map((signature) => ({ name: signature.name, bundler }));
}

/** Returns the hooked packages whose code the text contains, in the order of the signature list. */
export function findBundledPackages(text: string): BundledPackage[] {
  const names = new Set<string>();
  addMatchedPackages(text, names);
  return bundledPackages(text, names);
}

/** Characters scanned between two turns of the event loop, and the overlap of consecutive slices. */
const sliceLength = 1024 * 1024;
const sliceOverlap = 256;

/**
 * Does what findBundledPackages does, one slice at a time, so that the app's event loop waits for
 * one slice at most (a few milliseconds) rather than for the whole file.
 */
export async function findBundledPackagesInSlices(text: string): Promise<BundledPackage[]> {
  const names = new Set<string>();
  for (let start = 0; start < text.length; start += sliceLength) {
    addMatchedPackages(text.slice(start, start + sliceLength + sliceOverlap), names);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return bundledPackages(text, names);
}

/** Returns the fix for a bundled package: leave it to `require` so that the agent can hook it. */
export function externalFix(name: string): string {
  return `mark ${name} as external so that it loads from node_modules at run time: esbuild --external:${name} (or packages: "external"), webpack externals: { "${name}": "commonjs ${name}" }`;
}

/** Bytes read from one file; a larger bundle is scanned up to this size only. */
const maxFileBytes = 32 * 1024 * 1024;
/** Bytes read over all scans of a process, so that an app of many large files costs little. */
const maxTotalBytes = 64 * 1024 * 1024;
/**
 * Loaded files smaller than this are skipped: pg 8 alone minifies to more than 80 KiB. The main
 * script is scanned at any size, because a bundle of node-serialize alone is under 2 KiB.
 */
const minLoadedFileBytes = 16 * 1024;
/** Delay of the main script's scan, in milliseconds: off the start and a first request's path. */
const mainScanDelayMs = 100;
/** Delay of the second scan, in milliseconds, for bundle files that the app requires after it starts. */
const laterScanDelayMs = 3_000;

const scannedFiles = new Set<string>();
const reportedPackages = new Set<string>();
let bytesRead = 0;

async function readStart(file: string, size: number): Promise<string> {
  const length = Math.min(size, maxFileBytes, maxTotalBytes - bytesRead);
  bytesRead += length;

  const handle = await fs.promises.open(file, "r");
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead: filled } = await handle.read(buffer, 0, length, 0);
    return buffer.toString("utf8", 0, filled);
  } finally {
    await handle.close();
  }
}

async function scanFile(file: string, minBytes: number): Promise<void> {
  if (scannedFiles.has(file)) return;
  scannedFiles.add(file);

  const info = await fs.promises.stat(file);
  if (!info.isFile() || info.size < minBytes || bytesRead >= maxTotalBytes) return;

  const text = await readStart(file, info.size);
  for (const bundled of await findBundledPackagesInSlices(text)) {
    if (reportedPackages.has(bundled.name)) continue;
    reportedPackages.add(bundled.name);
    log.warn(
      { module: bundled.name, file, bundler: bundled.bundler, fix: externalFix(bundled.name) },
      `${bundled.name} is bundled into ${file}, so the agent cannot hook it and its calls are not protected: ${externalFix(bundled.name)}`,
    );
  }
}

function mainFile(): string | undefined {
  const main = process.argv[1];
  return main === undefined || main === "" ? undefined : path.resolve(main);
}

/** The agent's own folder, which is outside node_modules when the agent is linked from a clone. */
const agentDir = agentCodeDir + path.sep;

/** CommonJS files loaded so far that belong to the app rather than to a package or the agent. */
function loadedAppFiles(): string[] {
  const packagesDir = `${path.sep}node_modules${path.sep}`;
  return Object.keys(require.cache).filter(
    (file) => path.isAbsolute(file) && !file.includes(packagesDir) && !file.startsWith(agentDir),
  );
}

async function scanFiles(files: readonly string[], minBytes: number): Promise<void> {
  for (const file of files) {
    // A file that vanished or cannot be read is skipped: the scan only ever adds warnings.
    await scanFile(file, minBytes).catch(() => undefined);
  }
}

function runScan(files: () => string[], minBytes: number): void {
  failOpen("bundle-detection", undefined, () => {
    scanFiles(files(), minBytes).catch(() => undefined);
  });
}

/**
 * Looks for hooked packages bundled into the app's files and warns once per package with the fix.
 * The main script is scanned 100 ms after start, off the startup path (a serverless function's first
 * invocation included). The app's other CommonJS files
 * (bundle chunks, a bundle that a small launcher requires) are scanned a few seconds later.
 * NOTE: chunks loaded as ES modules are not in require.cache, so only the main script of an ES
 * module bundle is scanned.
 */
export function detectBundledPackages(): void {
  const mainScan = () => runScan(() => [mainFile()].filter((file) => file !== undefined), 0);
  setTimeout(mainScan, mainScanDelayMs).unref();
  setTimeout(() => runScan(loadedAppFiles, minLoadedFileBytes), laterScanDelayMs).unref();
}
