import { isShellProgram, shellScriptArgument } from "./invocation";
import type { ShellLexResult, ShellToken } from "./tokens";

/** A script that a command line hands to another shell, as in `bash -c "ls $dir"`. */
export interface NestedScript {
  /** The script after the outer shell's quote removal. Expansions are kept as written. */
  readonly script: string;
  /** Offset of the script's word in the outer command line. */
  readonly offset: number;
}

const separatorKinds = new Set(["operator", "newline", "comment"]);

/**
 * Returns the scripts that simple commands of the line pass to a shell with `-c` (or to `cmd /c`).
 * Each word is read as the outer shell delivers it: quotes removed, escapes resolved, and `$NAME` or
 * `$(...)` left as text because their values are unknown here.
 */
export function nestedShellScripts(command: string, lexed: ShellLexResult): NestedScript[] {
  const scripts: NestedScript[] = [];
  let words: number[] = [];

  const finishCommand = () => {
    const script = scriptOf(command, lexed, words);
    if (script !== undefined) scripts.push(script);
    words = [];
  };

  for (const token of lexed.tokens) {
    if (separatorKinds.has(token.kind)) finishCommand();
    else if (token.word >= 0 && isNewOuterWord(lexed, words, token.word)) words.push(token.word);
  }
  finishCommand();
  return scripts;
}

/** True for a word not seen yet that is not nested inside the last collected word (a substitution's words). */
function isNewOuterWord(lexed: ShellLexResult, words: readonly number[], word: number): boolean {
  const last = words[words.length - 1];
  if (last === word) return false;
  if (last === undefined) return true;

  const outer = lexed.words[last];
  const inner = lexed.words[word];
  return outer === undefined || inner === undefined || inner.start >= outer.end;
}

function scriptOf(
  command: string,
  lexed: ShellLexResult,
  words: readonly number[],
): NestedScript | undefined {
  const programIndex = words.findIndex((word) => lexed.words[word]?.role === "command");
  if (programIndex < 0) return undefined;

  const program = dequotedWord(command, lexed, words[programIndex] ?? -1);
  if (!isShellProgram(program)) return undefined;

  const args = words.slice(programIndex + 1).map((word) => dequotedWord(command, lexed, word));
  const script = shellScriptArgument(program, args);
  if (script === undefined) return undefined;

  const scriptWord = lexed.words[words[programIndex + 1 + args.indexOf(script)] ?? -1];
  return { script, offset: scriptWord?.start ?? 0 };
}

/** Returns the word's value after quote removal, keeping expansions and substitutions as written. */
function dequotedWord(command: string, lexed: ShellLexResult, word: number): string {
  const span = lexed.words[word];
  if (span === undefined) return "";

  let value = "";
  for (const token of tokensOf(lexed, span.start, span.end)) {
    const text = command.slice(token.start, token.end);
    if (token.kind === "double-quote") continue;
    if (token.kind === "escape") value += text.slice(1);
    else if (token.kind === "single-quoted")
      value += text.slice(1, token.terminated ? -1 : undefined);
    else value += text;
  }
  return value;
}

/** Yields the tokens in [start, end), found by binary search because tokens are sorted and contiguous. */
function* tokensOf(lexed: ShellLexResult, start: number, end: number): Generator<ShellToken> {
  const tokens = lexed.tokens;
  let low = 0;
  let high = tokens.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((tokens[middle] as ShellToken).start < start) low = middle + 1;
    else high = middle;
  }

  for (let index = low; index < tokens.length; index++) {
    const token = tokens[index] as ShellToken;
    if (token.start >= end) return;
    yield token;
  }
}
