import { agentState } from "../guard/agent-state";
import type { RuntimeInstrumentation } from "../instrument/runtime-hooks";
import { wrapFunction } from "../instrument/wrap";
import { inspectCode } from "./code";

type Constructor = new (...args: string[]) => unknown;

/** Proxies installed by this file, so that installing twice does not wrap a proxy in another. */
const installedProxies = new WeakSet<object>();

/**
 * Converts the arguments of `Function(...)` to strings once. The original then compiles exactly
 * the strings that were judged, even when an argument's `toString` returns something else on a
 * second call. Returns undefined when a conversion throws, so the original reports that error.
 */
function argumentsAsStrings(args: readonly unknown[]): string[] | undefined {
  try {
    return args.map((arg) => `${arg as string}`);
  } catch {
    return undefined;
  }
}

/** Builds the source text that V8 compiles for `Function(p1, p2, body)`, as the judged operation. */
function functionSource(args: readonly string[]): string {
  const parameters = args.slice(0, -1).join(",");
  const body = args.length === 0 ? "" : args[args.length - 1];
  return `function anonymous(${parameters}\n) {\n${body}\n}`;
}

/**
 * Wraps a function constructor (`Function`, `AsyncFunction`, ...) in a Proxy with `apply` and
 * `construct` traps. A Proxy keeps `prototype`, static members and `instanceof` working, which
 * a plain wrapper function would break.
 */
function protectConstructor(original: Constructor, sink: string): Constructor {
  const judge = (args: readonly unknown[]): readonly unknown[] => {
    const strings = argumentsAsStrings(args);
    if (strings === undefined) return args;

    const blocked = inspectCode(sink, functionSource(strings));
    if (blocked !== undefined) throw blocked;
    return strings;
  };

  const proxy: Constructor = new Proxy(original, {
    apply(target, thisArgument, args: unknown[]) {
      return Reflect.apply(target, thisArgument, judge(args));
    },
    construct(target, args: unknown[], newTarget): object {
      // `new Function(...)` passes the proxy as new.target, and V8 then took about 1 µs per call
      // against 0.5 µs (Node.js 20 and 24). The original gives the same prototype, and a subclass
      // keeps its own new.target.
      return Reflect.construct(
        target,
        judge(args),
        newTarget === proxy ? target : newTarget,
      ) as object;
    },
  });
  installedProxies.add(proxy);
  return proxy;
}

/**
 * Points `prototype.constructor` of a function constructor at its proxy, because
 * `(function () {}).constructor("code")` reaches the constructor without the global name.
 */
function protectPrototypeConstructor(original: Constructor, sink: string): Constructor | undefined {
  const prototype = original.prototype as object;
  const current = (prototype as { constructor?: unknown }).constructor;
  if (typeof current === "function" && installedProxies.has(current)) return undefined;

  const proxy = protectConstructor(original, sink);
  const descriptor = Object.getOwnPropertyDescriptor(prototype, "constructor");
  Object.defineProperty(prototype, "constructor", {
    value: proxy,
    writable: descriptor?.writable ?? true,
    enumerable: false,
    configurable: true,
  });
  return proxy;
}

/** Function constructors that are not globals: reachable only as `(async function () {}).constructor`. */
function hiddenConstructors(): [Constructor, string][] {
  const constructorOf = (sample: object) =>
    (Object.getPrototypeOf(sample) as { constructor: Constructor }).constructor;
  return [
    [constructorOf(async function () {}), "global.AsyncFunction"],
    [constructorOf(function* () {}), "global.GeneratorFunction"],
    [constructorOf(async function* () {}), "global.AsyncGeneratorFunction"],
  ];
}

/**
 * `Function`, `new Function` and their async and generator siblings. Every call passes through
 * the proxy, including calls from template engines that compile templates with `new Function`.
 */
export const functionConstructor: RuntimeInstrumentation = {
  name: "globalThis.Function",
  install() {
    if (installedProxies.has(globalThis.Function)) return;

    const original = globalThis.Function as unknown as Constructor;
    const proxy = protectPrototypeConstructor(original, "global.Function");
    if (proxy !== undefined) {
      Object.defineProperty(globalThis, "Function", {
        value: proxy,
        writable: true,
        enumerable: false,
        configurable: true,
      });
    }

    for (const [hidden, sink] of hiddenConstructors()) protectPrototypeConstructor(hidden, sink);
  },
};

/**
 * The global `eval`, installed only with `RAMPART_HOOK_EVAL=true`. Replacing it turns every
 * direct `eval(...)` in the application into an indirect one, which runs in the global scope and
 * cannot read the caller's local variables. Bundlers' `eval` source maps rely on direct eval.
 * So the hook is opt-in, for applications that only call `eval` on global code.
 */
export const globalEval: RuntimeInstrumentation = {
  name: "globalThis.eval",
  install() {
    if (agentState()?.config.hookEval !== true) return;

    const wrapper = wrapFunction(globalThis.eval, (original) => {
      return function evaluate(this: unknown, source: unknown): unknown {
        if (typeof source === "string") {
          const blocked = inspectCode("global.eval", source);
          if (blocked !== undefined) throw blocked;
        }
        return original(source as string);
      };
    });
    Object.defineProperty(globalThis, "eval", {
      value: wrapper,
      writable: true,
      enumerable: false,
      configurable: true,
    });
  },
};
