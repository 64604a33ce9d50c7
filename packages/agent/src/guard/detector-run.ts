import type { Finding, UserInput } from "../detectors/types";
import { reportInternalError, warnOnce } from "../failsafe";
import type { InspectionLimits } from "../policy/inspection-limits";
import type { InspectionFailure } from "../telemetry/metrics";
import type { AttackType } from "../telemetry/security-event";
import { isDetectorOff, recordDetectorFailure, recordDetectorSuccess } from "./breaker";

/** Result of one detector call: a finding, a failure, or both (a finding returned late). */
export interface DetectorVerdict {
  readonly finding: Finding | undefined;
  readonly failure: InspectionFailure | undefined;
}

const clean: DetectorVerdict = { finding: undefined, failure: undefined };
const switchedOff: DetectorVerdict = { finding: undefined, failure: "detector_off" };
const threw: DetectorVerdict = { finding: undefined, failure: "error" };

/** The operation as the detector judges it, with what the guard needs to name it in diagnostics. */
export interface DetectorCall {
  readonly attackType: AttackType;
  readonly sink: string;
  readonly detect: (inputs: readonly UserInput[]) => Finding | undefined;
}

/**
 * Calls a detector under its time budget and breaker. Detectors are synchronous, so the budget
 * cannot interrupt one: the call runs to its end, its duration is compared with the budget
 * afterwards. Under fail mode closed an overrun counts as a failure towards the breaker, which
 * stops a slow detector by not calling it during the cool-down. Under open it is only reported.
 */
export function runDetector(
  call: DetectorCall,
  inputs: readonly UserInput[],
  limits: InspectionLimits,
): DetectorVerdict {
  const attackType = call.attackType;
  if (isDetectorOff(attackType, limits)) return switchedOff;

  const budgetMs = limits.byType[attackType].budgetMs;
  const started = performance.now();
  let finding: Finding | undefined;
  try {
    finding = call.detect(inputs);
  } catch (error) {
    const failMode = limits.byType[attackType].failMode;
    const outcome =
      failMode === "open"
        ? "the operation proceeded without protection"
        : "the operation was decided by fail mode closed";
    reportInternalError(`detector.${call.sink}`, error, outcome);
    recordDetectorFailure(attackType, "error", limits);
    return threw;
  }
  const elapsedMs = performance.now() - started;

  if (elapsedMs <= budgetMs) {
    recordDetectorSuccess(attackType);
    return finding === undefined ? clean : { finding, failure: undefined };
  }

  // Only names and durations: the operation and the inputs may carry the attacker's payload.
  warnOnce(
    `budget.${call.sink}`,
    {
      attack_type: attackType,
      sink: call.sink,
      elapsed_ms: Math.round(elapsedMs * 1000) / 1000,
      budget_ms: budgetMs,
    },
    "inspection exceeded its time budget; later overruns at this sink are only counted (rampart_inspection_failures_total)",
  );
  // Under fail mode open an overrun does not count towards the breaker: a client can make clean
  // inspections slow by padding a request, and must not be able to switch a detector off for
  // everyone that way. Under closed, a detector switched off refuses operations instead.
  if (limits.byType[attackType].failMode === "closed")
    recordDetectorFailure(attackType, "over_budget", limits);
  return { finding, failure: "over_budget" };
}
