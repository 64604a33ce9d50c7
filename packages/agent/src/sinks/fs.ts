import fs from "node:fs";

import type { RampartBlockedError } from "../errors";
import type { RuntimeInstrumentation } from "../instrument/runtime-hooks";
import { wrapMethod } from "../instrument/wrap";
import { callbackIndex, failCallback } from "./call";
import { firstPath, inspectPaths, pathFunctions, type PathPositions } from "./fs-paths";

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

type Target = Record<string, unknown>;

/**
 * Wraps a callback-form function. A blocked call passes the error to its callback on the next
 * tick, as a failed file system call does, and throws when no callback was given.
 */
function wrapCallbackFunction(
  target: Target,
  name: string,
  sink: string,
  positions: PathPositions,
): void {
  wrapMethod<AnyFunction>(
    target,
    name,
    (original) =>
      function (this: unknown, ...args: unknown[]): unknown {
        const error = inspectPaths(sink, args, positions);
        if (error === undefined) return original.apply(this, args);

        const index = callbackIndex(args);
        if (index === -1) throw error;
        failCallback(args[index], error);
        return undefined;
      },
  );
}

/** Wraps a function that reports failure by throwing: `Sync` forms, `watch` and `watchFile`. */
function wrapThrowingFunction(
  target: Target,
  name: string,
  sink: string,
  positions: PathPositions,
): void {
  wrapMethod<AnyFunction>(
    target,
    name,
    (original) =>
      function (this: unknown, ...args: unknown[]): unknown {
        const error = inspectPaths(sink, args, positions);
        if (error !== undefined) throw error;
        return original.apply(this, args);
      },
  );
}

/**
 * Wraps the deprecated `fs.exists`, whose callback takes a boolean and no error. A blocked call
 * reports false, the result for a path that cannot be reached, because an error object there
 * would read as true.
 */
function wrapExists(): void {
  wrapMethod<AnyFunction>(
    fs as unknown as Target,
    "exists",
    (original) =>
      function (this: unknown, ...args: unknown[]): unknown {
        const error = inspectPaths("fs.exists", args, firstPath);
        if (error === undefined) return original.apply(this, args);

        const index = callbackIndex(args);
        if (index === -1) throw error;
        process.nextTick(args[index] as (exists: boolean) => void, false);
        return undefined;
      },
  );
}

/** Wraps `openAsBlob`, which returns a promise: a blocked call returns a rejected one. */
function wrapPromiseFunction(target: Target, name: string, sink: string): void {
  wrapMethod<AnyFunction>(
    target,
    name,
    (original) =>
      function (this: unknown, ...args: unknown[]): unknown {
        const error = inspectPaths(sink, args, firstPath);
        if (error !== undefined) return Promise.reject(error);
        return original.apply(this, args);
      },
  );
}

/**
 * Returns a file system for the `fs` option of a stream whose every `open` fails with the block
 * error. The stream is a real `fs.ReadStream` or `fs.WriteStream` that emits 'error' and 'close'
 * on a later tick without ever opening the file.
 */
function failingFileSystem(error: RampartBlockedError): Record<string, unknown> {
  const fail = (...args: unknown[]) => {
    const callback = args[callbackIndex(args)];
    if (typeof callback === "function") failCallback(callback, error);
  };
  return { open: fail, read: fail, write: fail, writev: fail, close: fail };
}

/** Stream options as an object: the string form names the encoding. */
function streamOptions(options: unknown): Record<string, unknown> {
  if (typeof options === "string") return { encoding: options };
  if (typeof options === "object" && options !== null) return { ...options };
  return {};
}

/** True when stream options carry a file descriptor or FileHandle, which the stream uses instead of the path. */
function usesDescriptor(options: unknown): boolean {
  if (typeof options !== "object" || options === null) return false;
  const fd = (options as { fd?: unknown }).fd;
  return fd !== undefined && fd !== null;
}

function wrapStreamFactory(name: "createReadStream" | "createWriteStream"): void {
  const sink = `fs.${name}`;
  wrapMethod<AnyFunction>(
    fs as unknown as Target,
    name,
    (original) =>
      function (this: unknown, ...args: unknown[]): unknown {
        if (usesDescriptor(args[1])) return original.apply(this, args);

        const error = inspectPaths(sink, args, firstPath);
        if (error === undefined) return original.apply(this, args);

        const options = { ...streamOptions(args[1]), fs: failingFileSystem(error) };
        return original.call(this, args[0], options);
      },
  );
}

/** Wraps `realpath.native` and `realpathSync.native`, which the wrappers copied from the originals. */
function wrapNativeRealpath(): void {
  const realpath = fs.realpath as unknown as Target;
  const realpathSync = fs.realpathSync as unknown as Target;
  wrapCallbackFunction(realpath, "native", "fs.realpath.native", firstPath);
  wrapThrowingFunction(realpathSync, "native", "fs.realpathSync.native", firstPath);
}

/**
 * `node:fs`: every function that takes a path, in callback, `Sync` and stream form. Functions on
 * file descriptors (`read`, `fstat`) are left alone: their file was judged when it was opened.
 */
export const nodeFs: RuntimeInstrumentation = {
  name: "node:fs",
  install() {
    const target = fs as unknown as Target;
    for (const [name, positions] of Object.entries(pathFunctions)) {
      wrapCallbackFunction(target, name, `fs.${name}`, positions);
      wrapThrowingFunction(target, `${name}Sync`, `fs.${name}Sync`, positions);
    }
    wrapNativeRealpath();

    wrapExists();
    wrapThrowingFunction(target, "existsSync", "fs.existsSync", firstPath);
    wrapThrowingFunction(target, "watch", "fs.watch", firstPath);
    wrapThrowingFunction(target, "watchFile", "fs.watchFile", firstPath);
    wrapPromiseFunction(target, "openAsBlob", "fs.openAsBlob");
    wrapStreamFactory("createReadStream");
    wrapStreamFactory("createWriteStream");
  },
};
