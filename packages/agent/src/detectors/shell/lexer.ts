import type {
  ShellLexResult,
  ShellToken,
  ShellTokenKind,
  ShellWord,
  ShellWordRole,
} from "./tokens";

/** Words that keep the parser waiting for a command name after them. */
const reservedWords = new Set([
  "!",
  "{",
  "}",
  "if",
  "then",
  "else",
  "elif",
  "fi",
  "do",
  "done",
  "while",
  "until",
  "for",
  "case",
  "esac",
  "in",
  "time",
]);

const assignmentPattern = /^[A-Za-z_][A-Za-z0-9_]*\+?=/;

/** Operators after which a new simple command starts. `)` is not one: words after it are arguments or redirections. */
const commandStartingOperators = new Set([";", ";;", "&", "&&", "|", "||", "|&", "("]);

/** Characters that end a run of unquoted literal text. */
const unquotedSpecials = new Set([
  " ",
  "\t",
  "\n",
  "'",
  '"',
  "\\",
  "$",
  "`",
  ";",
  "&",
  "|",
  "(",
  ")",
  "<",
  ">",
  "*",
  "?",
  "[",
  "{",
]);

/** Characters that end a run of literal text inside double quotes. */
const doubleQuotedSpecials = new Set(['"', "\\", "$", "`"]);

/** Characters that a backslash escapes inside double quotes; before any other it is literal. */
const doubleQuotedEscapable = new Set(["$", "`", '"', "\\", "\n"]);

type FrameKind = "top" | "double-quote" | "substitution" | "backtick";

/** One open quoting or substitution context, with the parser state of the context around it. */
interface Frame {
  readonly kind: FrameKind;
  /** Index of the opening delimiter token, -1 for the top frame. */
  readonly opener: number;
  /** Unmatched `(` operators inside a `$(...)`, so that only the matching `)` closes it. */
  parens: number;
  word: number;
  expectCommand: boolean;
  expectRedirectTarget: boolean;
}

function isNameStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

function isNameChar(code: number): boolean {
  return isNameStart(code) || (code >= 48 && code <= 57);
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/**
 * Hand-written POSIX shell lexer. It reads each character a bounded number of times, so it runs in
 * linear time, and it never throws: any string, malformed or not, gives tokens that cover it.
 *
 * NOTE: here-document bodies are lexed as shell text, and `case` patterns ending in `)` inside `$(...)`
 * close the substitution early. Both make the result more structured than the shell's, never less.
 */
class ShellLexer {
  private readonly tokens: ShellToken[] = [];
  private readonly words: ShellWord[] = [];
  private readonly frames: Frame[];
  private position = 0;

  constructor(private readonly text: string) {
    this.frames = [this.newFrame("top", -1)];
  }

  run(): ShellLexResult {
    while (this.position < this.text.length) {
      if (this.frame().kind === "double-quote") this.readDoubleQuoted();
      else this.readUnquoted();
    }

    this.endWord();
    return { tokens: this.tokens, words: this.words };
  }

  private frame(): Frame {
    return this.frames[this.frames.length - 1] as Frame;
  }

  private newFrame(kind: FrameKind, opener: number): Frame {
    return { kind, opener, parens: 0, word: -1, expectCommand: true, expectRedirectTarget: false };
  }

  private readUnquoted(): void {
    const text = this.text;
    const start = this.position;
    const char = text[start] as string;

    if (char === " " || char === "\t") return this.readBlank();
    if (char === "\n") return this.emitSeparator("newline", start + 1, true);
    if (char === "#" && this.frame().word === -1) return this.readComment();
    if (char === "'") return this.readSingleQuoted();
    if (char === '"') return this.openFrame("double-quote", "double-quote", start + 1);
    if (char === "\\") return this.readEscape();
    if (char === "$") return this.readDollar();
    if (char === "`") return this.readBacktick();
    if (char === ";" || char === "&" || char === "|" || char === "(" || char === ")") {
      return this.readOperator();
    }
    if (char === "<" || char === ">") return this.readRedirect(start);
    if (
      isDigit(text.charCodeAt(start)) &&
      this.frame().word === -1 &&
      this.readNumberedRedirect()
    ) {
      return;
    }
    const leadingTilde = char === "~" && this.frame().word === -1;
    if (char === "*" || char === "?" || char === "[" || char === "{" || leadingTilde) {
      this.emitWordToken("pattern", start + 1);
      return;
    }

    this.readTextRun(unquotedSpecials);
  }

  private readDoubleQuoted(): void {
    const text = this.text;
    const start = this.position;
    const char = text[start] as string;

    if (char === '"') return this.closeFrame("double-quote");
    if (char === "$") return this.readDollar();
    if (char === "`") return this.readBacktick();
    if (char === "\\" && doubleQuotedEscapable.has(text[start + 1] ?? "")) {
      this.emitWordToken("escape", start + 2);
      return;
    }
    if (char === "\\") {
      // A backslash before any other character is literal inside double quotes.
      this.emitWordToken("text", start + 1);
      return;
    }

    this.readTextRun(doubleQuotedSpecials);
  }

  private readTextRun(specials: ReadonlySet<string>): void {
    let end = this.position + 1;
    while (end < this.text.length && !specials.has(this.text[end] as string)) end++;
    this.emitWordToken("text", end);
  }

  private readBlank(): void {
    let end = this.position + 1;
    while (end < this.text.length && (this.text[end] === " " || this.text[end] === "\t")) end++;
    this.emitSeparator("blank", end, false);
  }

  private readComment(): void {
    const newline = this.text.indexOf("\n", this.position);
    this.emitSeparator("comment", newline < 0 ? this.text.length : newline, false);
  }

  private readSingleQuoted(): void {
    const close = this.text.indexOf("'", this.position + 1);
    const index = this.emitWordToken("single-quoted", close < 0 ? this.text.length : close + 1);
    if (close < 0) this.unterminated(index);
  }

  private readEscape(): void {
    const start = this.position;
    const end = Math.min(start + 2, this.text.length);
    const index = this.emitWordToken("escape", end);
    if (end === start + 1) this.unterminated(index);
  }

  private readDollar(): void {
    const text = this.text;
    const start = this.position;
    const next = text[start + 1];

    if (next === "(" && text[start + 2] === "(") return this.readArithmetic();
    if (next === "(") return this.openFrame("substitution", "substitution-open", start + 2);
    if (next === "{") return this.readBracedParameter();
    if (isNameStart(text.charCodeAt(start + 1))) {
      let end = start + 2;
      while (end < text.length && isNameChar(text.charCodeAt(end))) end++;
      this.emitWordToken("parameter", end);
      return;
    }
    if (next !== undefined && "0123456789@*#?$!-".includes(next)) {
      this.emitWordToken("parameter", start + 2);
      return;
    }

    // A `$` before anything else is a literal dollar sign.
    this.emitWordToken("text", start + 1);
  }

  /** `${...}` up to the matching brace; nested braces are counted, quotes inside are not parsed. */
  private readBracedParameter(): void {
    const end = this.matchingClose(this.position + 2, "{", "}", 1);
    const index = this.emitWordToken("parameter", end < 0 ? this.text.length : end);
    if (end < 0) this.unterminated(index);
  }

  /** `$((...))` up to the parentheses that balance the opening pair. */
  private readArithmetic(): void {
    const end = this.matchingClose(this.position + 3, "(", ")", 2);
    const index = this.emitWordToken("arithmetic", end < 0 ? this.text.length : end);
    if (end < 0) this.unterminated(index);
  }

  /** Returns the offset just after the closer that brings `depth` to zero, or -1 when none does. */
  private matchingClose(from: number, opener: string, closer: string, depth: number): number {
    let open = depth;
    for (let index = from; index < this.text.length; index++) {
      const char = this.text[index];
      if (char === opener) open++;
      else if (char === closer && --open === 0) return index + 1;
    }
    return -1;
  }

  private readBacktick(): void {
    if (this.frame().kind === "backtick") return this.closeFrame("backtick");
    this.openFrame("backtick", "backtick", this.position + 1);
  }

  private readOperator(): void {
    const text = this.text;
    const start = this.position;
    const char = text[start] as string;
    const frame = this.frame();

    if (char === ")" && frame.kind === "substitution" && frame.parens === 0) {
      return this.closeFrame("substitution-close");
    }

    const pair = text.slice(start, start + 2);
    if (pair === "&>") return this.readRedirect(start);

    const operator = pair === "&&" || pair === "||" || pair === ";;" || pair === "|&" ? pair : char;
    if (operator === "(") frame.parens++;
    if (operator === ")" && frame.parens > 0) frame.parens--;

    this.emitSeparator("operator", start + operator.length, commandStartingOperators.has(operator));
  }

  /** `2>`, `10>>`: digits directly before a redirection operator name the file descriptor. */
  private readNumberedRedirect(): boolean {
    let end = this.position;
    while (end < this.text.length && isDigit(this.text.charCodeAt(end))) end++;
    const next = this.text[end];
    if (next !== "<" && next !== ">") return false;

    this.readRedirect(end);
    return true;
  }

  /** Reads a redirection operator starting at `operatorStart` (after any descriptor digits). */
  private readRedirect(operatorStart: number): void {
    const text = this.text;
    let end = operatorStart;
    const three = text.slice(end, end + 3);
    const two = text.slice(end, end + 2);

    if (three === "<<<" || three === "<<-" || three === "&>>") end += 3;
    else if ([">>", "<<", "<>", ">|", ">&", "<&", "&>"].includes(two)) end += 2;
    else end += 1;

    // `>&2` and `<&-` name their target inside the operator.
    const duplicates = two === ">&" || two === "<&";
    let target = end;
    if (duplicates) while (target < text.length && isDigit(text.charCodeAt(target))) target++;
    if (duplicates && target === end && text[end] === "-") target++;

    this.emitSeparator("redirect", target, false);
    this.frame().expectRedirectTarget = target === end;
  }

  private openFrame(kind: FrameKind, tokenKind: ShellTokenKind, end: number): void {
    const index = this.emitWordToken(tokenKind, end);
    this.unterminated(index);

    // Text inside double quotes continues the word around the quotes; a substitution starts its own words.
    const outerWord = this.frame().word;
    const frame = this.newFrame(kind, index);
    if (kind === "double-quote") frame.word = outerWord;
    this.frames.push(frame);
  }

  /** Closes the innermost frame with a delimiter token that joins the word around the frame. */
  private closeFrame(tokenKind: ShellTokenKind): void {
    if (tokenKind !== "double-quote") this.endWord();

    const frame = this.frames.pop() as Frame;
    const index = this.emitWordToken(tokenKind, this.position + 1);
    const opener = this.tokens[frame.opener];
    const closer = this.tokens[index];
    if (opener === undefined || closer === undefined) return;

    opener.partner = index;
    opener.terminated = true;
    closer.partner = frame.opener;
  }

  private unterminated(index: number): void {
    const token = this.tokens[index];
    if (token !== undefined) token.terminated = false;
  }

  /** Emits a token that is part of a word, opening the word when none is open. Returns the token's index. */
  private emitWordToken(kind: ShellTokenKind, end: number): number {
    const frame = this.frame();
    if (frame.word === -1) frame.word = this.startWord();

    const word = this.words[frame.word] as ShellWord;
    word.end = end;
    return this.push(kind, end, frame.word);
  }

  private emitSeparator(kind: ShellTokenKind, end: number, startsCommand: boolean): void {
    this.endWord();
    this.push(kind, end, -1);
    if (startsCommand) this.frame().expectCommand = true;
  }

  private push(kind: ShellTokenKind, end: number, word: number): number {
    const quoted = this.frame().kind === "double-quote";
    this.tokens.push({
      kind,
      start: this.position,
      end,
      quoted,
      terminated: true,
      partner: -1,
      word,
    });
    this.position = end;
    return this.tokens.length - 1;
  }

  private startWord(): number {
    const frame = this.frame();
    let role: ShellWordRole = "argument";
    if (frame.expectRedirectTarget) role = "redirect-target";
    else if (frame.expectCommand) role = "command";

    this.words.push({ start: this.position, end: this.position, role });
    return this.words.length - 1;
  }

  /** Closes the current word of the innermost frame and decides what the parser expects next. */
  private endWord(): void {
    const frame = this.frame();
    const word = this.words[frame.word];
    frame.word = -1;
    if (word === undefined) return;

    if (word.role === "redirect-target") {
      frame.expectRedirectTarget = false;
      return;
    }
    if (word.role !== "command") return;

    const text = this.text.slice(word.start, word.end);
    if (assignmentPattern.test(text)) word.role = "assignment";
    else if (reservedWords.has(text)) word.role = "keyword";
    else frame.expectCommand = false;
  }
}

/** Splits a shell command line into tokens and words. Never throws; linear in the length of `command`. */
export function tokenizeShell(command: string): ShellLexResult {
  return new ShellLexer(command).run();
}
