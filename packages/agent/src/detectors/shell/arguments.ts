import { isRouteWord } from "./detect";
import type { Finding, UserInput } from "../types";

/** Values such as `-5` or `-0.25`: a number, which programs take as a value far more often than as an option. */
const negativeNumber = /^-\d+(\.\d+)?$/;

/**
 * Returns a finding when a user input starts an argument that begins with `-` in a program's argument
 * list, so the program reads it as an option (`--output=/etc/x`, `--upload-pack=...`). Arguments after a
 * `--` end-of-options marker are operands and are not judged, and neither are negative numbers.
 * `offsets[i]` is the offset of `args[i]` in the operation text that events show.
 *
 * NOTE: a program that takes a negative number as an option (`head -5`) is not protected against it.
 */
export function detectArgumentInjection(
  args: readonly string[],
  offsets: readonly number[],
  inputs: readonly UserInput[],
): Finding | undefined {
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] as string;
    if (arg === "--") return undefined;
    if (!arg.startsWith("-") || arg.length < 2 || negativeNumber.test(arg)) continue;

    const input = inputs.find((candidate) => startsOption(arg, candidate.value));
    if (input !== undefined)
      return { input, offset: offsets[index] ?? 0, reason: "option-from-input" };
  }
  return undefined;
}

function startsOption(arg: string, value: string): boolean {
  return value.length >= 2 && value.startsWith("-") && arg.startsWith(value);
}

/**
 * Returns a finding when a user input chooses the program that spawn or execFile runs: the whole file
 * name, or a part of its path containing a separator (`../../bin/sh`).
 */
export function detectProgramFromInput(
  file: string,
  inputs: readonly UserInput[],
): Finding | undefined {
  for (const input of inputs) {
    const value = input.value;
    if (value.length < 2) continue;

    if (file === value) {
      if (isRouteWord(input)) continue;
      return { input, offset: 0, reason: "program-from-input" };
    }

    const hasSeparator = value.includes("/") || value.includes("\\");
    const offset = hasSeparator ? file.indexOf(value) : -1;
    if (offset >= 0) return { input, offset, reason: "program-from-input" };
  }
  return undefined;
}
