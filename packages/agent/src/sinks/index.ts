/* eslint-disable @typescript-eslint/no-require-imports -- each package's patch module is loaded with require() when that package loads, not at start */
import type { ModuleHook, ModuleInstrumentation } from "../instrument/module-hooks";
import type { RuntimeInstrumentation } from "../instrument/runtime-hooks";
import { childProcessInstrumentation } from "./child-process";
import { functionConstructor, globalEval } from "./eval";
import { globalFetch } from "./fetch";
import { nodeFs } from "./fs";
import { nodeFsPromises } from "./fs-promises";
import { httpClient } from "./http-client";
import { httpResponse } from "./http-response";
import { prototypePollutionAtFinish } from "../sources/prototype-pollution";
import { netConnect } from "./ssrf-connect";
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

/** Patches of Node.js built-in modules and globals, installed when the agent starts. */
export const runtimeInstrumentations: readonly RuntimeInstrumentation[] = [
  childProcessInstrumentation,
  nodeFs,
  nodeFsPromises,
  functionConstructor,
  globalEval,
  vmModule,
  prototypePollutionAtFinish,
  netConnect,
  httpClient,
  globalFetch,
  httpResponse,
];
