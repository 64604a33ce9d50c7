import vm from "node:vm";

import type { RuntimeInstrumentation } from "../instrument/runtime-hooks";
import { wrapMethod } from "../instrument/wrap";
import { inspectCode } from "./code";

type RunMethod = (this: unknown, code: unknown, ...rest: unknown[]) => unknown;

/** Judges the source text passed as the first argument of `vm.runIn*` and `vm.createScript`. */
function wrapRun(sink: string) {
  return (original: RunMethod): RunMethod =>
    function run(this: unknown, code: unknown, ...rest: unknown[]) {
      if (typeof code === "string") {
        const blocked = inspectCode(sink, code);
        if (blocked !== undefined) throw blocked;
      }
      return original.call(this, code, ...rest);
    };
}

/** Judges `vm.compileFunction(code, params)` as the function that it compiles. */
function wrapCompileFunction(original: RunMethod): RunMethod {
  return function compileFunction(this: unknown, code: unknown, ...rest: unknown[]) {
    if (typeof code === "string") {
      const parameters = Array.isArray(rest[0]) ? rest[0].join(",") : "";
      const blocked = inspectCode("vm.compileFunction", `function (${parameters}) {\n${code}\n}`);
      if (blocked !== undefined) throw blocked;
    }
    return original.call(this, code, ...rest);
  };
}

/** The `vm.Script` proxy once installed; a Proxy hides the marker that `wrapMethod` sets on wrappers. */
const scriptProxies = new WeakSet<object>();

/**
 * Replaces `vm.Script` with a Proxy whose `construct` trap judges the source text, so that
 * `instanceof vm.Script` and subclasses keep working.
 */
function protectScript(): void {
  const original = vm.Script;
  if (scriptProxies.has(original)) return;

  const proxy: typeof vm.Script = new Proxy(original, {
    construct(target, args: unknown[], newTarget): object {
      const code = args[0];
      if (typeof code === "string") {
        const blocked = inspectCode("vm.Script", code);
        if (blocked !== undefined) throw blocked;
      }
      // With the proxy as new.target, V8 reads `prototype` through the proxy on every construction.
      // The original gives the same prototype.
      return Reflect.construct(target, args, newTarget === proxy ? target : newTarget) as object;
    },
  });
  scriptProxies.add(proxy);
  Object.defineProperty(vm, "Script", {
    value: proxy,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}

/**
 * node:vm. Node's `runIn*` functions compile through its internal `Script` binding, not through
 * `vm.Script`, so one call is judged once.
 */
export const vmModule: RuntimeInstrumentation = {
  name: "node:vm",
  install() {
    const target = vm as unknown as Record<string, unknown>;
    for (const name of ["runInContext", "runInNewContext", "runInThisContext", "createScript"]) {
      wrapMethod(target, name, wrapRun(`vm.${name}`));
    }
    wrapMethod(target, "compileFunction", wrapCompileFunction);
    protectScript();
  },
};
