import { detectCodeInjection } from "../detectors/code";
import type { RampartBlockedError } from "../errors";
import { inspect, isInspecting } from "../guard/guard";

/** True while the agent judges code, so that code generation by the agent's own path is not judged again. */
let judging = false;

/**
 * Judges JavaScript source text that a sink is about to compile. Returns the error to throw when
 * the code must not be compiled, else undefined.
 */
export function inspectCode(sink: string, code: string): RampartBlockedError | undefined {
  if (judging || !isInspecting("code_injection")) return undefined;

  judging = true;
  try {
    return inspect({
      attackType: "code_injection",
      sink,
      operation: code,
      detect: (inputs) => detectCodeInjection(code, inputs),
      cleanKey: code,
    });
  } finally {
    judging = false;
  }
}
