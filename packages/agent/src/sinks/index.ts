/* eslint-disable @typescript-eslint/no-require-imports -- each package's patch module is loaded with require() when that package loads, not at start */
import type { ModuleHook, ModuleInstrumentation } from "../instrument/module-hooks";
import type {
  DeferredRuntimeInstrumentation,
  RuntimeHook,
  RuntimeInstrumentation,
} from "../instrument/runtime-hooks";
import { functionConstructor, globalEval } from "./eval";
import { globalFetch } from "./fetch";
import { nodeFs } from "./fs";
import { fsPromisesAccess } from "./fs-promises-access";
import { prototypePollutionAtFinish } from "../sources/prototype-pollution";
import { vmModule } from "./vm";

/** Hook entry for `name` whose patch module is required only when the package `name` loads. */
function lazy(name: string, load: () => ModuleInstrumentation): ModuleHook {
  return { name, load };
}

/**
 * Every package the agent patches, in no particular order. An entry is either a
 * ModuleInstrumentation (its module loads at start) or `lazy(name, load)`, whose `load` requires
 * the patch module when the package first loads and returns that module's instrumentation.
 */
export const instrumentations: readonly ModuleHook[] = [
  lazy(
    "better-sqlite3",
    () => (require("./better-sqlite3") as typeof import("./better-sqlite3")).betterSqlite3,
  ),
  lazy("pg", () => (require("./pg") as typeof import("./pg")).pg),
  lazy("postgres", () => (require("./postgres") as typeof import("./postgres")).postgres),
  lazy("mysql2", () => (require("./mysql2") as typeof import("./mysql2")).mysql2),
  lazy("mysql2/promise", () => (require("./mysql2") as typeof import("./mysql2")).mysql2Promise),
  lazy("mysql", () => (require("./mysql") as typeof import("./mysql")).mysql),
  lazy("mariadb", () => (require("./mariadb") as typeof import("./mariadb")).mariadb),
  lazy(
    "mariadb/callback",
    () => (require("./mariadb") as typeof import("./mariadb")).mariadbCallback,
  ),
  lazy("sqlite3", () => (require("./sqlite3") as typeof import("./sqlite3")).sqlite3),
  lazy(
    "node-serialize",
    () => (require("./node-serialize") as typeof import("./node-serialize")).nodeSerialize,
  ),
  lazy("js-yaml", () => (require("./js-yaml") as typeof import("./js-yaml")).jsYaml),
  lazy("mongodb", () => (require("./mongodb") as typeof import("./mongodb")).mongodb),
  lazy("mongoose", () => (require("./mongoose") as typeof import("./mongoose")).mongoose),
  lazy("undici", () => (require("./undici") as typeof import("./undici")).undici),
  lazy(
    "koa-compose",
    () => (require("../sources/koa") as typeof import("../sources/koa")).koaCompose,
  ),
  lazy("hono", () => (require("../sources/hono") as typeof import("../sources/hono")).hono),
  lazy(
    "graphql",
    () =>
      (require("../sources/graphql") as typeof import("../sources/graphql")).graphqlInstrumentation,
  ),
  lazy(
    "fast-xml-parser",
    () => (require("../sources/xml") as typeof import("../sources/xml")).fastXmlParser,
  ),
  lazy("xml2js", () => (require("../sources/xml") as typeof import("../sources/xml")).xml2js),
];

/** Names of the patched packages, for the ES module loader's include list and the load-order check. */
export const instrumentedModuleNames: readonly string[] = instrumentations.map((item) => item.name);

/**
 * Runtime patch whose module is required only when the app loads one of `builtins`: a process
 * that never loads them (a Lambda function without HTTP clients or child processes) does not
 * pay for loading them at start.
 */
function deferred(
  name: string,
  builtins: readonly string[],
  load: () => RuntimeInstrumentation,
): DeferredRuntimeInstrumentation {
  return { name, builtins, load };
}

/**
 * Patches of Node.js built-in modules and globals. Those of `fs`, `vm` and the globals install
 * when the agent starts, the others when their built-in loads (`fs/promises` also when the app
 * reads `fs.promises`). `net` is loaded inside Node.js by every HTTP and TLS module, hence its
 * list.
 */
export const runtimeInstrumentations: readonly RuntimeHook[] = [
  deferred(
    "node:child_process",
    ["child_process"],
    () =>
      (require("./child-process") as typeof import("./child-process")).childProcessInstrumentation,
  ),
  nodeFs,
  deferred(
    "node:fs/promises",
    ["fs/promises"],
    () => (require("./fs-promises") as typeof import("./fs-promises")).nodeFsPromises,
  ),
  fsPromisesAccess,
  functionConstructor,
  globalEval,
  vmModule,
  prototypePollutionAtFinish,
  deferred(
    "node:net",
    ["net", "tls", "http", "https", "http2"],
    () => (require("./ssrf-connect") as typeof import("./ssrf-connect")).netConnect,
  ),
  deferred(
    "node:http client",
    ["http", "https"],
    () => (require("./http-client") as typeof import("./http-client")).httpClient,
  ),
  globalFetch,
  deferred(
    "node:http ServerResponse",
    ["http", "https"],
    () => (require("./http-response") as typeof import("./http-response")).httpResponse,
  ),
  deferred(
    "node:http server",
    ["http", "https"],
    () => (require("../sources/http") as typeof import("../sources/http")).httpServers,
  ),
  deferred(
    "node:http2 server",
    ["http2"],
    () => (require("../sources/http2") as typeof import("../sources/http2")).http2Servers,
  ),
];
