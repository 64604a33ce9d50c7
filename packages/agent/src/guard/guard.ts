import type { RequestContext } from "../context/request-context";
import { currentContext } from "../context/storage";
import type { Finding, UserInput } from "../detectors/types";
import { RampartBlockedError } from "../errors";
import { failOpen } from "../failsafe";
import { armBlockResponse, rememberBlockedContext } from "../response/block-response";
import { securityEventChannel } from "../telemetry/channels";
import { createSecurityEvent, type AttackType } from "../telemetry/security-event";
import { agentState } from "./agent-state";

/** One operation at a sink, as a sink reports it to the guard. */
export interface Inspection {
  readonly attackType: AttackType;
  /** `<package>.<method>`, such as `pg.query`. */
  readonly sink: string;
  /** The operation's text as the sink will run it (the SQL string). */
  readonly operation: string;
  /** Pure detector: returns a finding when an input changed the operation's structure. */
  readonly detect: (inputs: readonly UserInput[]) => Finding | undefined;
}

function report(
  inspection: Inspection,
  finding: Finding,
  context: RequestContext,
): RampartBlockedError | undefined {
  const mode = agentState()?.config.mode ?? "monitor";
  const event = createSecurityEvent({ ...inspection, finding }, context, mode);
  securityEventChannel.publish(event);
  if (mode !== "block") return undefined;

  const error = new RampartBlockedError({
    eventId: event.event_id,
    attackType: event.attack_type,
    sink: event.sink,
    inputPath: event.input.path,
  });
  rememberBlockedContext(error, context);
  armBlockResponse(context, event.event_id);
  return error;
}

function inspectInContext(inspection: Inspection): RampartBlockedError | undefined {
  const context = currentContext();
  if (context === undefined) return undefined;

  const inputs = context.inputs();
  if (inputs.length === 0) return undefined;

  const finding = inspection.detect(inputs);
  if (finding === undefined) return undefined;
  return report(inspection, finding, context);
}

/**
 * Judges one sink operation against the current request's inputs. Returns the error to deliver
 * when the operation must not run (block mode), else undefined. Outside a request, with the agent
 * off, or when the agent itself fails, the operation runs.
 */
export function inspect(inspection: Inspection): RampartBlockedError | undefined {
  const mode = agentState()?.config.mode;
  if (mode === undefined || mode === "off") return undefined;

  return failOpen(`inspect.${inspection.sink}`, undefined, () => inspectInContext(inspection));
}
