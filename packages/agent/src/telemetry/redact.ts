/** Keys whose values are secrets: the whole value is masked in events. */
const sensitiveKey =
  /pass(word|wd)?|secret|token|auth|api[-_]?key|session|cookie|card|cvv|ssn|credential|private[-_]?key/i;

/** Secret shapes that may sit inside any value: JSON Web Tokens and bearer credentials. */
const secretShapes = [/\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g, /\b(Bearer|Basic)\s+[\w+/=.~-]{8,}/gi];

/** Maximum length of an input in an event, in characters. Longer inputs are cut and the cut is marked. */
export const maxInputLength = 512;

/** Maximum length of an operation (SQL text) in an event, in characters. */
export const maxOperationLength = 2048;

/** True when an input path such as `body.user.password` names a secret. */
export function isSensitivePath(inputPath: string): boolean {
  const lastKey = inputPath.slice(inputPath.lastIndexOf(".") + 1);
  return (
    sensitiveKey.test(lastKey) ||
    inputPath.startsWith("cookies.") ||
    inputPath === "headers.authorization"
  );
}

/** Masks a secret, keeping only its length so that an analyst can still correlate events. */
export function maskSecret(value: string): string {
  return `[redacted ${value.length} chars]`;
}

/** Replaces secret shapes (tokens) inside free text. */
export function maskSecretShapes(text: string): string {
  let masked = text;
  for (const shape of secretShapes) masked = masked.replace(shape, (match) => maskSecret(match));
  return masked;
}

/** Cuts text to `max` characters, marking how much was left out. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}…[${text.length - max} more chars]`;
}
