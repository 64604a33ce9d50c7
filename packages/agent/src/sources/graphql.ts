import { createRequire } from "node:module";
import path from "node:path";

import { currentContext } from "../context/storage";
import { failOpen } from "../failsafe";
import type { ModuleInstrumentation } from "../instrument/module-hooks";
import { wrapMethod } from "../instrument/wrap";
import { literalArguments } from "./graphql-arguments";

type Execute = (this: unknown, ...args: unknown[]) => unknown;

interface ExecutionArgs {
  readonly document?: unknown;
  readonly variableValues?: unknown;
}

/** Reads the document and variables of `execute(args)` (graphql 16) or positional arguments (15). */
function executionArgsOf(args: readonly unknown[]): ExecutionArgs {
  const first = args[0];
  if (args.length === 1 && typeof first === "object" && first !== null && "document" in first)
    return first as ExecutionArgs;
  return { document: args[1], variableValues: args[4] };
}

/**
 * Adds an operation's variables (`graphql.variables.<name>`) and the literal arguments written in
 * its document (`graphql.args.<field>.<argument>`) to the current request's inputs, so that the
 * sinks that resolvers call see them by name.
 */
function recordOperationInputs(args: readonly unknown[]): void {
  const context = currentContext();
  if (context === undefined) return;

  const { document, variableValues } = executionArgsOf(args);
  // Operations sent with GET carry the query and variables in the URL.
  const source = context.req.method === "GET" ? "query" : "body";
  if (typeof variableValues === "object" && variableValues !== null)
    context.addInput(source, "graphql.variables", variableValues);

  const literals = literalArguments(document);
  if (literals !== undefined) context.addInput(source, "graphql.args", literals);
}

function wrapExecute(original: Execute): Execute {
  return function execute(this: unknown, ...args: unknown[]) {
    failOpen("source.graphql", undefined, () => recordOperationInputs(args));
    return original.apply(this, args);
  };
}

/**
 * graphql's index exports `execute` through getters that read the execution module's exports on
 * each call, so patching that module's exports reaches `graphql()`, Apollo Server and direct
 * callers alike. `executeSync` calls the module's own `execute` and is wrapped separately.
 */
function patchExecutionModule(baseDir: string): void {
  const load = createRequire(path.join(baseDir, "package.json"));
  const executeModule = load("./execution/execute.js") as Record<string, unknown>;
  wrapMethod(executeModule, "execute", wrapExecute);
  wrapMethod(executeModule, "executeSync", wrapExecute);
}

/**
 * graphql-js (15 and 16, and so Apollo Server, GraphQL Yoga and express-graphql on top): the
 * variables and inline arguments of each executed operation become inputs of the request.
 * graphql 16 has no `exports` map, so Node.js loads its CommonJS files for `import` too; only
 * bundles built from its `.mjs` files escape the patch.
 */
export const graphqlInstrumentation: ModuleInstrumentation = {
  name: "graphql",
  majorVersions: [15, 16],
  patch(_moduleExports, _version, baseDir) {
    patchExecutionModule(baseDir);
    return undefined;
  },
};
