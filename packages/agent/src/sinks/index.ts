import type { ModuleInstrumentation } from "../instrument/module-hooks";
import { betterSqlite3 } from "./better-sqlite3";
import { pg } from "./pg";
import { postgres } from "./postgres";

/** Every package the agent patches, in no particular order. */
export const instrumentations: readonly ModuleInstrumentation[] = [betterSqlite3, pg, postgres];

/** Names of the patched packages, for the ES module loader's include list and the load-order check. */
export const instrumentedModuleNames: readonly string[] = instrumentations.map((item) => item.name);
