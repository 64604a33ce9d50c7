// Loaded by `node --import rampart/register app.mjs`. It registers import-in-the-middle's loader
// for the supported packages only, then starts the agent, before any module of the app is loaded.
import { createRequire, register } from "node:module";

const require = createRequire(import.meta.url);
const agent = require("../dist/index.js");

register("import-in-the-middle/hook.mjs", import.meta.url, {
  data: { include: [...agent.instrumentedModuleNames] },
});

agent.protect();
