// Entry of `rampart/lambda`. Loading it starts the agent, so that the drivers a handler module
// requires after this line are hooked as they load. Patches of built-in modules that the function
// has not loaded wait for them (`deferUnloadedBuiltins`), which keeps them off the cold start.
import { protect } from "../index";
import { deferUnloadedBuiltins } from "../instrument/runtime-hooks";

export { wrap, type WrapOptions } from "./wrap";
export type { LambdaCallback, LambdaHandler } from "./run-handler";
export type { HttpResult } from "./blocked-result";

deferUnloadedBuiltins();
protect();
