// Loaded by `node --import rampart/register app.mjs`. It registers import-in-the-middle's hooks for
// the supported packages only, then starts the agent, before any module of the app is loaded. The
// hooks run in the app's thread through module.registerHooks where Node.js supports it (22.22.3,
// 24.11.1 and later), else on Node's loader thread through module.register.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
// The agent bundle that dist/index.js re-exports, so both share one agent. load-bundle.js loads it
// with its V8 code cache.
const agent = require("../dist/load-bundle.js").bundle;

agent.registerEsmHooks(agent.instrumentedModuleNames);
agent.protect();
agent.reportEsmHooks();
