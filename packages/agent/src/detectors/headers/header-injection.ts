import type { Finding, UserInput } from "../types";

/** Reason that a header counts as injected. */
export type HeaderFindingReason = "line-break-in-header-name" | "line-break-in-header-value";

/**
 * True for a code unit that ends a header line once written: CR or LF, or a character above U+00FF
 * whose low byte is CR or LF (U+560A). Node.js writes some header blocks with a one-byte encoding
 * that keeps only the low byte.
 */
function isLineBreak(code: number): boolean {
  const low = code & 0xff;
  return (low === 0x0a || low === 0x0d) && (code <= 0x0d || code > 0xff);
}

function firstLineBreak(text: string): number {
  for (let index = 0; index < text.length; index++) {
    if (isLineBreak(text.charCodeAt(index))) return index;
  }
  return -1;
}

/** Finds an input whose occurrence in `text` covers a line break. */
function inputCoveringLineBreak(
  text: string,
  inputs: readonly UserInput[],
): { input: UserInput; offset: number } | undefined {
  for (const input of inputs) {
    const { value } = input;
    if (value === "" || firstLineBreak(value) === -1) continue;

    const offset = text.indexOf(value);
    if (offset !== -1) return { input, offset };
  }
  return undefined;
}

/**
 * Judges one response header about to be written. Returns a finding when a user input puts a line
 * break (CR, LF, or a character whose low byte is one) into the header's name or value, which would
 * end the header and start another header or the body. Headers without a line break return at
 * once. Never throws.
 */
export function detectHeaderInjection(
  name: string,
  value: string,
  inputs: readonly UserInput[],
): Finding | undefined {
  if (firstLineBreak(name) !== -1) {
    const match = inputCoveringLineBreak(name, inputs);
    if (match !== undefined) return { ...match, reason: "line-break-in-header-name" };
  }
  if (firstLineBreak(value) !== -1) {
    const match = inputCoveringLineBreak(value, inputs);
    if (match !== undefined)
      return {
        ...match,
        offset: name.length + 2 + match.offset,
        reason: "line-break-in-header-value",
      };
  }
  return undefined;
}
