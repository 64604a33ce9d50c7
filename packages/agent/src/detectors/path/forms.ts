import { fileURLToPath } from "node:url";

import type { UserInput } from "../types";
import { decodeLeniently } from "./decode";
import { climbsAbove, normalizePath, startsAbsolute, withoutLeadingSeparators } from "./separators";

/**
 * Maximum number of extra percent-decoding passes, beyond the one the input collector applied, that
 * an app is assumed to make (`%25252e` decoded three times is `.`).
 */
const maxDecodePasses = 3;

/** One spelling of an input that may appear in a path: as received, decoded again, or filtered. */
export interface InputForm {
  readonly input: UserInput;
  readonly text: string;
  /** The text differs from the value as received: the app decoded or filtered it. */
  readonly derived: boolean;
  /** The text contains `..`, so it may bring a climbing segment. */
  readonly mayClimb: boolean;
  readonly absolute: boolean;
  readonly hasNul: boolean;
  /**
   * For a form that climbs above any base (`../../etc/passwd`), `/` and the part left after its
   * leading `..` segments (`/etc/passwd`). `path.join` and `path.resolve` normalize the climb away,
   * so only this part remains in the path.
   */
  readonly climbRemainder: string | undefined;
  /** For an absolute form, its normalized text, which `path.resolve` returns. */
  readonly normalizedAbsolute: string | undefined;
  /**
   * Last segment of `climbRemainder` or `normalizedAbsolute`, which normalization leaves as it
   * is: a path without it cannot match, so the detector skips normalizing that path. Empty when
   * there is no such segment.
   */
  readonly lastSegment: string;
}

/** Result for the many inputs that yield no form. It is never modified. */
const noForms: InputForm[] = [];

const formsCache = new WeakMap<readonly UserInput[], readonly InputForm[]>();

/**
 * Returns the forms of a request's inputs that could steer a path: those containing `..`, a NUL
 * byte or an absolute start. Cached per input list, which a request context keeps as one array until
 * its parsed parts change, so most file system calls cost one WeakMap lookup here.
 */
export function relevantForms(inputs: readonly UserInput[]): readonly InputForm[] {
  let forms = formsCache.get(inputs);
  if (forms === undefined) {
    let collected: InputForm[] | undefined;
    for (const input of inputs) {
      if (!maySteerPath(input.value)) continue;
      const inputForms = formsOf(input);
      if (inputForms.length > 0) (collected ??= []).push(...inputForms);
    }
    forms = collected ?? noForms;
    formsCache.set(inputs, forms);
  }
  return forms;
}

/**
 * True when some spelling of the value could yield a form: it contains `..`, `%` or a NUL byte,
 * starts as an absolute path, or is a `file:` URL. Every spelling that `spellingsOf` derives needs
 * one of these, so other values (`readme.txt`, a header) skip building their spellings.
 */
function maySteerPath(value: string): boolean {
  if (value.includes("..") || value.includes("%") || value.includes("\0")) return true;

  // Only an absolute start or a `file:` URL is left, and the first two characters tell whether a
  // regular expression is needed at all.
  const first = value.charCodeAt(0);
  if (first === 0x2f || first === 0x5c) return true; // `/`, `\`
  if (value.charCodeAt(1) === 0x3a) return startsAbsolute(value); // `C:`
  return (first === 0x66 || first === 0x46) && /^file:/i.test(value); // `f`, `F`
}

function formsOf(input: UserInput): InputForm[] {
  const forms: InputForm[] = [];
  for (const text of spellingsOf(input.value)) {
    const form = describeForm(input, text);
    if (form !== undefined) forms.push(form);
  }
  return forms;
}

/**
 * Lists the value and the texts an app may derive from it before using it as a path: decoded
 * again (double encoding, overlong UTF-8), without leading separators, the path a `file:` URL
 * names, and with `../` or `..\` removed once, which turns `....//` into `../`.
 */
function spellingsOf(value: string): Set<string> {
  const spellings = new Set([value]);

  let decoded = value;
  for (let pass = 0; pass < maxDecodePasses && decoded.includes("%"); pass++) {
    const next = decodeLeniently(decoded);
    if (next === decoded) break;
    spellings.add(next);
    decoded = next;
  }

  // `path.join` merges leading separators into its own, so `//..\x` appears as `/..\x`.
  const relative = withoutLeadingSeparators(value);
  if (relative !== value && relative.includes("..")) spellings.add(relative);

  const filePath = filePathOfUrl(value);
  if (filePath !== undefined) spellings.add(filePath);

  for (const text of [value, decoded]) {
    if (!text.includes("..")) continue;
    spellings.add(text.replaceAll("../", ""));
    spellings.add(text.replaceAll("..\\", ""));
  }
  return spellings;
}

/** Returns the path that a `file:` URL names, as `fs.readFile(new URL(value))` opens it. */
function filePathOfUrl(value: string): string | undefined {
  if (!/^file:/i.test(value)) return undefined;
  try {
    return fileURLToPath(value);
  } catch {
    return undefined;
  }
}

function describeForm(input: UserInput, text: string): InputForm | undefined {
  const mayClimb = text.includes("..");
  const absolute = startsAbsolute(text);
  const hasNul = text.includes("\0");
  if (!mayClimb && !absolute && !hasNul) return undefined;

  const climbRemainder = mayClimb ? remainderAfterClimb(withoutLeadingSeparators(text)) : undefined;
  const normalizedAbsolute = absolute ? withoutTrailingSeparator(normalizePath(text)) : undefined;
  return {
    input,
    text,
    derived: text !== input.value,
    mayClimb,
    absolute,
    hasNul,
    climbRemainder,
    normalizedAbsolute,
    lastSegment: lastSegmentOf(climbRemainder ?? normalizedAbsolute ?? ""),
  };
}

function lastSegmentOf(normalized: string): string {
  const end = normalized.endsWith("/") ? normalized.length - 1 : normalized.length;
  return normalized.slice(normalized.lastIndexOf("/", end - 1) + 1, end);
}

/** Drops one trailing `/`, which `path.resolve` drops too, but keeps a root (`/`, `C:/`). */
function withoutTrailingSeparator(normalized: string): string {
  if (normalized.length <= 1 || !normalized.endsWith("/") || normalized.endsWith(":/"))
    return normalized;
  return normalized.slice(0, -1);
}

/**
 * Returns `/` and what follows the leading `..` segments of the normalized text, or undefined
 * when the text does not climb or nothing follows the climb.
 */
function remainderAfterClimb(text: string): string | undefined {
  const normalized = normalizePath(text);
  if (!climbsAbove(normalized)) return undefined;

  let start = 0;
  while (normalized.startsWith("../", start)) start += 3;
  // NOTE: a climb with nothing after it (`../..`) names an ancestor of the unknown base. Once
  // path.join has removed the `..`, nothing in the path shows that an input chose it.
  if (start >= normalized.length || normalized.slice(start) === "..") return undefined;
  return `/${normalized.slice(start)}`;
}
