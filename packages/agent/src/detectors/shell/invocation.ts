/** Programs that run their `-c` argument as a POSIX shell script. */
const posixShells = new Set(["sh", "bash", "dash", "zsh", "ksh", "mksh", "ash"]);

/** Options of POSIX shells that take the next argument as their value. */
const optionsWithValue = new Set(["-o", "+o", "-O", "+O", "--rcfile", "--init-file"]);

/** Returns the last path segment of a program path, lower-cased and without `.exe`. */
export function programName(file: string): string {
  const name = file.slice(Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\")) + 1);
  return name.toLowerCase().replace(/\.exe$/, "");
}

/** True for the POSIX shells and cmd.exe, whose script arguments are judged as command lines. */
export function isShellProgram(file: string): boolean {
  const name = programName(file);
  return posixShells.has(name) || name === "cmd";
}

/**
 * Returns the script that a program runs as shell code when it is a shell given a script argument:
 * `sh -c SCRIPT`, `bash -lc SCRIPT`, `/bin/bash -o pipefail -c SCRIPT`, `cmd /d /s /c LINE`.
 * Returns undefined for other programs and for shells that read a script file or standard input.
 *
 * NOTE: `powershell -Command` and `env sh -c` are not recognized, and cmd.exe lines are judged with
 * POSIX rules, which miss cmd's `^` escapes and `%VAR%` expansion.
 */
export function shellScriptArgument(file: string, args: readonly string[]): string | undefined {
  const name = programName(file);
  if (posixShells.has(name)) return posixScript(args);
  if (name === "cmd") return cmdLine(args);
  return undefined;
}

function posixScript(args: readonly string[]): string | undefined {
  let readsScript = false;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] as string;
    if (arg === "--") return readsScript ? args[index + 1] : undefined;

    const isOption = (arg.startsWith("-") || arg.startsWith("+")) && arg.length > 1;
    if (!isOption) return readsScript ? arg : undefined;

    if (optionsWithValue.has(arg)) index++;
    else if (!arg.startsWith("--") && arg.slice(1).includes("c")) readsScript = true;
  }
  return undefined;
}

function cmdLine(args: readonly string[]): string | undefined {
  const switchIndex = args.findIndex((arg) => /^\/[ck]$/i.test(arg));
  return switchIndex < 0 ? undefined : args.slice(switchIndex + 1).join(" ");
}
