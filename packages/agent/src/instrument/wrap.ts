const originalKey = Symbol.for("rampart.original");

type AnyFunction = (this: any, ...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** True when the function is a wrapper that this agent installed. */
export function isWrapped(fn: unknown): boolean {
  return typeof fn === "function" && Object.hasOwn(fn, originalKey);
}

/**
 * Replaces `target[name]` with `wrap(original)`, keeping the original's name and length. A method
 * that is missing, not a function or already wrapped is left alone, so patching twice is harmless.
 * Returns true when it installed a wrapper.
 */
export function wrapMethod<F extends AnyFunction>(
  target: Record<string, unknown>,
  name: string,
  wrap: (original: F) => F,
): boolean {
  const original = target[name];
  if (typeof original !== "function" || isWrapped(original)) return false;

  const wrapper = wrapFunction(original as F, wrap);
  const descriptor = Object.getOwnPropertyDescriptor(target, name);
  Object.defineProperty(target, name, {
    value: wrapper,
    writable: descriptor?.writable ?? true,
    enumerable: descriptor?.enumerable ?? false,
    configurable: true,
  });
  return true;
}

/** Returns `wrap(original)` marked as a wrapper and named like the original. */
export function wrapFunction<F extends AnyFunction>(original: F, wrap: (original: F) => F): F {
  if (isWrapped(original)) return original;

  const wrapper = wrap(original);
  copyStaticProperties(original, wrapper);
  Object.defineProperty(wrapper, originalKey, { value: original });
  Object.defineProperty(wrapper, "name", { value: original.name, configurable: true });
  Object.defineProperty(wrapper, "length", { value: original.length, configurable: true });
  return wrapper;
}

/** Copies a function's own properties (static members such as `postgres.BigInt`) onto its wrapper. */
function copyStaticProperties(from: AnyFunction, to: AnyFunction): void {
  for (const key of Reflect.ownKeys(from)) {
    if (key === "length" || key === "name" || key === "prototype" || Object.hasOwn(to, key))
      continue;
    const descriptor = Object.getOwnPropertyDescriptor(from, key);
    if (descriptor !== undefined) Object.defineProperty(to, key, descriptor);
  }
}
