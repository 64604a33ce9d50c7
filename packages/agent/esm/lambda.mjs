// ES module entry of `rampart/lambda`. It re-exports the CommonJS build, so that a handler
// written as an ES module shares one agent with the drivers it loads through `require`.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const lambda = require("../dist/serverless/index.js");

export const { wrap } = lambda;
export default lambda;
