import { readFileSync } from "node:fs";
import path from "node:path";

import { Hook as RequireHook } from "require-in-the-middle";

import { failOpen } from "../failsafe";
import { log } from "../log";
import { activeEsmHooks } from "./esm-hooks";
import { findPreloadedModules } from "./preloaded";
import { builtinRequired } from "./runtime-hooks";

/** Patch description for one npm package. Each file in sinks/ exports one or more of these. */
export interface ModuleInstrumentation {
  /** Package name, as in `require(name)`. */
  readonly name: string;
  /** Major versions the patch was written and tested for; other versions are left unpatched. */
  readonly majorVersions: readonly number[];
  /**
   * Patches the package's exports (module.exports, or the default export of an ES module).
   * `baseDir` is the package's directory, for patches that must load one of its internal files.
   * Returns a replacement when the export itself must be wrapped, else undefined.
   */
  patch(moduleExports: unknown, version: string, baseDir: string): unknown;
}

/**
 * Hook for one npm package whose patch code is loaded only when the package itself loads, so an
 * app pays at start only for the names of the packages it never uses.
 */
export interface LazyModuleInstrumentation {
  /** Package name, as in `require(name)`; the same as the `name` of the instrumentation `load` returns. */
  readonly name: string;
  /** Loads the module that contains the patch and returns its instrumentation for this package. */
  load(): ModuleInstrumentation;
}

/** An entry of the hooked package list: the patch itself, or a loader of it. */
export type ModuleHook = ModuleInstrumentation | LazyModuleInstrumentation;

const patchedExports = new WeakSet<object>();
const warnedVersions = new Set<string>();
const loadedPatches = new Map<ModuleHook, ModuleInstrumentation | undefined>();

/**
 * Returns the patch of a hook entry, loading it the first time. A patch module that fails to load,
 * or contains the patch of another package, leaves the package unpatched (fail open).
 */
function resolvePatch(hook: ModuleHook): ModuleInstrumentation | undefined {
  if ("patch" in hook) return hook;
  if (loadedPatches.has(hook)) return loadedPatches.get(hook);

  const loaded = failOpen(`load.${hook.name}`, undefined, () => {
    const instrumentation = hook.load();
    if (instrumentation.name === hook.name) return instrumentation;

    log.error(
      { module: hook.name, loaded: instrumentation.name },
      "the patch module loaded for this package contains another package's patch; the package is not protected",
    );
    return undefined;
  });
  loadedPatches.set(hook, loaded);
  return loaded;
}

function readPackageVersion(baseDir: string | undefined): string | undefined {
  if (baseDir === undefined) return undefined;
  try {
    const manifest = JSON.parse(readFileSync(path.join(baseDir, "package.json"), "utf8"));
    return typeof manifest.version === "string" ? manifest.version : undefined;
  } catch {
    return undefined;
  }
}

function isSupported(
  instrumentation: ModuleInstrumentation,
  version: string | undefined,
): version is string {
  const major = Number.parseInt(version ?? "", 10);
  if (instrumentation.majorVersions.includes(major)) return true;

  const key = `${instrumentation.name}@${version}`;
  if (!warnedVersions.has(key)) {
    warnedVersions.add(key);
    log.warn(
      { module: instrumentation.name, version, supported: instrumentation.majorVersions },
      "module version not supported; its calls are not protected. Use a supported major version",
    );
  }
  return false;
}

/** Applies the patch once per exports object; returns what the module should export from now on. */
function applyPatch(hook: ModuleHook, moduleExports: unknown, baseDir: string | undefined) {
  if (
    moduleExports === null ||
    (typeof moduleExports !== "object" && typeof moduleExports !== "function")
  ) {
    return moduleExports;
  }
  if (patchedExports.has(moduleExports)) return moduleExports;
  if (baseDir === undefined) return moduleExports;

  const instrumentation = resolvePatch(hook);
  if (instrumentation === undefined) return moduleExports;
  const version = readPackageVersion(baseDir);
  if (!isSupported(instrumentation, version)) return moduleExports;

  const replacement = failOpen(`patch.${instrumentation.name}`, undefined, () =>
    instrumentation.patch(moduleExports, version, baseDir),
  );
  const result = replacement ?? moduleExports;
  patchedExports.add(moduleExports);
  if (typeof result === "object" || typeof result === "function")
    patchedExports.add(result as object);

  log.debug({ module: instrumentation.name, version }, "module patched");
  return result;
}

/** Returns the functions stored as own data properties of an export object, without calling getters. */
function functionMembers(target: unknown): Map<string, unknown> {
  const members = new Map<string, unknown>();
  if (target === null || (typeof target !== "object" && typeof target !== "function"))
    return members;

  for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(target))) {
    if (typeof descriptor.value === "function") members.set(key, descriptor.value);
  }
  return members;
}

/**
 * Points named exports at the functions that a patch replaced on the default export object. The
 * named exports of an ES module are bindings of their own, so without this `import { createPool }`
 * would keep the unpatched function while `pkg.createPool` of `import pkg` returns the patched one.
 */
function rebindNamedExports(
  namespace: Record<string, unknown>,
  target: unknown,
  functionsBefore: Map<string, unknown>,
) {
  if (target === namespace) return;

  for (const [key, original] of functionsBefore) {
    if (key === "default" || !(key in namespace) || namespace[key] !== original) continue;
    const patched = (target as Record<string, unknown>)[key];
    if (patched !== original) namespace[key] = patched;
  }
}

/** Patches supported packages that were loaded before the agent, where their exports can be reached. */
function patchPreloaded(hooks: readonly ModuleHook[]): void {
  const preloaded = findPreloadedModules(hooks.map((item) => item.name));
  for (const module of preloaded) {
    const hook = hooks.find((item) => item.name === module.name);
    if (hook !== undefined) applyPatch(hook, module.moduleExports, module.baseDir);
  }
}

/** True when `--import`, `--loader` or `--experimental-loader` is on Node's command line or in NODE_OPTIONS. */
function hasModuleLoaderFlag(): boolean {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
  return flags.some((flag) => /^--(import|loader|experimental-loader)(=|$)/.test(flag));
}

/** True when another part of the process already loaded a copy of import-in-the-middle. */
function importInTheMiddleLoaded(): boolean {
  // A scan of the loaded file names: resolving the package would cost more (half a millisecond).
  return Object.keys(require.cache).some((file) => /[\\/]import-in-the-middle[\\/]/.test(file));
}

/**
 * Returns import-in-the-middle when an ES module loader can call its hooks: the one that
 * `--import rampart/register` registered, or one that other tooling (an OpenTelemetry loader)
 * registered from the same copy. Otherwise no ES module import reaches a hook, and loading it
 * (with node:worker_threads) would only slow the start, a serverless cold start most of all.
 */
function importHooks(): typeof import("import-in-the-middle") | undefined {
  if (activeEsmHooks() === "none" && !hasModuleLoaderFlag() && !importInTheMiddleLoaded())
    return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("import-in-the-middle") as typeof import("import-in-the-middle");
}

/** Groups hook entries by package name; two entries may name the same package. */
function hooksByName(hooks: readonly ModuleHook[]): Map<string, ModuleHook[]> {
  const byName = new Map<string, ModuleHook[]>();
  for (const hook of hooks) {
    const entries = byName.get(hook.name);
    if (entries === undefined) byName.set(hook.name, [hook]);
    else entries.push(hook);
  }
  return byName;
}

/** Applies every entry for `name` in turn, each to what the previous one returned. */
function applyHooks(
  entries: readonly ModuleHook[] | undefined,
  moduleExports: unknown,
  baseDir: string | undefined,
): unknown {
  let result = moduleExports;
  for (const hook of entries ?? []) result = applyPatch(hook, result, baseDir);
  return result;
}

/**
 * Hooks the packages for CommonJS `require` (require-in-the-middle) and for ES `import`
 * (import-in-the-middle, active when the loader was registered by `--import rampart/register`),
 * and patches those already loaded. The patch code of a lazy entry is loaded when its package is.
 * A `require` of one of `builtins` installs the runtime patches deferred until it loads.
 *
 * One hook covers every name: each require-in-the-middle hook wraps `require` once more and
 * resolves the file name of every module the app loads, so one hook per package would multiply
 * the cost of each `require` by the number of packages.
 */
export function hookModules(hooks: readonly ModuleHook[], builtins: readonly string[] = []): void {
  patchPreloaded(hooks);

  const byName = hooksByName(hooks);
  const names = [...byName.keys()];
  const builtinNames = new Set(builtins);
  new RequireHook([...names, ...builtinNames], (moduleExports, name, baseDir) => {
    // Built-in modules are patched in place, so their exports object stays the same.
    if (builtinNames.has(name)) {
      failOpen("patch.builtins", undefined, () => builtinRequired(name));
      return moduleExports;
    }
    return applyHooks(byName.get(name), moduleExports, baseDir) as typeof moduleExports;
  });

  const importHookModule = importHooks();
  if (importHookModule === undefined) return;
  new importHookModule.Hook(names, (namespace, name, baseDir) => {
    // A CommonJS package imported from ESM shows module.exports as `default`; so does an ES
    // module's default export. Patching that object covers both module systems at once.
    const target = "default" in namespace ? namespace.default : namespace;
    const functionsBefore = functionMembers(target);
    const result = applyHooks(byName.get(name), target, baseDir ?? undefined);
    if (result !== target && "default" in namespace) namespace.default = result;
    rebindNamedExports(namespace, target, functionsBefore);
  });
}
