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

  installWrapper(target, name, original as F, wrap);
  return true;
}

function installWrapper<F extends AnyFunction>(
  target: Record<string, unknown>,
  name: string,
  original: F,
  wrap: (original: F) => F,
): void {
  const wrapper = wrapFunction(original, wrap);
  if (isShimmerWrapper(original)) forwardShimmerUnwrap(target, name, wrapper, original, wrap);

  const descriptor = Object.getOwnPropertyDescriptor(target, name);
  Object.defineProperty(target, name, {
    value: wrapper,
    writable: descriptor?.writable ?? true,
    enumerable: descriptor?.enumerable ?? false,
    configurable: true,
  });
}

/**
 * Properties that shimmer, the wrapping library of OpenTelemetry's instrumentations, sets on its
 * wrappers: the wrapped function, a flag and a function that restores the wrapped one.
 */
const shimmerKeys: ReadonlySet<PropertyKey> = new Set(["__original", "__unwrap", "__wrapped"]);

interface ShimmerWrapper {
  readonly __original: AnyFunction;
  readonly __unwrap: () => void;
  readonly __wrapped: true;
}

function isShimmerWrapper(fn: AnyFunction): fn is AnyFunction & ShimmerWrapper {
  const candidate = fn as Partial<ShimmerWrapper>;
  return (
    candidate.__wrapped === true &&
    typeof candidate.__unwrap === "function" &&
    typeof candidate.__original === "function"
  );
}

/**
 * Lets an OpenTelemetry instrumentation remove its own wrapper from under the agent's. The pg
 * instrumentation, for one, wraps `Client#query` when pg/lib/client.js loads and again when pg loads,
 * unwrapping the first wrapper through `__unwrap` before the second. With the agent's wrapper in
 * between, that unwrap did nothing and every query got two spans. Here `__unwrap` wraps what lies
 * under OpenTelemetry's wrapper again, so only that wrapper goes and the agent stays.
 */
function forwardShimmerUnwrap<F extends AnyFunction>(
  target: Record<string, unknown>,
  name: string,
  wrapper: F,
  foreign: F & ShimmerWrapper,
  wrap: (original: F) => F,
): void {
  const unwrap = () => {
    if (target[name] === wrapper) installWrapper(target, name, foreign.__original as F, wrap);
  };
  Object.defineProperty(wrapper, "__original", { value: foreign, configurable: true });
  Object.defineProperty(wrapper, "__unwrap", { value: unwrap, configurable: true });
  Object.defineProperty(wrapper, "__wrapped", { value: true, configurable: true });
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
    // A foreign wrapper's bookkeeping would describe that wrapper, not this one.
    if (shimmerKeys.has(key)) continue;
    const descriptor = Object.getOwnPropertyDescriptor(from, key);
    if (descriptor !== undefined) Object.defineProperty(to, key, descriptor);
  }
}
