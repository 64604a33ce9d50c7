import path from "node:path";

import { log } from "../log";

/**
 * Warns about each supported package that was already loaded when the agent started: its
 * module-level references were taken before the hooks existed, so parts of it may be unprotected.
 */
export function warnPreloadedModules(names: readonly string[]): void {
  const loaded = new Set<string>();
  const marker = `${path.sep}node_modules${path.sep}`;

  for (const file of Object.keys(require.cache)) {
    const at = file.lastIndexOf(marker);
    if (at === -1) continue;

    const rest = file.slice(at + marker.length).split(path.sep);
    const name = rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
    if (name !== undefined && names.includes(name)) loaded.add(name);
  }

  for (const name of loaded) {
    log.warn(
      { module: name },
      `${name} was loaded before the agent and may be unprotected; load the agent first with --require rampart/register or --import rampart/register`,
    );
  }
}
