/**
 * Masks secrets before an event leaves the agent: values under sensitive keys, values of the
 * request's sensitive inputs wherever they reappear, and secret shapes (tokens, keys, emails, card
 * numbers) inside any text. The attack's own structure (quotes, operators, path segments) is kept,
 * so that an analyst can still judge the payload.
 */

/**
 * Words that make a key sensitive when they appear as one word of it (`accessToken`,
 * `x-api-key`, `card_number`). Matching whole words keeps `author` or `discard` visible.
 */
const sensitiveWords = new Set([
  "password",
  "passwd",
  "pwd",
  "pass",
  "passphrase",
  "secret",
  "token",
  "auth",
  "authorization",
  "apikey",
  "session",
  "sessionid",
  "sid",
  "cookie",
  "card",
  "cardnumber",
  "ccnum",
  "cvv",
  "cvc",
  "ssn",
  "credential",
  "credentials",
  "jwt",
  "otp",
  "signature",
]);

/** Pairs of adjacent words that are sensitive together: `api key`, `private key`, `access key`. */
const sensitiveWordPairs = new Set(["api key", "private key", "access key", "secret key"]);

/** Normalized extra keys from RAMPART_REDACT_KEYS. */
let extraKeys: readonly string[] = [];

/** Adds key names to the built-in list (`RAMPART_REDACT_KEYS`). A key matches when it contains the name, ignoring case and `-_. `. */
export function setExtraRedactKeys(keys: readonly string[]): void {
  extraKeys = keys.map(normalizeKey).filter((key) => key !== "");
  keyVerdicts.clear();
}

/**
 * Verdicts of `isSensitiveKey` per key, because every event checks every input key of its request.
 * Emptied when full, so an attacker sending random keys cannot grow it.
 */
const keyVerdicts = new Map<string, boolean>();
const maxKeyVerdicts = 4096;

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_.\s]/g, "");
}

/** Splits `accessToken`, `x-api-key` or `CARD_NUMBER` into lower-case words. */
function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== "");
}

/** True when an object key or header name names a secret. */
export function isSensitiveKey(key: string): boolean {
  let verdict = keyVerdicts.get(key);
  if (verdict === undefined) {
    verdict = judgeKey(key);
    if (keyVerdicts.size >= maxKeyVerdicts) keyVerdicts.clear();
    keyVerdicts.set(key, verdict);
  }
  return verdict;
}

function judgeKey(key: string): boolean {
  const words = keyWords(key);
  for (let index = 0; index < words.length; index++) {
    if (sensitiveWords.has(words[index]!)) return true;
    if (index > 0 && sensitiveWordPairs.has(`${words[index - 1]} ${words[index]}`)) return true;
  }
  if (extraKeys.length === 0) return false;

  const normalized = normalizeKey(key);
  return extraKeys.some((extra) => normalized.includes(extra));
}

/** True when an input path such as `body.user.password` or `headers.x-api-key` names a secret. */
export function isSensitivePath(inputPath: string): boolean {
  if (inputPath.startsWith("cookies.") || inputPath === "headers.cookie") return true;

  const lastKey = inputPath.slice(inputPath.lastIndexOf(".") + 1).replace(/\[\d+\]$/, "");
  return isSensitiveKey(lastKey);
}

/** A value that this module already masked. */
const maskedValue = /^\[redacted [^\]]*\]$/;

/** Masks a secret, keeping only its length so that an analyst can still correlate events. */
export function maskSecret(value: string, kind?: string): string {
  return kind === undefined
    ? `[redacted ${value.length} chars]`
    : `[redacted ${kind}, ${value.length} chars]`;
}

/** True for a digit string that passes the Luhn checksum, as every payment card number does. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let index = digits.length - 1; index >= 0; index--) {
    let digit = digits.charCodeAt(index) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * Key names that announce a secret inside free text: `password=…`, `"api_key": "…"`, `token: …`.
 * NOTE: an attack placed as the value of such a key (`password : /.*\/` in a NoSQL filter) is
 * masked too, so the event then shows the injection only through its input path and reason.
 */
const keyedSecret =
  /(["']?)([\w-]*?(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[-_]?key|authorization|session(?:[-_]?id)?|cookie|cvv|cvc|ssn|card[-_]?number|credit[-_]?card|private[-_]?key|access[-_]?key)[\w-]*)\1(\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s&,;'"<>(){}[\]]+)/gi;

interface SecretShape {
  readonly kind: string;
  readonly pattern: RegExp;
  /** Extra check on a match, such as the Luhn checksum of a card number. */
  readonly accept?: (match: string) => boolean;
}

const secretShapes: readonly SecretShape[] = [
  { kind: "jwt", pattern: /\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g },
  { kind: "credential", pattern: /\b(?:Bearer|Basic|Token)\s+[\w+/=.~-]{8,}/gi },
  // AWS access key ids: a four-letter prefix naming the key kind, then 16 characters.
  { kind: "aws key", pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g },
  // The last label must be alphabetic, so `user@127.0.0.1` in a payload is left visible.
  {
    kind: "email",
    pattern: /[\w.+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,63}\b/g,
  },
  {
    kind: "card",
    pattern: /\b\d(?:[ -]?\d){12,18}\b/g,
    accept: (match) => passesLuhn(match.replace(/[ -]/g, "")),
  },
];

/**
 * Text that none of the shapes above can match skips them: every shape needs one of these (a JWT
 * starts `eyJ`, an email has `@`, a card number 13 digits, a keyed secret one of the key words).
 * One scan instead of six, for the stack frames, paths and SQL text that make up most events.
 */
const shapeCandidate =
  /eyJ|bearer|basic|token|A[KSGIRNP][A-Z]A|@|\d[ -]?\d[ -]?\d[ -]?\d[ -]?\d[ -]?\d[ -]?\d[ -]?\d[ -]?\d[ -]?\d[ -]?\d[ -]?\d[ -]?\d|pass|pwd|secret|api[-_]?key|auth|session|cookie|cv[vc]|ssn|card|private|access/i;

/** Replaces secret shapes inside free text: tokens, AWS keys, emails, card numbers and `key=value` secrets. */
export function maskSecretShapes(text: string): string {
  if (!shapeCandidate.test(text)) return text;

  let masked = text;
  for (const shape of secretShapes) {
    masked = masked.replace(shape.pattern, (match) =>
      shape.accept === undefined || shape.accept(match) ? maskSecret(match, shape.kind) : match,
    );
  }

  // Runs after the shapes, so `Authorization: Bearer …` is masked as one credential; a value that
  // is already masked starts with `[` and is left alone.
  return masked.replace(
    keyedSecret,
    (match: string, quote: string, key: string, separator: string, value: string) =>
      // The pattern also matches keys that merely contain a word (`tokens`); keep those.
      isSensitiveKey(key) ? `${quote}${key}${quote}${separator}${maskQuoted(value)}` : match,
  );
}

/** Masks a value while keeping its quotes, so the text around it still parses the same way. */
function maskQuoted(value: string): string {
  const quote = value[0];
  if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote)) {
    const inner = value.slice(1, -1);
    return maskedValue.test(inner) ? value : `${quote}${maskSecret(inner)}${quote}`;
  }
  return maskSecret(value);
}

/**
 * Shortest secret value that is searched for in other text. Shorter values (a 3-digit PIN) would
 * mask unrelated characters of the operation.
 */
export const minKnownSecretLength = 4;

/** Replaces every occurrence of the given secret values (the request's sensitive inputs) in `text`. */
export function maskKnownSecrets(text: string, secrets: readonly string[]): string {
  let masked = text;
  for (const secret of secrets) {
    if (secret.length < minKnownSecretLength || !masked.includes(secret)) continue;
    masked = masked.split(secret).join(maskSecret(secret));
  }
  return masked;
}

/** Maximum length of an input in an event, in characters. Longer inputs are cut and the cut is marked. */
export const maxInputLength = 512;

/** Maximum length of an operation (SQL text) in an event, in characters. */
export const maxOperationLength = 2048;

/** Cuts text to `max` characters, marking how much was left out. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}…[${text.length - max} more chars]`;
}

/** Keys whose values are identifiers written by the agent, never user text: shapes are not searched there. */
const agentIdKeys = new Set([
  "event_id",
  "request_id",
  "trace_id",
  "span_id",
  "first_event_id",
  "time",
  "first_time",
]);

/**
 * Applies key and shape redaction to every string of an event, as the last step before exporters
 * receive it. Events built by the agent are already redacted; this pass also covers fields added
 * later and events that an app publishes itself. Returns a new object; the input is not changed.
 */
export function redactEvent<T>(event: T): T {
  return redactValue(event, undefined, 0) as T;
}

const maxDepth = 8;

function redactValue(value: unknown, key: string | undefined, depth: number): unknown {
  if (typeof value === "string") return redactString(value, key);
  if (typeof value !== "object" || value === null || depth > maxDepth) return value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, key, depth + 1));

  const record = value as Record<string, unknown>;
  const sensitiveInput = typeof record.path === "string" && isSensitivePath(record.path);
  const result: Record<string, unknown> = {};
  for (const [childKey, child] of Object.entries(record)) {
    if (sensitiveInput && childKey === "value" && typeof child === "string") {
      result[childKey] = maskedValue.test(child) ? child : maskSecret(child);
      continue;
    }
    result[childKey] = redactValue(child, childKey, depth + 1);
  }
  return result;
}

function redactString(value: string, key: string | undefined): string {
  if (key === undefined) return maskSecretShapes(value);
  if (agentIdKeys.has(key)) return value;
  if (isSensitiveKey(key)) return maskedValue.test(value) ? value : maskSecret(value);
  return maskSecretShapes(value);
}
