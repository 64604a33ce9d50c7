import { watch, watchFile, unwatchFile, type FSWatcher } from "node:fs";
import path from "node:path";

import { failOpen } from "../failsafe";

/** Delay between a change notice and the reload, so an editor's burst of writes reloads once. */
const debounceMs = 100;

/** Interval of the stat-polling fallback, for file systems where fs.watch misses changes. */
const pollIntervalMs = 300;

/**
 * Calls `onChange` after the file changes, debounced. fs.watch on the file's directory also
 * reports editors that save by renaming a new file over the old one, and stat polling is the
 * fallback. The watchers never keep the process alive. Returns a function that stops watching.
 */
export function watchPolicyFile(file: string, onChange: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      failOpen("policy.reload", undefined, onChange);
    }, debounceMs);
    timer.unref();
  };

  const name = path.basename(file);
  let directoryWatcher: FSWatcher | undefined;
  try {
    directoryWatcher = watch(path.dirname(file), { persistent: false }, (_event, changed) => {
      if (changed === null || changed.toString() === name) schedule();
    });
    directoryWatcher.on("error", () => directoryWatcher?.close());
  } catch {
    // The directory cannot be watched (missing, or too many watchers); polling still works.
    directoryWatcher = undefined;
  }

  const poll = () => schedule();
  watchFile(file, { persistent: false, interval: pollIntervalMs }, poll);

  return () => {
    if (timer !== undefined) clearTimeout(timer);
    directoryWatcher?.close();
    unwatchFile(file, poll);
  };
}
