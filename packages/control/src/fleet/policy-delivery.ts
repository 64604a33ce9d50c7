import { setTimeout as sleep } from "node:timers/promises";

import type { Database } from "../store/database";
import { deliveredVersion } from "../policies/policy-store";
import { assignedPolicy } from "../policies/rollout-store";
import type { AgentRow } from "./agent-store";

/** Policy that an agent must run: a stored policy, or `null` for its own local settings. */
export interface Delivery {
  readonly version: string | null;
  readonly content: string | null;
  readonly etag: string;
}

/** Maximum wait of a policy request for a change, in seconds. Agents request again right after. */
export const maxWaitSeconds = 30;
/**
 * How often a waiting request looks for a change, in milliseconds. Replicas share nothing but the
 * database, so each one polls it; this bounds the sync lag that the control plane adds.
 */
export const pollIntervalMs = 250;

export async function currentDelivery(db: Database, agent: AgentRow): Promise<Delivery> {
  const policy = await assignedPolicy(db, agent);
  if (policy === undefined) return { version: null, content: null, etag: '"local"' };

  const version = deliveredVersion(policy);
  return {
    version,
    content: policy.content,
    etag: `"${policy.content_hash.slice(0, 16)}:${version}"`,
  };
}

/**
 * Long polling: returns the delivery as soon as it differs from `knownEtag`, or undefined when it
 * did not change within `waitSeconds` or the client went away (`signal`).
 */
export async function waitForDelivery(
  db: Database,
  agent: AgentRow,
  knownEtag: string | undefined,
  waitSeconds: number,
  signal: AbortSignal,
): Promise<Delivery | undefined> {
  const deadline = Date.now() + Math.min(Math.max(waitSeconds, 0), maxWaitSeconds) * 1000;
  for (;;) {
    const delivery = await currentDelivery(db, agent);
    if (delivery.etag !== knownEtag) return delivery;
    if (Date.now() >= deadline || signal.aborted) return undefined;

    try {
      await sleep(Math.min(pollIntervalMs, Math.max(deadline - Date.now(), 0)), undefined, {
        signal,
      });
    } catch {
      return undefined;
    }
  }
}
