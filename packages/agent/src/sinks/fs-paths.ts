import { currentContext } from "../context/storage";
import { detectPathTraversal, pathText } from "../detectors/path";
import type { RampartBlockedError } from "../errors";
import { reportInternalError } from "../failsafe";
import { inspect, isInspecting } from "../guard/guard";

/** Positions of the path arguments of a file system function: `[0]`, or `[0, 1]` for `rename`. */
export type PathPositions = readonly number[];

export const firstPath: PathPositions = [0];
export const bothPaths: PathPositions = [0, 1];

/**
 * Path-taking functions that `node:fs` has in callback and `Sync` form and `node:fs/promises` in
 * promise form. A name missing in the running Node.js version (`lchmod` exists only on macOS) is
 * skipped.
 */
export const pathFunctions: Readonly<Record<string, PathPositions>> = {
  access: firstPath,
  appendFile: firstPath,
  chmod: firstPath,
  chown: firstPath,
  copyFile: bothPaths,
  cp: bothPaths,
  lchmod: firstPath,
  lchown: firstPath,
  link: bothPaths,
  lstat: firstPath,
  lutimes: firstPath,
  mkdir: firstPath,
  mkdtemp: firstPath,
  open: firstPath,
  opendir: firstPath,
  readFile: firstPath,
  readdir: firstPath,
  readlink: firstPath,
  realpath: firstPath,
  rename: bothPaths,
  rm: firstPath,
  rmdir: firstPath,
  stat: firstPath,
  statfs: firstPath,
  // The target of a symbolic link is a path too: a link inside the base can point anywhere.
  symlink: bothPaths,
  truncate: firstPath,
  unlink: firstPath,
  utimes: firstPath,
  writeFile: firstPath,
};

/**
 * True while this module judges a path. Code that runs during judging (the guard, event
 * listeners, other sinks' helpers) may call `fs` itself, and those nested calls pass unjudged.
 */
let judging = false;

/**
 * Judges the path arguments of one file system call against the current request's inputs.
 * Returns the error to deliver when the call must not run, else undefined. Calls outside a
 * request, such as module loading at start, return after two cheap checks.
 */
export function inspectPaths(
  sink: string,
  args: ArrayLike<unknown>,
  positions: PathPositions,
): RampartBlockedError | undefined {
  if (judging || currentContext() === undefined || !isInspecting("path_traversal")) {
    return undefined;
  }

  judging = true;
  try {
    return judgeArguments(sink, args, positions);
  } catch (error) {
    // As failOpen does, without a kind string and a closure on every fs call in a request.
    reportInternalError(`inspect.${sink}`, error);
    return undefined;
  } finally {
    judging = false;
  }
}

function judgeArguments(
  sink: string,
  args: ArrayLike<unknown>,
  positions: PathPositions,
): RampartBlockedError | undefined {
  for (const position of positions) {
    const path = pathText(args[position]);
    if (path === undefined || path === "") continue;

    const error = inspect({
      attackType: "path_traversal",
      sink,
      operation: path,
      detect: (inputs) => detectPathTraversal(path, inputs),
    });
    if (error !== undefined) return error;
  }
  return undefined;
}
