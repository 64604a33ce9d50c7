import path from "node:path";

/** The directory that the corpus apps join inputs to. */
export const baseDirectory = "/srv/app/files";

/** One way an app turns an input into a path. */
export interface PathAppForm {
  readonly name: string;
  /** Returns the path the app passes to fs, or undefined when the app would reject the input. */
  readonly build: (input: string) => string | undefined;
  /** True when the input is the whole path, judged against the working directory. */
  readonly wholePath?: boolean;
  /**
   * True when the app removes the climb itself but keeps the rest of the name. From the path
   * alone that cannot be distinguished from `path.join` leaving the base, so reports are expected there.
   */
  readonly neutralizesClimbs?: boolean;
}

function decodeOrUndefined(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

export const pathAppForms: readonly PathAppForm[] = [
  { name: "path.join", build: (input) => path.posix.join(baseDirectory, input) },
  { name: "concatenation", build: (input) => `${baseDirectory}/${input}` },
  { name: "path.resolve", build: (input) => path.posix.resolve(baseDirectory, input) },
  { name: "whole path", build: (input) => input, wholePath: true },
  {
    name: "decoded again, then path.join",
    build: (input) => {
      const decoded = decodeOrUndefined(input);
      return decoded === undefined ? undefined : path.posix.join(baseDirectory, decoded);
    },
  },
  {
    name: "../ removed once, then path.join",
    build: (input) => path.posix.join(baseDirectory, input.replaceAll("../", "")),
    neutralizesClimbs: true,
  },
];

function climbs(relative: string): boolean {
  return relative === ".." || relative.startsWith("../") || relative.startsWith("..\\");
}

/**
 * Decides with node:path alone whether the path an app built leaves `baseDirectory` (or, for a whole
 * path, the working directory). The path counts as leaving when it does so under POSIX rules or when
 * read as a Windows path, whose separators include `\`.
 */
export function escapesBase(result: string, wholePath: boolean): boolean {
  if (wholePath) {
    if (path.posix.isAbsolute(result) || path.win32.isAbsolute(result)) return true;
    return climbs(path.posix.normalize(result)) || climbs(path.win32.normalize(result));
  }

  const posixRelative = path.posix.relative(baseDirectory, path.posix.resolve(result));
  if (climbs(posixRelative) || path.posix.isAbsolute(posixRelative)) return true;

  const windowsBase = path.win32.normalize(baseDirectory);
  const windowsResult = path.win32.normalize(result);
  const inside = windowsResult === windowsBase || windowsResult.startsWith(`${windowsBase}\\`);
  return !inside;
}

/**
 * True when a path built from `baseDirectory` resolves to one of its ancestors: the input only
 * climbed (`../`), and path.join or path.resolve left no trace of it in the path.
 */
export function isAncestorOfBase(result: string): boolean {
  const relative = path.posix.relative(path.posix.resolve(result), baseDirectory);
  return relative !== "" && !climbs(relative) && !path.posix.isAbsolute(relative);
}
