import type { Finding, UserInput } from "../types";
import { relevantForms, type InputForm } from "./forms";
import {
  climbsAbove,
  directoryOf,
  hasSeparatorFrom,
  isInside,
  normalizePath,
  startsWithSeparator,
  withoutLeadingSeparators,
} from "./separators";

/**
 * Why a path was judged an attack:
 * - `climbs-out`: the input's `..` segments lead out of the directory that the app put it in;
 * - `absolute-path`: the input supplies the whole directory part of the path from its root;
 * - `null-byte`: the input puts a NUL byte into the path, which only truncation attacks need.
 */
export type PathFindingReason = "climbs-out" | "absolute-path" | "null-byte";

/**
 * Judges a file system path against a request's inputs. Returns a finding when an input decides
 * which directory the path names: its `..` segments climb out of the directory before it, or it
 * supplies an absolute path (`/etc/passwd`, `\\server\share`, `C:\`) at the start. File names with
 * dots (`notes..txt`) and `..` that stays inside the base (`a/../b`) are not findings.
 *
 * Time is linear in the path length for each input form that could steer the path (one `indexOf`
 * and at most two normalizations each), plus one pass over all inputs when a match needs evidence.
 */
export function detectPathTraversal(
  path: string,
  inputs: readonly UserInput[],
): Finding | undefined {
  if (path === "") return undefined;

  const forms = relevantForms(inputs);
  if (forms.length === 0) return undefined;

  let normalizedPath: string | undefined;
  let inputPathsAsReceived: ReadonlySet<string> | undefined;
  for (const form of forms) {
    const index = path.indexOf(form.text);
    let finding: Finding | undefined;
    if (index !== -1) {
      finding = judgeOccurrence(path, index, form);
    } else if (mayMatchNormalized(path, form)) {
      normalizedPath ??= normalizePath(path);
      finding = judgeNormalized(path, normalizedPath, form);
    }
    if (finding === undefined) continue;

    // A finding that rests on a decoded or filtered spelling, or on a tail that normalization
    // left, may be a coincidence. A value of the same parameter that occurs as received (or only
    // normalized) shows that the app used the value without such changes, so it is dropped then.
    const needsEvidence = form.derived || (index === -1 && finding.reason === "climbs-out");
    if (!needsEvidence) return finding;

    normalizedPath ??= normalizePath(path);
    inputPathsAsReceived ??= inputPathsUsedAsReceived(path, normalizedPath, inputs);
    if (!inputPathsAsReceived.has(form.input.path)) return finding;
  }
  return undefined;
}

/**
 * Returns the input paths (`query.file`) of which some value occurs in the path verbatim, or
 * normalized without climbing, as `path.join` leaves `a/./b//c`. Only occurrences that start and
 * end on segment boundaries count: a query key such as `name` shares its value's input path and
 * occurs inside `/etc/hostname` by chance.
 */
function inputPathsUsedAsReceived(
  path: string,
  normalizedPath: string,
  inputs: readonly UserInput[],
): ReadonlySet<string> {
  const paths = new Set<string>();
  for (const input of inputs) {
    if (paths.has(input.path)) continue;
    if (occursAsSegments(path, input.value)) {
      paths.add(input.path);
      continue;
    }

    // Read relative, as path.join reads it, so that `/a/../../x` counts as climbing.
    const normalized = normalizePath(withoutLeadingSeparators(input.value));
    const meaningful = normalized !== "." && !climbsAbove(normalized);
    if (meaningful && occursAsSegments(normalizedPath, normalized)) paths.add(input.path);
  }
  return paths;
}

/**
 * True when `value` occurs in `path` starting at the start of a segment and ending at the end of
 * one or before an extension dot. Occurrences are searched without overlap, so the scan stays
 * linear in the path's length even for periodic values (`aaaa` in `aaaaaaaa`).
 */
function occursAsSegments(path: string, value: string): boolean {
  if (value === "") return false;

  for (
    let index = path.indexOf(value);
    index !== -1;
    index = path.indexOf(value, index + value.length)
  ) {
    const before = index === 0 ? "/" : path[index - 1];
    const end = index + value.length;
    const after = end === path.length ? "/" : path[end];
    const startsSegment = before === "/" || before === "\\" || isSeparatorEdge(value[0]);
    const endsSegment =
      after === "/" || after === "\\" || after === "." || isSeparatorEdge(value[value.length - 1]);
    if (startsSegment && endsSegment) return true;
  }
  return false;
}

function isSeparatorEdge(character: string | undefined): boolean {
  return character === "/" || character === "\\";
}

/** True when normalizing the path could reveal the form: it has a tail and the path contains its last segment. */
function mayMatchNormalized(path: string, form: InputForm): boolean {
  if (form.climbRemainder === undefined && form.normalizedAbsolute === undefined) return false;
  return path.includes(form.lastSegment);
}

/** Judges an input form that occurs verbatim in the path at `index`. */
function judgeOccurrence(path: string, index: number, form: InputForm): Finding | undefined {
  if (form.hasNul) return findingAt(form, index, "null-byte");

  if (index === 0) return judgeWholePathStart(path, form);
  if (!form.mayClimb) return undefined;

  const prefix = path.slice(0, index);
  // An input that starts with a separator starts a new segment, so everything before it is the
  // directory: `"/srv/files" + "/../x"` climbs out of `/srv/files`, not out of `/srv`.
  const directory = startsWithSeparator(form.text) ? prefix : directoryOf(prefix);
  const base = directory === "" ? "." : normalizePath(directory);
  const joined = normalizePath(prefix + form.text);
  return isInside(joined, base) ? undefined : findingAt(form, index, "climbs-out");
}

/**
 * Judges an input at the start of the path, which the app used as the whole path or its
 * beginning. An absolute input is a finding when the app appended no directory after it, and a
 * relative one when it climbs above the working directory.
 */
function judgeWholePathStart(path: string, form: InputForm): Finding | undefined {
  if (form.absolute && !hasSeparatorFrom(path, form.text.length)) {
    return findingAt(form, 0, "absolute-path");
  }
  if (form.mayClimb && !form.absolute && climbsAbove(normalizePath(form.text))) {
    return findingAt(form, 0, "climbs-out");
  }
  return undefined;
}

/**
 * Judges an input form that does not occur verbatim, because `path.join`, `path.resolve` or
 * `new URL(input, base)` normalized it into the path. Offsets are approximate there: they count
 * from the end of the path, which normalization leaves as it was.
 */
function judgeNormalized(
  path: string,
  normalizedPath: string,
  form: InputForm,
): Finding | undefined {
  const absolute = form.normalizedAbsolute;
  if (absolute !== undefined && normalizedPath.startsWith(absolute)) {
    const whole = absolute === "/" ? normalizedPath === "/" : true;
    if (whole && !hasSeparatorFrom(normalizedPath, absolute.length)) {
      return findingAt(form, 0, "absolute-path");
    }
  }

  const remainder = form.climbRemainder;
  if (remainder === undefined) return undefined;

  // NOTE: the base directory is unknown here, so an input that climbs out and back into the same
  // directory (`../files/x` joined to `/srv/files`) is reported too.
  const at = normalizedPath.lastIndexOf(remainder);
  if (at === -1 || hasSeparatorFrom(normalizedPath, at + remainder.length)) return undefined;

  const offset = Math.max(0, path.length - (normalizedPath.length - at));
  return findingAt(form, offset, "climbs-out");
}

function findingAt(form: InputForm, offset: number, reason: PathFindingReason): Finding {
  return { input: form.input, offset, reason };
}
