const absoluteStart = /^(?:[\\/]|[A-Za-z]:[\\/])/;

/**
 * Rewrites backslashes as slashes. Windows accepts both separators, and apps that run on both
 * platforms often convert one into the other, so the detector judges a backslash as a separator
 * on every platform.
 */
export function unifySeparators(text: string): string {
  return text.includes("\\") ? text.replaceAll("\\", "/") : text;
}

/**
 * Normalizes a path with the rules of `path.posix.normalize` after unifying separators:
 * `a\..\b/./c` becomes `b/c`, `/../x` becomes `/x`, and a trailing separator stays. Written
 * here because Node's version takes time quadratic in the number of leading `..` segments of a
 * relative path (about 7 s for 256 KiB of `../` on Node.js 20).
 */
export function normalizePath(text: string): string {
  const unified = unifySeparators(text);
  if (unified === "") return ".";

  const absolute = unified.startsWith("/");
  const names: string[] = [];
  let climbs = 0;
  for (const segment of unified.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment !== "..") names.push(segment);
    else if (names.length > 0) names.pop();
    else if (!absolute) climbs++;
  }

  const climbing = climbs > 0 ? `..${"/..".repeat(climbs - 1)}` : "";
  const rest = names.join("/");
  const body = climbing !== "" && rest !== "" ? `${climbing}/${rest}` : climbing + rest;
  const trailing = unified.endsWith("/") && body !== "" ? "/" : "";
  if (absolute) return `/${body}${trailing}`;
  if (body !== "") return `${body}${trailing}`;
  return unified.endsWith("/") ? "./" : ".";
}

/**
 * True when the text starts as an absolute path on POSIX or Windows: `/etc`, `\\server\share`,
 * `C:\`, `c:/`. A drive-relative `C:file` is not absolute.
 */
export function startsAbsolute(text: string): boolean {
  return absoluteStart.test(text);
}

/** True when the text starts with `/` or `\`. */
export function startsWithSeparator(text: string): boolean {
  return text.startsWith("/") || text.startsWith("\\");
}

/** Returns the text without its leading separators: `path.join` reads `/../x` as `../x`. */
export function withoutLeadingSeparators(text: string): string {
  let start = 0;
  while (start < text.length && (text[start] === "/" || text[start] === "\\")) start++;
  return text.slice(start);
}

/** True when a normalized relative path leaves the directory it starts from (`..`, `../x`). */
export function climbsAbove(normalized: string): boolean {
  return normalized === ".." || normalized.startsWith("../");
}

/** True when the text has a separator at or after `start`. */
export function hasSeparatorFrom(text: string, start: number): boolean {
  return text.indexOf("/", start) !== -1 || text.indexOf("\\", start) !== -1;
}

/**
 * Returns the directory part of the text before an input, up to and including its last
 * separator. Returns "" when the text has none, as for a file name prefix such as `img_`.
 */
export function directoryOf(prefix: string): string {
  const last = Math.max(prefix.lastIndexOf("/"), prefix.lastIndexOf("\\"));
  return last === -1 ? "" : prefix.slice(0, last + 1);
}

/** True when a normalized path lies in the normalized directory `base` or is `base` itself. */
export function isInside(normalized: string, base: string): boolean {
  if (base === "/") return normalized.startsWith("/");
  if (base === ".") return !climbsAbove(normalized) && !startsAbsolute(normalized);

  const directory = base.endsWith("/") ? base.slice(0, -1) : base;
  return normalized === directory || normalized.startsWith(`${directory}/`);
}
