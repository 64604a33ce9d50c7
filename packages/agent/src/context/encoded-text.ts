import { isUtf8 } from "node:buffer";

import { TextMemo } from "./text-memo";

/**
 * Maximum length, in characters, of a value that is decoded as base64. Longer values are judged
 * only as sent: an app that base64-decodes a value of more than 1 MiB before building an operation
 * hides it from the detectors.
 */
export const maxBase64Length = 1 << 20;

/**
 * Shortest base64 data decoded, in characters without padding: 3 characters give 2 bytes, as short
 * as the shortest attacks (`;id` is 3 bytes, `'/` 2). Shorter values decode to at most one byte.
 */
const minBase64Length = 3;

/** Authorization schemes whose credentials are base64 or a JWT (RFC 7617 Basic, RFC 6750 Bearer). */
const authorizationSchemes = new Set(["basic", "bearer", "jwt", "token"]);
const schemeLengths = new Set([...authorizationSchemes].map((scheme) => scheme.length));

/**
 * True for characters of the standard and URL-safe base64 alphabets. `Buffer.from(text, "base64")`
 * accepts both, so apps decode either with the same call.
 */
function isBase64Unit(code: number): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) || // A-Z
    (code >= 0x61 && code <= 0x7a) || // a-z
    (code >= 0x30 && code <= 0x39) || // 0-9
    code === 0x2b || // +
    code === 0x2f || // /
    code === 0x2d || // -
    code === 0x5f // _
  );
}

/** True when `text[start, end)` is base64 with at most two `=` of padding at its end. */
function isBase64Span(text: string, start: number, end: number): boolean {
  let dataEnd = end;
  while (dataEnd > start && end - dataEnd < 2 && text.charCodeAt(dataEnd - 1) === 0x3d) dataEnd--;

  const length = dataEnd - start;
  // One leftover character carries fewer than 8 bits, so no encoder produces it.
  if (length < minBase64Length || length % 4 === 1) return false;

  for (let index = start; index < dataEnd; index++) {
    if (!isBase64Unit(text.charCodeAt(index))) return false;
  }
  return true;
}

/**
 * True when decoded bytes read as text: valid UTF-8 without control characters other than tab,
 * line breaks, vertical tab and form feed. Random bytes (hashes, session ids, images) almost never
 * pass, so ordinary tokens do not add inputs.
 */
function isText(bytes: Buffer): boolean {
  if (bytes.length === 0 || !isUtf8(bytes)) return false;
  for (const byte of bytes) {
    if (byte < 0x20 && (byte < 0x09 || byte > 0x0d)) return false;
    if (byte === 0x7f) return false;
  }
  return true;
}

/** Value of one base64 or base64url character (the span was checked). */
function sextet(code: number): number {
  if (code >= 0x61) return code - 0x61 + 26; // a-z
  if (code >= 0x41) return code === 0x5f ? 63 : code - 0x41; // A-Z, _
  if (code >= 0x30) return code - 0x30 + 52; // 0-9
  return code === 0x2b || code === 0x2d ? 62 : 63; // + -, /
}

/** True for a byte that a text may not contain: a control character other than tab to CR. */
function isControlByte(byte: number): boolean {
  return (byte < 0x20 && (byte < 0x09 || byte > 0x0d)) || byte === 0x7f;
}

/**
 * True when the first bytes that `text[start, end)` decodes to can begin a text as `isText`
 * defines it. It reads only the first four characters (three bytes) and allocates nothing. The
 * ordinary words of a request (`products`, `keep-alive`) almost never decode to a text start, so
 * they are not decoded at all.
 */
function mayDecodeToText(text: string, start: number, end: number): boolean {
  let dataEnd = end;
  while (dataEnd > start && text.charCodeAt(dataEnd - 1) === 0x3d) dataEnd--;
  const count = Math.min(4, dataEnd - start);
  let bits = 0;
  for (let index = 0; index < 4; index++) {
    bits = (bits << 6) | (index < count ? sextet(text.charCodeAt(start + index)) : 0);
  }
  const available = Math.floor((count * 6) / 8);
  const byteAt = (index: number) => (bits >> (16 - 8 * index)) & 0xff;

  // A UTF-8 prefix: ASCII bytes, or lead bytes each followed by their continuation bytes.
  for (let index = 0; index < available;) {
    const lead = byteAt(index);
    if (lead < 0x80) {
      if (isControlByte(lead)) return false;
      index++;
      continue;
    }
    let continuations: number;
    if (lead >= 0xc2 && lead <= 0xdf) continuations = 1;
    else if (lead >= 0xe0 && lead <= 0xef) continuations = 2;
    else if (lead >= 0xf0 && lead <= 0xf4) continuations = 3;
    else return false;
    for (let next = index + 1; next <= index + continuations && next < available; next++) {
      if ((byteAt(next) & 0xc0) !== 0x80) return false;
    }
    index += continuations + 1;
  }
  return true;
}

function decodeSpan(text: string, start: number, end: number): string | undefined {
  if (!isBase64Span(text, start, end) || !mayDecodeToText(text, start, end)) return undefined;

  const bytes = Buffer.from(text.slice(start, end), "base64");
  return isText(bytes) ? bytes.toString("utf8") : undefined;
}

/** The result for the many values that decode to no text, shared rather than allocated per call. */
const noForms: readonly string[] = [];

/**
 * Decodings of values seen before. Values up to 2,048 characters (a JSON Web Token with its
 * claims), 256 of them: an estimated 2 MB at most with their decoded texts.
 */
const decodedForms = new TextMemo<readonly string[]>(256, 2_048);

/**
 * Returns the texts that an app may decode from `value` before building an operation. These are
 * the value as base64 or base64url, the token after an authorization scheme (`Bearer x`,
 * `Basic x`) as base64, and the header and payload of a JSON Web Token (`a.b.c`). Only decodings
 * that read as text count. Returns an empty list for values longer than `maxBase64Length`.
 */
export function base64DecodedForms(value: string): readonly string[] {
  if (value.length < minBase64Length || value.length > maxBase64Length) return noForms;
  // Text such as a User-Agent is rejected before the lookup, so it takes no place in the table.
  if (tokenStart(value) === -1) return noForms;
  return decodedForms.get(value, decodeForms);
}

/**
 * Returns where the base64 part of `value` starts: after `Bearer ` or `Basic ` (the token is
 * what the app decodes), else at 0. Returns -1 for other values with a space, which are text.
 */
function tokenStart(value: string): number {
  const space = value.indexOf(" ");
  if (space === -1) return 0;

  // Most values with a space are text (a User-Agent, a sentence): their first word is not as long
  // as a scheme, and that is decided without slicing and lower-casing it.
  if (!schemeLengths.has(space)) return -1;
  if (!authorizationSchemes.has(value.slice(0, space).toLowerCase())) return -1;
  let start = space + 1;
  while (value.charCodeAt(start) === 0x20) start++;
  return start;
}

function decodeForms(value: string): readonly string[] {
  const start = tokenStart(value);
  const forms: string[] = [];
  const whole = decodeSpan(value, start, value.length);
  if (whole !== undefined) forms.push(whole);

  // A JWT is three base64url parts joined by dots; the signature is binary, so only the first two
  // are decoded. A JWE has five parts, of which only the header is plain text.
  const firstDot = value.indexOf(".", start);
  if (firstDot !== -1) {
    const secondDot = value.indexOf(".", firstDot + 1);
    if (secondDot !== -1) {
      const header = decodeSpan(value, start, firstDot);
      const payload = decodeSpan(value, firstDot + 1, secondDot);
      if (header !== undefined) forms.push(header);
      if (payload !== undefined) forms.push(payload);
    }
  }
  return forms.length === 0 ? noForms : forms;
}
