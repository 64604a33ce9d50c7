/**
 * Attributes whose value a browser loads or navigates to as a URL. A `javascript:` URL there runs
 * script on click, load or submit.
 */
const urlAttributes: ReadonlySet<string> = new Set([
  "href",
  "src",
  "action",
  "formaction",
  "data",
  "poster",
  "background",
  "cite",
  "codebase",
  "dynsrc",
  "lowsrc",
  "xlink:href",
  "ping",
]);

/** True for an attribute whose value is a URL (`href`, `src`, `action` …). */
export function isUrlAttribute(name: string): boolean {
  return urlAttributes.has(name);
}

/** Named character references that obfuscate a scheme (`java&Tab;script&colon;`). */
const namedReferences: Readonly<Record<string, string>> = {
  colon: ":",
  tab: "\t",
  newline: "\n",
  sol: "/",
  lpar: "(",
  rpar: ")",
  amp: "&",
  quot: '"',
  apos: "'",
  lt: "<",
  gt: ">",
  nbsp: "\u00a0",
};

const characterReference = /&(?:#[xX]([0-9a-fA-F]{1,8});?|#([0-9]{1,10});?|([a-zA-Z]{2,8});)/g;

function decodeReference(
  match: string,
  hex: string | undefined,
  decimal: string | undefined,
  named: string | undefined,
): string {
  if (named !== undefined) return namedReferences[named.toLowerCase()] ?? match;

  const code = hex !== undefined ? parseInt(hex, 16) : parseInt(decimal ?? "", 10);
  if (!Number.isFinite(code) || code > 0x10ffff) return "\ufffd";
  return String.fromCodePoint(code);
}

/**
 * Returns the scheme-relevant prefix of an attribute value as a browser reads it: character
 * references decoded, leading spaces and control characters stripped, and tabs and line breaks
 * removed (the URL parser drops them), lowercased. Only the first 256 characters of the value are
 * read and 64 returned, since a scheme is short.
 */
export function normalizeUrlPrefix(rawValue: string): string {
  const decoded = rawValue.slice(0, 256).replace(characterReference, decodeReference);
  // eslint-disable-next-line no-control-regex
  const withoutControls = decoded.replace(/^[\u0000-\u0020]+/, "").replace(/[\t\n\r]/g, "");
  return withoutControls.slice(0, 64).toLowerCase();
}

/** True when a normalized URL value runs script: `javascript:`, `vbscript:` or an HTML `data:` URL. */
export function isScriptUrl(normalizedPrefix: string): boolean {
  return (
    normalizedPrefix.startsWith("javascript:") ||
    normalizedPrefix.startsWith("vbscript:") ||
    normalizedPrefix.startsWith("data:text/html") ||
    normalizedPrefix.startsWith("data:image/svg+xml")
  );
}
