import type { AttackType } from "../telemetry/security-event";
import { agentState, type AgentState } from "./agent-state";

/**
 * Operations that the detector judged clean: SQL texts, shell command lines, code compiled at run
 * time and node-serialize text, each judged by its text alone against the request's inputs. The
 * same text in a later request skips the collection of that request's inputs and the detection.
 * Most queries of an app are the same few parameterized texts, and judging them again cost more
 * than the rest of the agent's work on a request.
 *
 * The same text has the same structure whatever the request. A text judged clean contains no part
 * that the inputs of its request changed, so an injection can only match it by producing exactly
 * a query that the app builds by itself from other inputs.
 * Attack types under fail mode closed skip this cache (guard.ts), so that a detector switched off
 * still blocks every operation.
 * NOTE: such an injection (the same text as one of the app's own queries) is not reported.
 */

/** Maximum number of remembered texts. A full set is emptied, so a flood of texts costs no memory. */
export const maxCleanOperations = 2_048;
/** Maximum length of a remembered text, in characters; longer operations are judged every time. */
export const maxCleanOperationLength = 2_048;

let rememberedFor: AgentState | undefined;
const remembered = new Map<AttackType, Set<string>>();

/** Returns the set of `attackType` under the running state; a policy reload starts empty sets. */
function cleanSet(attackType: AttackType): Set<string> | undefined {
  const state = agentState();
  if (state === undefined) return undefined;
  if (state !== rememberedFor) {
    remembered.clear();
    rememberedFor = state;
  }

  let set = remembered.get(attackType);
  if (set === undefined) {
    set = new Set();
    remembered.set(attackType, set);
  }
  return set;
}

/** True when `key` was judged clean for `attackType` under the running policy. */
export function isKnownClean(attackType: AttackType, key: string): boolean {
  return cleanSet(attackType)?.has(key) ?? false;
}

/** Records that the detector judged `key` clean with a request's inputs. */
export function rememberClean(attackType: AttackType, key: string): void {
  if (key.length > maxCleanOperationLength) return;
  const set = cleanSet(attackType);
  if (set === undefined) return;
  if (set.size >= maxCleanOperations) set.clear();
  set.add(key);
}
