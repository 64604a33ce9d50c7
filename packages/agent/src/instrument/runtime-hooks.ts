import { syncBuiltinESMExports } from "node:module";

import { failOpen } from "../failsafe";
import { log } from "../log";

/**
 * Patch of a Node.js built-in module (`child_process`, `fs`, `http`) or of a global (`fetch`,
 * `Function`). Built-in modules exist once per process, so they are patched in place when the
 * agent starts, whatever the load order: every later `require` and `import` gets the wrappers.
 */
export interface RuntimeInstrumentation {
  /** Built-in module (`node:fs`) or global (`globalThis.fetch`) that the patch covers, for logs. */
  readonly name: string;
  /** Installs the wrappers; must be idempotent. */
  install(): void;
}

/**
 * Installs every runtime patch, then refreshes the named exports of built-in ES modules so that
 * `import { exec } from "node:child_process"` resolves to the wrapper too. A patch that throws is
 * counted and skipped; the others still install.
 */
export function installRuntimeHooks(instrumentations: readonly RuntimeInstrumentation[]): void {
  for (const instrumentation of instrumentations) {
    failOpen(`patch.${instrumentation.name}`, undefined, () => {
      instrumentation.install();
      log.debug({ module: instrumentation.name }, "runtime patched");
    });
  }

  // Named imports of built-ins are separate bindings, refreshed only by this call. An app that
  // imported them before the agent started keeps the originals until it runs.
  syncBuiltinESMExports();
}
