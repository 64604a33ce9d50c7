// The agent's exports for the bundled build: scripts/bundle.mjs compiles this module and every
// module it loads into dist/rampart.js. `rampart/register` for ES modules takes the import hook
// functions from it, so they share the agent state of `rampart`.
export * from "./index";
export { registerEsmHooks, reportEsmHooks } from "./instrument/esm-hooks";
