import nodeModule from "node:module";
import { pathToFileURL } from "node:url";

import { log } from "../log";

/**
 * API through which import-in-the-middle hooks ES module imports: `registerHooks` runs its resolve and load hooks
 * synchronously on the app's thread (`module.registerHooks`), `register` runs them on Node's loader
 * thread (`module.register`), `none` means no ES module hook is active.
 */
export type EsmHooks = "registerHooks" | "register" | "none";

/** Name of the environment variable that forces one of the two hook APIs. */
export const esmHooksVariable = "RAMPART_ESM_HOOKS";

interface Registration {
  readonly hooks: EsmHooks;
  /** Problems met on the way, logged by `reportEsmHooks` once the log level is set. */
  readonly problems: readonly { fields: Record<string, unknown>; msg: string }[];
}

let registration: Registration = { hooks: "none", problems: [] };

/** Returns the ES module hook API registered in this thread, or `none`. */
export function activeEsmHooks(): EsmHooks {
  return registration.hooks;
}

interface SyncHooksModule {
  register(options: { include: string[] }): void;
  supportsSyncHooks(): boolean;
}

/**
 * Returns import-in-the-middle's synchronous hook module when this Node.js can run it. Node.js
 * ships `module.registerHooks` since 22.15 and 24.0, but its load hook rejected the empty CommonJS
 * source that the loader returns until 22.22.3 and 24.11.1: `supportsSyncHooks` checks for those.
 */
function loadSyncHooks(): SyncHooksModule | undefined {
  if (typeof (nodeModule as { registerHooks?: unknown }).registerHooks !== "function") {
    return undefined;
  }
  // Loaded only where registerHooks exists, so older Node.js never runs require() of an ES module.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const syncHooks = require("import-in-the-middle/register-hooks.mjs") as SyncHooksModule;
  return syncHooks.supportsSyncHooks() ? syncHooks : undefined;
}

function readRequestedHooks(problems: Registration["problems"][number][]): EsmHooks | "auto" {
  const value = (process.env[esmHooksVariable] ?? "").trim().toLowerCase();
  if (value === "" || value === "auto") return "auto";
  if (value === "registerhooks") return "registerHooks";
  if (value === "register") return "register";

  problems.push({
    fields: { variable: esmHooksVariable, value },
    msg: `invalid ${esmHooksVariable}; expected auto, registerHooks or register, using auto`,
  });
  return "auto";
}

function registerLoaderThread(include: string[]): void {
  // The parent URL is this file, so the loader resolves the same import-in-the-middle copy as the
  // agent's require() does.
  nodeModule.register("import-in-the-middle/hook.mjs", pathToFileURL(__filename), {
    data: { include },
  });
}

/**
 * Registers import-in-the-middle for the given packages before the app imports anything: with
 * `module.registerHooks` where this Node.js supports it, else with `module.register`. Any failure
 * of the synchronous path falls back to the loader thread. `RAMPART_ESM_HOOKS=register` forces the
 * loader thread, `registerHooks` requests the synchronous hooks (used only where supported).
 * Returns the API that was registered.
 */
export function registerEsmHooks(packageNames: readonly string[]): EsmHooks {
  if (registration.hooks !== "none") return registration.hooks;

  const include = [...packageNames];
  const problems: Registration["problems"][number][] = [];
  const requested = readRequestedHooks(problems);

  if (requested !== "register") {
    try {
      const syncHooks = loadSyncHooks();
      if (syncHooks !== undefined) {
        syncHooks.register({ include });
        registration = { hooks: "registerHooks", problems };
        return "registerHooks";
      }
      if (requested === "registerHooks") {
        problems.push({
          fields: { node: process.version },
          msg: "module.registerHooks is not usable on this Node.js version (it needs 22.22.3, 24.11.1 or later); using module.register",
        });
      }
    } catch (error) {
      problems.push({
        fields: { err: String(error) },
        msg: "registering synchronous ES module hooks failed; using module.register",
      });
    }
  }

  try {
    registerLoaderThread(include);
    registration = { hooks: "register", problems };
  } catch (error) {
    problems.push({
      fields: { err: String(error) },
      msg: "registering ES module hooks failed; packages loaded with import stay unprotected",
    });
    registration = { hooks: "none", problems };
  }
  return registration.hooks;
}

/** Logs which ES module hook API is active and any problem met registering it. */
export function reportEsmHooks(): void {
  for (const problem of registration.problems) log.warn(problem.fields, problem.msg);
  log.debug({ esm_hooks: registration.hooks, node: process.version }, "ES module hooks registered");
}
