import type { AgentConfig } from "../config";

/** Settings that hooks read on every call; replaced as a whole when the configuration changes. */
export interface AgentState {
  config: AgentConfig;
}

const stateKey = Symbol.for("rampart.agentState");

type GlobalWithState = typeof globalThis & { [stateKey]?: AgentState };

/** Returns the running agent's state, or undefined before `protect()` ran. */
export function agentState(): AgentState | undefined {
  return (globalThis as GlobalWithState)[stateKey];
}

export function setAgentState(state: AgentState): void {
  (globalThis as GlobalWithState)[stateKey] = state;
}
