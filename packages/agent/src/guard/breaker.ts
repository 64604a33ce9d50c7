import { log } from "../log";
import type { InspectionLimits } from "../policy/inspection-limits";
import { clearDetectorOff, countBreakerTrip, type InspectionFailure } from "../telemetry/metrics";
import { attackTypes, type AttackType } from "../telemetry/security-event";

/**
 * Circuit breaker per detector (attack type). A detector whose inspections fail
 * `breakerFailures` times in a row (it throws, or it runs past its time budget) is switched off
 * for the cool-down: its operations are then decided by the fail mode without calling it. After
 * the cool-down it is called again. One more failure switches it off again at once, and one
 * success resets the count.
 */

const typeIndex = new Map<AttackType, number>(attackTypes.map((type, index) => [type, index]));

const consecutiveFailures = new Uint32Array(attackTypes.length);

/** `performance.now()` time until which each detector is off; 0 when it is on. */
const offUntil = new Float64Array(attackTypes.length);

function indexOf(attackType: AttackType): number {
  return typeIndex.get(attackType) ?? 0;
}

/** True while the breaker keeps this detector switched off. Ends the cool-down when its time is up. */
export function isDetectorOff(attackType: AttackType, limits: InspectionLimits): boolean {
  const index = indexOf(attackType);
  const until = offUntil[index]!;
  if (until === 0) return false;
  if (performance.now() < until) return true;

  offUntil[index] = 0;
  // On probation: the next failure trips the breaker again without waiting for a new series.
  consecutiveFailures[index] = Math.max(limits.breakerFailures - 1, 0);
  log.info({ attack_type: attackType }, "detector back on after its cool-down");
  return false;
}

/** Records a failed inspection; returns true when this failure switched the detector off. */
export function recordDetectorFailure(
  attackType: AttackType,
  failure: InspectionFailure,
  limits: InspectionLimits,
): boolean {
  const threshold = limits.breakerFailures;
  if (threshold === 0) return false;

  const index = indexOf(attackType);
  const failures = consecutiveFailures[index]! + 1;
  consecutiveFailures[index] = failures;
  if (failures < threshold) return false;

  consecutiveFailures[index] = 0;
  const until = performance.now() + limits.coolDownMs;
  offUntil[index] = until;
  countBreakerTrip(attackType, until);
  log.warn(
    {
      attack_type: attackType,
      failures: threshold,
      last_failure: failure,
      cool_down_seconds: limits.coolDownMs / 1000,
    },
    "detector switched off after consecutive failed inspections; its operations follow the fail mode until the cool-down ends (see rampart_detector_off)",
  );
  return true;
}

/** Records an inspection that ended in time, which resets the detector's failure count. */
export function recordDetectorSuccess(attackType: AttackType): void {
  const index = indexOf(attackType);
  if (consecutiveFailures[index] !== 0) consecutiveFailures[index] = 0;
}

/** Puts every detector back on and clears the counts (tests, and an agent that restarts). */
export function resetBreakers(): void {
  consecutiveFailures.fill(0);
  offUntil.fill(0);
  for (const type of attackTypes) clearDetectorOff(type);
}
