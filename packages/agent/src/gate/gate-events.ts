import { modeFor } from "../config";
import type { RequestContext } from "../context/request-context";
import type { UserInput } from "../detectors/types";
import { failOpen } from "../failsafe";
import { agentState } from "../guard/agent-state";
import { securityEventChannel } from "../telemetry/channels";
import { countDetection } from "../telemetry/metrics";
import {
  createSecurityEvent,
  type AttackType,
  type SecurityEvent,
} from "../telemetry/security-event";

/** Gate decisions that can appear as events. */
export type GateAttackType = Extract<
  AttackType,
  "blocked_ip" | "blocked_user" | "scanner" | "rate_limited" | "login_throttled" | "attack_wave"
>;

/** One gate decision, as the rule that made it describes it. */
export interface GateDecision {
  readonly attackType: GateAttackType;
  /** `gate.<rule>`, such as `gate.ip_deny`; the `sink` field of the event. */
  readonly sink: string;
  /** The rule as written in the policy (`deny 10.0.0.0/8`, `POST /login 5/60s by ip`). */
  readonly operation: string;
  readonly reason: string;
  readonly input?: UserInput;
}

/**
 * True when gate decisions of this type stop requests. They follow the agent's mode like the
 * detectors: `block` enforces, `monitor` only reports, `off` skips the gate.
 */
export function isEnforcing(attackType: GateAttackType): boolean {
  const state = agentState();
  return state !== undefined && modeFor(state.config, attackType) === "block";
}

export function isGateActive(attackType: GateAttackType): boolean {
  const state = agentState();
  return state !== undefined && modeFor(state.config, attackType) !== "off";
}

/** Publishes the event of a gate decision; returns its id, or undefined when the agent is not running. */
export function publishGateEvent(
  decision: GateDecision,
  context: RequestContext | undefined,
  enforced: boolean,
): SecurityEvent | undefined {
  return failOpen("gate.event", undefined, () => {
    const state = agentState();
    if (state === undefined) return undefined;

    const action = enforced ? "blocked" : "monitored";
    countDetection(decision.attackType, action);
    const finding = { input: decision.input, offset: 0, reason: decision.reason };
    const event = createSecurityEvent({ ...decision, finding }, context, state.config.mode, action);
    securityEventChannel.publish(event);
    return event;
  });
}
