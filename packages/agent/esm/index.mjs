// ES module entry of `rampart`. It re-exports the CommonJS build, so an app that mixes `import`
// and `require` shares one agent and one RampartBlockedError class.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const agent = require("../dist/index.js");

export const {
  protect,
  RampartBlockedError,
  checkPolicyText,
  RampartError,
  errorCodes,
  instrumentedModuleNames,
  setUser,
  version,
} = agent;
export default agent;
