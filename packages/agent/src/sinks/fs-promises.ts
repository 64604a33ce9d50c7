import fsPromises from "node:fs/promises";

import type { RampartBlockedError } from "../errors";
import type { RuntimeInstrumentation } from "../instrument/runtime-hooks";
import { wrapMethod } from "../instrument/wrap";
import { firstPath, inspectPaths, pathFunctions, type PathPositions } from "./fs-paths";

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

type Target = Record<string, unknown>;

function wrapPromiseFunction(target: Target, name: string, positions: PathPositions): void {
  const sink = `fs/promises.${name}`;
  wrapMethod<AnyFunction>(
    target,
    name,
    (original) =>
      function (this: unknown, ...args: unknown[]): unknown {
        const error = inspectPaths(sink, args, positions);
        if (error !== undefined) return Promise.reject(error);
        return original.apply(this, args);
      },
  );
}

/** Returns an async iterator whose every `next()` rejects, as `watch` does for a missing file. */
function failingWatch(error: RampartBlockedError): AsyncIterableIterator<never> {
  const iterator: AsyncIterableIterator<never> = {
    next: () => Promise.reject(error),
    return: () => Promise.resolve({ done: true, value: undefined }),
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

function wrapWatch(target: Target): void {
  wrapMethod<AnyFunction>(
    target,
    "watch",
    (original) =>
      function (this: unknown, ...args: unknown[]): unknown {
        const error = inspectPaths("fs/promises.watch", args, firstPath);
        if (error !== undefined) return failingWatch(error);
        return original.apply(this, args);
      },
  );
}

/**
 * `node:fs/promises` and `fs.promises` (one object): a blocked call returns a rejected promise,
 * and a blocked `watch` an iterator that rejects on its first step.
 */
export const nodeFsPromises: RuntimeInstrumentation = {
  name: "node:fs/promises",
  install() {
    const target = fsPromises as unknown as Target;
    for (const [name, positions] of Object.entries(pathFunctions)) {
      wrapPromiseFunction(target, name, positions);
    }
    wrapWatch(target);
  },
};
