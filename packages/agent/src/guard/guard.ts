import { modeFor } from "../config";
import type { RequestContext } from "../context/request-context";
import { currentContext } from "../context/storage";
import type { Finding, UserInput } from "../detectors/types";
import { RampartBlockedError } from "../errors";
import { failOpen } from "../failsafe";
import { takeSnapshot } from "../forensics";
import { armBlockResponse, rememberBlockedContext } from "../response/block-response";
import { securityEventChannel } from "../telemetry/channels";
import { countDetection, countInspection } from "../telemetry/metrics";
import { createSecurityEvent, type AttackType } from "../telemetry/security-event";
import { agentState } from "./agent-state";

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
}

function report(
  inspection: Inspection,
  finding: Finding,
  context: RequestContext | undefined,
): RampartBlockedError | undefined {
  const state = agentState();
  if (state === undefined) return undefined;

  const action = modeFor(state.config, inspection.attackType) === "block" ? "blocked" : "monitored";
  countDetection(inspection.attackType, action);
  const event = createSecurityEvent({ ...inspection, finding }, context, state.config.mode, action);
  securityEventChannel.publish(event);
  takeSnapshot(event, context);
  if (action !== "blocked") return undefined;

  const error = new RampartBlockedError({
    eventId: event.event_id,
    attackType: event.attack_type,
    sink: event.sink,
    inputPath: event.input?.path ?? "(none)",
  });
  if (context !== undefined) {
    rememberBlockedContext(error, context);
    armBlockResponse(context, event.event_id);
  }
  return error;
}

function inspectInContext(inspection: Inspection): RampartBlockedError | undefined {
  const context = currentContext();
  const inputs = context === undefined ? [] : context.inputs();
  if (inputs.length === 0 && inspection.withoutInputs !== true) return undefined;

  const finding = inspection.detect(inputs);
  if (finding === undefined) return undefined;
  return report(inspection, finding, context);
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
  const result = failOpen(`inspect.${inspection.sink}`, undefined, () =>
    inspectInContext(inspection),
  );
  countInspection(inspection.attackType, inspection.sink, performance.now() - started);
  return result;
}
