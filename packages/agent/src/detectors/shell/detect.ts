import { visitOccurrences } from "../sql/occurrences";
import type { Finding, UserInput } from "../types";
import type { ShellLexResult } from "./tokens";
import { ShellOccurrenceJudge } from "./judge";
import { tokenizeShell } from "./lexer";
import { nestedShellScripts } from "./nested-script";

/** Levels of `sh -c` inside `sh -c` that are followed; deeper scripts are not judged. */
const maxNestedShells = 2;

/**
 * Single characters that are judged at all. Any other lone character cannot add a command, and an app's
 * own `;`, `|` or `&` would match it in almost every command line.
 */
const judgedSingleCharacters = new Set(["'", '"', "`", "\\"]);

/**
 * Returns the first occurrence of a user input that changes the structure of the shell command line
 * `command`, or undefined.
 *
 * Every occurrence of every input is judged. One is safe when it adds only literal text to one word:
 * - inside single quotes, anything but a quote;
 * - inside double quotes, anything but `"`, `$`, a backquote or a backslash that escapes the app's text;
 * - unquoted, a plain word without blanks, operators, quotes, expansions or glob characters;
 * - quotes of its own whose partners it contains too (`"a b"` passed unquoted stays one word).
 * An input that covers the program name of a simple command is reported even when it is one plain word.
 * A script that the line passes to another shell (`bash -c "ls $dir"`) is judged again after quote removal.
 *
 * The command is tokenized at most once, and only when some input occurs in it. Each nested script is
 * tokenized once more. Empty inputs are skipped, and single characters are judged only for quotes,
 * backquotes and backslashes left open.
 *
 * NOTE: an input that the app escaped or transformed does not occur in the command and is judged safe.
 */
export function detectShellInjection(
  command: string,
  inputs: Iterable<UserInput>,
  depth = 0,
): Finding | undefined {
  let judge: ShellOccurrenceJudge | undefined;
  let lexed: ShellLexResult | undefined;

  for (const input of inputs) {
    const value = input.value;
    if (!isJudgedValue(value)) continue;

    const firstOffset = command.indexOf(value);
    if (firstOffset < 0) continue;

    lexed ??= tokenizeShell(command);
    judge ??= new ShellOccurrenceJudge(command, lexed);
    const finding = findChangingOccurrence(judge, command, input, firstOffset);
    if (finding !== undefined) return finding;
  }

  if (lexed === undefined || depth >= maxNestedShells) return undefined;
  return detectInNestedScripts(command, lexed, inputs, depth);
}

/**
 * Judges the scripts that the line hands to another shell (`bash -c "ls $dir"`), where quoting starts
 * over. An input with backslashes reaches the script as the outer shell unescaped it, so those forms are
 * searched too and reported under the original input.
 */
function detectInNestedScripts(
  command: string,
  lexed: ShellLexResult,
  inputs: Iterable<UserInput>,
  depth: number,
): Finding | undefined {
  const scripts = nestedShellScripts(command, lexed);
  if (scripts.length === 0) return undefined;

  const originals = new Map<UserInput, UserInput>();
  for (const input of inputs) {
    originals.set(input, input);
    for (const value of unescapedForms(input.value)) originals.set({ ...input, value }, input);
  }

  for (const nested of scripts) {
    const finding = detectShellInjection(nested.script, [...originals.keys()], depth + 1);
    if (finding?.input !== undefined) {
      return { ...finding, input: originals.get(finding.input), offset: nested.offset };
    }
  }
  return undefined;
}

/** Returns the forms that a value with backslashes takes after an outer shell's quote removal. */
function unescapedForms(value: string): string[] {
  if (!value.includes("\\")) return [];

  const unquoted = value.replace(/\\([\s\S])/g, "$1");
  const doubleQuoted = value.replace(/\\([$`"\\\n])/g, "$1");
  return [unquoted, doubleQuoted].filter((form) => form !== value);
}

function isJudgedValue(value: string): boolean {
  if (value.length === 0) return false;
  if (value.length === 1) return judgedSingleCharacters.has(value);
  return true;
}

function findChangingOccurrence(
  judge: ShellOccurrenceJudge,
  command: string,
  input: UserInput,
  firstOffset: number,
): Finding | undefined {
  const length = input.value.length;
  let finding: Finding | undefined;

  visitOccurrences(command, input.value, firstOffset, (offset) => {
    const reason =
      length === 1 ? judge.judgeSingleCharacter(offset) : judge.judge(offset, offset + length);
    if (reason === "command-position" && isRouteWord(input)) return false;
    if (reason !== undefined) finding = { input, offset, reason };
    return finding !== undefined;
  });
  return finding;
}

/**
 * True for a raw URL path segment, which a framework did not match as a route parameter: such a
 * segment is the app's own route text (`/tools/grep` running `grep`), not a choice of the client.
 * A route parameter with the same value is listed as a `params` input and still judged.
 *
 * NOTE: a plain node:http app that takes the program from its own path parsing (`/run/<tool>`)
 * is therefore not reported when the segment is one plain word.
 */
export function isRouteWord(input: UserInput): boolean {
  return input.source === "path";
}
