// Loaded by `node --require rampart/register app.js`: starts the agent before the app's code runs.
import worker from "node:worker_threads";

import { protect } from "./index";

/**
 * True on the thread where Node.js runs module customization hooks (those of `--import tsx`, for
 * example). Node.js 20 loads `--require` modules there as well, but no app code runs on it. Node.js
 * 22.14 and later mark it with `isInternalThread`. On older versions it is the only worker thread
 * without a `parentPort`: the app's own workers always have one, and their `process.argv` has no
 * script yet while `--require` modules load, so argv cannot tell them apart.
 */
function isModuleHooksThread(): boolean {
  const { isInternalThread } = worker as { isInternalThread?: boolean };
  if (isInternalThread !== undefined) return isInternalThread;
  return !worker.isMainThread && worker.parentPort === null;
}

if (!isModuleHooksThread()) protect();
