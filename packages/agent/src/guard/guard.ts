import { modeFor } from "../config";
import type { RequestContext } from "../context/request-context";
import { currentContext } from "../context/storage";
import type { Finding, UserInput } from "../detectors/types";
import { RampartBlockedError } from "../errors";
import { reportInternalError } from "../failsafe";
import { takeSnapshot } from "../forensics";
import { decide, isSampledIn, type Decision } from "../policy/decision";
import { defaultInspectionLimits } from "../policy/inspection-limits";
import { armBlockResponse, rememberBlockedContext } from "../response/block-response";
import { securityEventChannel } from "../telemetry/channels";
import {
  countDeduplicatedEvent,
  countDetection,
  countInspection,
  countInspectionFailure,
  type InspectionFailure,
} from "../telemetry/metrics";
import { createSecurityEvent, type AttackType } from "../telemetry/security-event";
import { isKnownClean, rememberClean } from "./clean-operations";
import { agentState, type AgentState } from "./agent-state";
import { runDetector } from "./detector-run";

/** One operation at a sink, as a sink reports it to the guard. */
export interface Inspection {
  readonly attackType: AttackType;
  /** `<package>.<method>`, such as `pg.query`. */
  readonly sink: string;
  /** The operation as the sink will run it (SQL text, command line, path, URL), for the event. */
  readonly operation: string;
  /** Pure detector: returns a finding when an input changed the operation's structure. */
  readonly detect: (inputs: readonly UserInput[]) => Finding | undefined;
  /**
   * Run `detect` even outside a request or when the request has no inputs, for operations refused
   * whatever their origin (a connection to a cloud-metadata address). Default false.
   */
  readonly withoutInputs?: boolean;
  /**
   * Identifies the operation for the cache of operations judged clean (the SQL text, a command
   * line), for sinks whose detector judges the text alone against the inputs. Absent: judged every
   * time.
   */
  readonly cleanKey?: string;
  /** The setting that the verdict on `cleanKey` also depends on (the SQL dialect). Default "". */
  readonly cleanScope?: string;
}

/** Applies the detector's mode and, when a policy is loaded, its allow rules and canary share. */
function actionFor(
  state: AgentState,
  attackType: AttackType,
  finding: Finding,
  context: RequestContext | undefined,
): Decision {
  if (state.policy === undefined)
    return modeFor(state.config, attackType) === "block" ? "blocked" : "monitored";
  return decide(state.config, state.policy, attackType, finding.input?.path, context);
}

/** Event reasons of operations decided by fail mode closed, per failure. */
const failClosedReasons: Record<InspectionFailure, string> = {
  error: "detector-error",
  over_budget: "inspection-over-budget",
  detector_off: "detector-off",
};

/**
 * Reports a finding under the policy and returns the error to deliver when the operation is
 * blocked. `failure` is set when the detector failed (the finding came late, or fail mode closed
 * made it up), and `failClosed` keeps a made-up finding out of the detection counter.
 */
function report(
  inspection: Inspection,
  finding: Finding,
  context: RequestContext | undefined,
  failure?: InspectionFailure,
  failClosed = false,
): RampartBlockedError | undefined {
  const state = agentState();
  if (state === undefined) return undefined;

  const action = actionFor(state, inspection.attackType, finding, context);
  if (failure !== undefined) countInspectionFailure(inspection.attackType, failure, action);
  // An allowed finding is neither reported nor counted, because the allow rule marks it as expected.
  if (action === "allowed") return undefined;

  if (context !== undefined) context.flagged = true;
  if (!failClosed) countDetection(inspection.attackType, action);

  // The same finding again in one request (a loop over the same query, a driver retry) refers to
  // the first event: building, redacting and exporting an event costs tens of microseconds, which
  // an attacker could otherwise multiply per request.
  const repeatKey = `${inspection.attackType}\u0000${inspection.sink}\u0000${finding.input?.path ?? ""}\u0000${action}`;
  let eventId = context?.reportedFindings?.get(repeatKey);
  if (eventId === undefined) {
    const event = createSecurityEvent(
      { ...inspection, finding },
      context,
      state.config.mode,
      action,
    );
    securityEventChannel.publish(event);
    takeSnapshot(event, context);
    eventId = event.event_id;
    if (context !== undefined) (context.reportedFindings ??= new Map()).set(repeatKey, eventId);
  } else {
    countDeduplicatedEvent();
  }
  if (action !== "blocked") return undefined;

  const error = new RampartBlockedError({
    eventId,
    attackType: inspection.attackType,
    sink: inspection.sink,
    inputPath: finding.input?.path ?? "(none)",
  });
  if (context !== undefined) {
    rememberBlockedContext(error, context);
    armBlockResponse(context, eventId);
  }
  return error;
}

function inspectInContext(inspection: Inspection): RampartBlockedError | undefined {
  const context = currentContext();
  if (context === undefined && inspection.withoutInputs !== true) return undefined;

  // Under fail mode closed every operation goes through the detector, so that one switched off or
  // failing blocks even the texts it judged clean before.
  const limits = agentState()?.policy?.inspection ?? defaultInspectionLimits;
  const cleanKey =
    limits.byType[inspection.attackType].failMode === "open" ? inspection.cleanKey : undefined;
  const cleanScope = inspection.cleanScope ?? "";
  if (cleanKey !== undefined && isKnownClean(inspection.attackType, cleanScope, cleanKey))
    return undefined;

  const inputs = context === undefined ? [] : context.inputs();
  if (inputs.length === 0 && inspection.withoutInputs !== true) return undefined;

  const sampling = agentState()?.policy?.sampling;
  if (sampling !== undefined && !isSampledIn(sampling, inspection.attackType, context))
    return undefined;

  const { finding, failure } = runDetector(inspection, inputs, limits);
  // A finding returned after the budget ran out is still acted on; the overrun is counted with it.
  if (finding !== undefined) return report(inspection, finding, context, failure);
  if (failure === undefined) {
    if (cleanKey !== undefined) rememberClean(inspection.attackType, cleanScope, cleanKey);
    return undefined;
  }

  if (limits.byType[inspection.attackType].failMode === "open") {
    countInspectionFailure(inspection.attackType, failure, "allowed");
    return undefined;
  }
  const reason = failClosedReasons[failure];
  return report(inspection, { input: undefined, offset: 0, reason }, context, failure, true);
}

/** True when operations of this attack type are inspected at all; sinks skip their own work when not. */
export function isInspecting(attackType: AttackType): boolean {
  const state = agentState();
  return state !== undefined && modeFor(state.config, attackType) !== "off";
}

/**
 * Judges one sink operation against the current request's inputs. Returns the error to deliver
 * when the operation must not run (block mode), else undefined. Outside a request (unless the
 * inspection runs without inputs), with the agent off, or when the agent itself fails, the
 * operation runs.
 */
export function inspect(inspection: Inspection): RampartBlockedError | undefined {
  if (!isInspecting(inspection.attackType)) return undefined;

  const started = performance.now();
  let result: RampartBlockedError | undefined;
  try {
    result = inspectInContext(inspection);
  } catch (error) {
    // As failOpen does, without building the kind string and a closure on every inspection.
    reportInternalError(`inspect.${inspection.sink}`, error);
  }
  countInspection(inspection.attackType, inspection.sink, performance.now() - started);
  return result;
}
