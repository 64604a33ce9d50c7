import { syncBuiltinESMExports } from "node:module";

import { failOpen } from "../failsafe";
import { log } from "../log";

/**
 * Patch of a Node.js built-in module (`child_process`, `fs`, `http`) or of a global (`fetch`,
 * `Function`). Built-in modules exist once per process, so they are patched in place: every
 * later `require` and `import` gets the wrappers.
 */
export interface RuntimeInstrumentation {
  /** Built-in module (`node:fs`) or global (`globalThis.fetch`) that the patch covers, for logs. */
  readonly name: string;
  /** Installs the wrappers; must be idempotent. */
  install(): void;
}

/**
 * Patch of built-in modules that an app may never load, such as `node:http2` in a Lambda function.
 * Where patches are deferred (`deferUnloadedBuiltins`), its module and the built-ins that module
 * imports load only once the app loads one of `builtins`, so that a start pays nothing for them.
 */
export interface DeferredRuntimeInstrumentation {
  /** The same as the `name` of the instrumentation that `load` returns. */
  readonly name: string;
  /** Built-in modules, without `node:`, whose loading installs the patch. */
  readonly builtins: readonly string[];
  /** Loads the patch module and returns its instrumentation. */
  load(): RuntimeInstrumentation;
}

export type RuntimeHook = RuntimeInstrumentation | DeferredRuntimeInstrumentation;

/**
 * Node.js's list of the built-in modules loaded so far ("NativeModule http"), present in
 * Node.js 20, 22 and 24 though undocumented. Without it every patch installs at start.
 */
const moduleLoadList = (process as { moduleLoadList?: readonly string[] }).moduleLoadList;

/** Whether deferred patches wait for their built-in module; see `deferUnloadedBuiltins`. */
let deferUnloaded = false;

/**
 * Makes the deferred patches wait until their built-in module loads, for a process whose start
 * time matters most: `rampart/lambda` calls it before the agent starts. Elsewhere they install
 * at start, because an ES module app run without the agent's loader imports `node:http`
 * unseen, and its request source is what runs `installLoadedRuntimeHooks`. In a Lambda function
 * the wrapper creates each request's context, so that check runs before every invocation.
 */
export function deferUnloadedBuiltins(): void {
  deferUnloaded = true;
}

/** Deferred patches not installed yet. */
const pending = new Set<DeferredRuntimeInstrumentation>();

/** Length of moduleLoadList at the last check, which only grows: unchanged means nothing new. */
let checkedLoadCount = -1;

function isLoaded(builtin: string): boolean {
  return moduleLoadList === undefined || moduleLoadList.includes(`NativeModule ${builtin}`);
}

/** Returns the built-in module `name` when something in the process loaded it already. */
export function loadedBuiltin<T>(name: string): T | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return isLoaded(name) ? (require(`node:${name}`) as T) : undefined;
}

function install(instrumentation: RuntimeInstrumentation): void {
  failOpen(`patch.${instrumentation.name}`, undefined, () => {
    instrumentation.install();
    log.debug({ module: instrumentation.name }, "runtime patched");
  });
}

/**
 * Refreshes the named exports of built-in ES modules after a deferred patch. Called from the
 * app's `fetch` and request paths, so a failure is counted rather than thrown.
 */
function syncNamedExports(): void {
  failOpen("patch.named-exports", undefined, syncBuiltinESMExports);
}

function installDeferred(hook: DeferredRuntimeInstrumentation): void {
  // Removed first: loading the patch module loads its built-ins, which calls back in here.
  pending.delete(hook);
  const instrumentation = failOpen(`load.${hook.name}`, undefined, () => hook.load());
  if (instrumentation !== undefined) install(instrumentation);
}

/**
 * Installs the patches that start at once and those whose built-in module is already loaded,
 * defers the others, then refreshes the named exports of built-in ES modules so that
 * `import { exec } from "node:child_process"` resolves to the wrapper too. A patch that throws
 * is counted and skipped; the others still install.
 */
export function installRuntimeHooks(hooks: readonly RuntimeHook[]): void {
  // Deferred patches first, so that an immediate patch may install one (`builtinRequired`).
  for (const hook of hooks) {
    if (!("builtins" in hook)) continue;
    if (!deferUnloaded || hook.builtins.some(isLoaded)) installDeferred(hook);
    else pending.add(hook);
  }
  for (const hook of hooks) {
    if (!("builtins" in hook)) install(hook);
  }
  checkedLoadCount = moduleLoadList?.length ?? -1;

  // Named imports of built-ins are separate bindings, refreshed only by this call. An app that
  // imported them before the agent started keeps the originals until it runs.
  syncBuiltinESMExports();
}

/** Built-in modules whose `require` must call `builtinRequired`, for the require hook's list. */
export function deferredBuiltins(): string[] {
  return [...new Set([...pending].flatMap((hook) => hook.builtins))];
}

/**
 * Installs the deferred patches that `builtin` triggers. Called by the require hook when the app
 * loads it, and by patches that need another one in place first (fetch needs `node:net`).
 */
export function builtinRequired(builtin: string): void {
  if (pending.size === 0) return;

  let installed = false;
  for (const hook of pending) {
    if (!hook.builtins.includes(builtin)) continue;
    installDeferred(hook);
    installed = true;
  }
  checkedLoadCount = moduleLoadList?.length ?? -1;
  if (installed) syncNamedExports();
}

/**
 * Installs the deferred patches whose built-in module was loaded by a path the require hook does
 * not see: an ES module `import` without the agent's loader, or Node.js's internal loading (an
 * `https` server loads `net`). Called when each request starts, before the app's handler runs;
 * costs one length comparison once nothing new loads.
 *
 * NOTE: a built-in that an ES module imports during a request, without the agent's loader, is
 * patched from the next request on.
 */
export function installLoadedRuntimeHooks(): void {
  if (pending.size === 0 || moduleLoadList === undefined) return;
  if (moduleLoadList.length === checkedLoadCount) return;

  let installed = false;
  for (const hook of pending) {
    if (!hook.builtins.some(isLoaded)) continue;
    installDeferred(hook);
    installed = true;
  }
  checkedLoadCount = moduleLoadList?.length ?? -1;
  if (installed) syncNamedExports();
}
