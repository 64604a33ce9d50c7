import { attackTypes, type AttackType } from "../telemetry/security-event";
import type { FailMode, InspectionDocument } from "./document";

/** Default time budget of one detector call, in milliseconds. */
export const defaultBudgetMs = 5;

/** Default number of consecutive failed inspections (errors or overruns) that switch a detector off. */
export const defaultBreakerFailures = 10;

/** Default time a switched-off detector stays off, in seconds. */
export const defaultCoolDownSeconds = 30;

export interface DetectorLimits {
  /** Time budget of one detector call, in milliseconds. */
  readonly budgetMs: number;
  readonly failMode: FailMode;
}

/** The `inspection` section of a policy, compiled for the guard. */
export interface InspectionLimits {
  readonly byType: Readonly<Record<AttackType, DetectorLimits>>;
  /** Consecutive failures that switch a detector off; 0 never switches one off. */
  readonly breakerFailures: number;
  /** How long a switched-off detector stays off, in milliseconds. */
  readonly coolDownMs: number;
}

/** Compiles the `inspection` section; an absent section gives the defaults. */
export function compileInspectionLimits(
  document: InspectionDocument | undefined,
): InspectionLimits {
  const budgetMs = document?.budgetMs ?? defaultBudgetMs;
  const failMode = document?.failMode ?? "open";
  const byType = {} as Record<AttackType, DetectorLimits>;
  for (const type of attackTypes) {
    const own = document?.detectors?.[type];
    byType[type] = {
      budgetMs: own?.budgetMs ?? budgetMs,
      failMode: own?.failMode ?? failMode,
    };
  }
  return {
    byType,
    breakerFailures: document?.breaker?.failures ?? defaultBreakerFailures,
    coolDownMs: (document?.breaker?.coolDownSeconds ?? defaultCoolDownSeconds) * 1000,
  };
}

/** Limits in force when no policy file is loaded. */
export const defaultInspectionLimits: InspectionLimits = compileInspectionLimits(undefined);
