// Entry of `rampart/lambda`. Loading it starts the agent, so that the drivers a handler module
// requires after this line are hooked as they load.
import { protect } from "../index";

export { wrap, type WrapOptions } from "./wrap";
export type { LambdaCallback, LambdaHandler } from "./run-handler";
export type { HttpResult } from "./blocked-result";

protect();
