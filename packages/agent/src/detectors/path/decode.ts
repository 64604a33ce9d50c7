/**
 * Overlong UTF-8 and IIS `%u` spellings of `.`, `/` and `\`. Standard decoders reject them, but a
 * lenient decoder (older servers, hand-written unescaping) turns them into the character.
 */
const overlongEscapes: ReadonlyArray<readonly [RegExp, string]> = [
  [/%c0%ae|%e0%80%ae|%f0%80%80%ae|%c0%2e|%u002e/gi, "."],
  [/%c0%af|%e0%80%af|%f0%80%80%af|%c0%2f|%u2215|%u002f/gi, "/"],
  [/%c1%9c|%c1%1c|%c0%5c|%u2216|%u005c/gi, "\\"],
];

const asciiEscape = /%([0-7][0-9a-f])/gi;

/**
 * Decodes percent escapes once, never throwing. Valid UTF-8 sequences decode as
 * `decodeURIComponent` does. When the text holds an invalid sequence, overlong spellings of
 * path characters and plain ASCII escapes are decoded and the rest is kept, as lenient decoders do.
 */
export function decodeLeniently(text: string): string {
  if (!text.includes("%")) return text;

  let lenient = text;
  for (const [pattern, character] of overlongEscapes) lenient = lenient.replace(pattern, character);

  try {
    return decodeURIComponent(lenient);
  } catch {
    return lenient.replace(asciiEscape, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
}
