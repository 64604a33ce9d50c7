export { detectArgumentInjection, detectProgramFromInput } from "./arguments";
export { detectShellInjection } from "./detect";
export { programName, shellScriptArgument } from "./invocation";
export type { ShellFindingReason } from "./judge";
export { tokenizeShell } from "./lexer";
export type {
  ShellLexResult,
  ShellToken,
  ShellTokenKind,
  ShellWord,
  ShellWordRole,
} from "./tokens";
