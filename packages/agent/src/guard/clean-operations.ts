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

/**
 * Maximum number of remembered texts per attack type. A full table is emptied, so a flood of texts
 * costs no memory.
 */
export const maxCleanOperations = 2_048;
/** Maximum length of a remembered text, in characters; longer operations are judged every time. */
export const maxCleanOperationLength = 2_048;

/**
 * Texts judged clean for one attack type, by scope (the SQL dialect; "" for the other sinks). The
 * scope is a separate key so that a lookup hashes the text itself: a query string that the app
 * passes again has its hash cached, where a joined key would be built and hashed on every call.
 */
interface CleanTexts {
  count: number;
  readonly byScope: Map<string, Set<string>>;
}

let rememberedFor: AgentState | undefined;
const remembered = new Map<AttackType, CleanTexts>();

/** Returns the texts of `attackType` under the running state; a policy reload starts empty tables. */
function cleanTexts(attackType: AttackType): CleanTexts | undefined {
  const state = agentState();
  if (state === undefined) return undefined;
  if (state !== rememberedFor) {
    remembered.clear();
    rememberedFor = state;
  }

  let texts = remembered.get(attackType);
  if (texts === undefined) {
    texts = { count: 0, byScope: new Map() };
    remembered.set(attackType, texts);
  }
  return texts;
}

/** True when `text` was judged clean for `attackType` in `scope` under the running policy. */
export function isKnownClean(attackType: AttackType, scope: string, text: string): boolean {
  return cleanTexts(attackType)?.byScope.get(scope)?.has(text) ?? false;
}

/** Records that the detector judged `text` clean in `scope` with a request's inputs. */
export function rememberClean(attackType: AttackType, scope: string, text: string): void {
  if (text.length > maxCleanOperationLength) return;
  const texts = cleanTexts(attackType);
  if (texts === undefined) return;

  if (texts.count >= maxCleanOperations) {
    texts.byScope.clear();
    texts.count = 0;
  }
  let set = texts.byScope.get(scope);
  if (set === undefined) {
    set = new Set();
    texts.byScope.set(scope, set);
  }
  if (set.has(text)) return;
  set.add(text);
  texts.count++;
}
