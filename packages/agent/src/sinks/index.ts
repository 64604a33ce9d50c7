import type { ModuleInstrumentation } from "../instrument/module-hooks";
import type { RuntimeInstrumentation } from "../instrument/runtime-hooks";
import { betterSqlite3 } from "./better-sqlite3";
import { mariadb, mariadbCallback } from "./mariadb";
import { mysql } from "./mysql";
import { mysql2, mysql2Promise } from "./mysql2";
import { pg } from "./pg";
import { postgres } from "./postgres";
import { sqlite3 } from "./sqlite3";

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
];

/** Names of the patched packages, for the ES module loader's include list and the load-order check. */
export const instrumentedModuleNames: readonly string[] = instrumentations.map((item) => item.name);

/** Patches of Node.js built-in modules and globals, installed when the agent starts. */
export const runtimeInstrumentations: readonly RuntimeInstrumentation[] = [];
