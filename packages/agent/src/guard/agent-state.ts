import type { AgentConfig } from "../config";
import type { PolicyDecisions } from "../policy/compiled";

/**
 * Settings that hooks read on every call. A policy reload replaces the object as a whole, so a
 * hook that reads the state once works with one consistent policy.
 */
export interface AgentState {
  readonly config: AgentConfig;
  /** Allow rules, sampling, canary, block response and proxies; absent means none of them. */
  readonly policy?: PolicyDecisions;
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
