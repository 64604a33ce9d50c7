/**
 * Folder of the agent's own code: `dist` in the built package, whether its modules are one file
 * each or the single bundle `dist/rampart.js`, and `src` when the source runs through tsx. This
 * file sits at the top of that folder in every layout, so a stack frame or a loaded file under it
 * belongs to the agent.
 */
export const agentCodeDir = __dirname;
