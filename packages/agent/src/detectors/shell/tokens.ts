/**
 * Kinds of POSIX shell tokens. Quote, substitution and backtick delimiters are tokens of their own, so that
 * a detector can tell whether a user input contains a delimiter without its partner.
 */
export type ShellTokenKind =
  /** Spaces and tabs outside quotes: they separate words. */
  | "blank"
  | "newline"
  /** `#` at the start of a word up to the end of the line, newline excluded. */
  | "comment"
  /** `;`, `;;`, `&`, `&&`, `|`, `||`, `|&`, `(`, `)`. */
  | "operator"
  /** `>`, `>>`, `<`, `<<`, `<<<`, `<>`, `>|`, `&>`, `2>&1`, with an optional file descriptor prefix. */
  | "redirect"
  /** Literal characters, outside quotes or inside double quotes. */
  | "text"
  /** A backslash and the character it escapes (the backslash alone at the end of the command). */
  | "escape"
  /** `'...'` with both quotes, or up to the end of the command when unterminated. */
  | "single-quoted"
  /** One `"`, opening or closing. */
  | "double-quote"
  /** `$NAME`, `$1`, `$?`, `${...}`. */
  | "parameter"
  /** `$((...))`. */
  | "arithmetic"
  /** `$(` opening a command substitution. */
  | "substitution-open"
  /** `)` closing a command substitution. */
  | "substitution-close"
  /** One backquote, opening or closing a command substitution. */
  | "backtick"
  /** Unquoted `*`, `?`, `[`, `{`, or `~` at the start of a word: pathname, brace or tilde expansion. */
  | "pattern";

/** One token; the tokens of a command cover it from offset 0 to its length without gaps. */
export interface ShellToken {
  readonly kind: ShellTokenKind;
  /** Offsets in UTF-16 code units, end excluded. */
  readonly start: number;
  readonly end: number;
  /** True inside double quotes. */
  readonly quoted: boolean;
  /** False for a quote, substitution or escape that the command ends before closing. */
  terminated: boolean;
  /** Index of the matching delimiter token for delimiters, -1 for other tokens and for unmatched delimiters. */
  partner: number;
  /** Index of the word this token belongs to in `ShellLexResult.words`, -1 for separators. */
  readonly word: number;
}

/** Role of a word in its simple command. */
export type ShellWordRole = "command" | "argument" | "assignment" | "keyword" | "redirect-target";

/** One shell word: the offsets it spans (nested substitutions included) and its role. */
export interface ShellWord {
  readonly start: number;
  end: number;
  role: ShellWordRole;
}

/** The tokens and words of one command line. */
export interface ShellLexResult {
  readonly tokens: readonly ShellToken[];
  readonly words: readonly ShellWord[];
}
