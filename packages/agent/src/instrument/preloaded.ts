import { createRequire } from "node:module";
import path from "node:path";

import { log } from "../log";

const nodeModulesMarker = `${path.sep}node_modules${path.sep}`;

/** A supported package found in require.cache before the agent started. */
export interface PreloadedModule {
  readonly name: string;
  readonly baseDir: string;
  readonly moduleExports: unknown;
}

function packageOf(file: string): { name: string; baseDir: string } | undefined {
  const at = file.lastIndexOf(nodeModulesMarker);
  if (at === -1) return undefined;

  const rest = file.slice(at + nodeModulesMarker.length).split(path.sep);
  const scoped = rest[0]?.startsWith("@") === true;
  const name = scoped ? `${rest[0]}/${rest[1]}` : rest[0];
  if (name === undefined) return undefined;
  return {
    name,
    baseDir: file.slice(0, at + nodeModulesMarker.length) + name.split("/").join(path.sep),
  };
}

function mainExports(name: string, baseDir: string): unknown {
  try {
    // Resolving the name from inside the package finds the package itself (its main entry).
    const main = createRequire(path.join(baseDir, "package.json")).resolve(name);
    return require.cache[main]?.exports;
  } catch {
    return undefined;
  }
}

/**
 * Finds the supported packages that CommonJS already loaded when the agent started, and warns about
 * each: the agent patches them in place, but references the app took before may stay unprotected.
 */
export function findPreloadedModules(names: readonly string[]): PreloadedModule[] {
  const found = new Map<string, PreloadedModule>();

  for (const file of Object.keys(require.cache)) {
    const owner = packageOf(file);
    if (owner === undefined || !names.includes(owner.name) || found.has(owner.baseDir)) continue;
    found.set(owner.baseDir, { ...owner, moduleExports: mainExports(owner.name, owner.baseDir) });
  }

  for (const preloaded of found.values()) {
    log.warn(
      { module: preloaded.name, path: preloaded.baseDir },
      `${preloaded.name} was loaded before the agent; it is patched in place, but references taken earlier may be unprotected. Load the agent first with --require rampart/register or --import rampart/register`,
    );
  }
  return [...found.values()];
}
