/** Characters that any IPv4 notation uses; host names almost always contain another letter. */
const ipv4Characters = /^[\dA-Fa-fXx.]+$/;

/**
 * Parses an IPv4 address the way the WHATWG URL parser and `inet_aton` do: one to four parts
 * separated by dots, each decimal, octal (leading `0`) or hexadecimal (`0x`), the last part filling
 * the remaining bytes (`127.1`, `0x7f.1`, `2130706433`, `0177.0.0.1`). One trailing dot is allowed.
 * Returns the address as an unsigned 32-bit number, or undefined when the text is not an IPv4 address.
 */
export function parseIPv4(text: string): number | undefined {
  if (text === "" || text.length > 64) return undefined;

  const dotted = parseDottedDecimal(text);
  if (dotted !== undefined) return dotted;
  if (!ipv4Characters.test(text)) return undefined;

  const host = text.endsWith(".") ? text.slice(0, -1) : text;

  const parts = host.split(".");
  if (parts.length > 4) return undefined;

  const numbers: number[] = [];
  for (const part of parts) {
    const value = parseIPv4Part(part);
    if (value === undefined) return undefined;
    numbers.push(value);
  }
  return combineParts(numbers);
}

/**
 * Parses the canonical form, four decimal parts of 0 to 255 without leading zeros (`127.0.0.1`),
 * in one pass without allocating: the SSRF checks classify each connected address several times,
 * and most are in this form. Returns undefined for any other text, which the general
 * parser then reads (a leading zero makes a part octal there).
 */
function parseDottedDecimal(text: string): number | undefined {
  let address = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x2e) {
      if (digits === 0 || dots === 3) return undefined;
      address = address * 256 + part;
      part = 0;
      digits = 0;
      dots++;
      continue;
    }

    if (code < 0x30 || code > 0x39) return undefined;
    if (digits > 0 && part === 0) return undefined;
    part = part * 10 + (code - 0x30);
    digits++;
    if (part > 255) return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return address * 256 + part;
}

// Module constants: a regular expression literal inside a function is a new object per call.
const hexPrefix = /^0x/i;
const partPatterns = {
  16: /^[0-9a-f]+$/i,
  8: /^[0-7]+$/,
  10: /^[0-9]+$/,
} as const;

function parseIPv4Part(part: string): number | undefined {
  if (part === "") return undefined;

  let digits = part;
  let radix: 16 | 8 | 10 = 10;
  if (hexPrefix.test(part)) {
    digits = part.slice(2);
    radix = 16;
  } else if (part.length > 1 && part.startsWith("0")) {
    digits = part.slice(1);
    radix = 8;
  }

  // "0x" alone is zero for the WHATWG parser.
  if (digits === "") return 0;

  if (!partPatterns[radix].test(digits)) return undefined;

  const value = Number.parseInt(digits, radix);
  return Number.isSafeInteger(value) ? value : undefined;
}

function combineParts(numbers: readonly number[]): number | undefined {
  const last = numbers[numbers.length - 1] ?? 0;
  const leading = numbers.slice(0, -1);
  if (leading.some((value) => value > 255)) return undefined;

  // The last part covers the bytes that the leading parts left: 4 bytes for `a`, 3 for `a.b`, and so on.
  const lastBytes = 4 - leading.length;
  if (last >= 256 ** lastBytes) return undefined;

  let address = 0;
  for (const [index, value] of leading.entries()) address += value * 256 ** (3 - index);
  return address + last;
}

/** Formats a 32-bit IPv4 address in dotted decimal. */
export function formatIPv4(address: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join(".");
}
