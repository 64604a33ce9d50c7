import type { ModuleInstrumentation } from "../instrument/module-hooks";
import type { RuntimeInstrumentation } from "../instrument/runtime-hooks";
import { betterSqlite3 } from "./better-sqlite3";
import { childProcessInstrumentation } from "./child-process";
import { functionConstructor, globalEval } from "./eval";
import { globalFetch } from "./fetch";
import { nodeFs } from "./fs";
import { nodeFsPromises } from "./fs-promises";
import { httpClient } from "./http-client";
import { httpResponse } from "./http-response";
import { jsYaml } from "./js-yaml";
import { mariadb, mariadbCallback } from "./mariadb";
import { mongodb } from "./mongodb";
import { mongoose } from "./mongoose";
import { mysql } from "./mysql";
import { mysql2, mysql2Promise } from "./mysql2";
import { nodeSerialize } from "./node-serialize";
import { pg } from "./pg";
import { postgres } from "./postgres";
import { prototypePollutionAtFinish } from "../sources/prototype-pollution";
import { sqlite3 } from "./sqlite3";
import { netConnect } from "./ssrf-connect";
import { undici } from "./undici";
import { vmModule } from "./vm";

/** Every package the agent patches, in no particular order. */
export const instrumentations: readonly ModuleInstrumentation[] = [
  betterSqlite3,
  pg,
  postgres,
  mysql2,
  mysql2Promise,
  mysql,
  mariadb,
  mariadbCallback,
  sqlite3,
  nodeSerialize,
  jsYaml,
  mongodb,
  mongoose,
  undici,
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
