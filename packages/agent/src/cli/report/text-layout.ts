/** Width of the terminal that text output is laid out for, in columns. */
export const terminalWidth = 80;

/** Cuts text to `width` characters, ending a cut with `…`. */
export function fit(text: string, width: number): string {
  if (text.length <= width) return text;
  return `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** Breaks text into lines of at most `width` characters, each prefixed by `indent`. */
export function wrap(text: string, indent: string, width: number = terminalWidth): string[] {
  const room = Math.max(10, width - indent.length);
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let rest = paragraph;
    while (rest.length > room) {
      // Break after the last space that fits, or mid-word when a word is longer than a line.
      const space = rest.lastIndexOf(" ", room);
      const end = space > room / 2 ? space + 1 : room;
      lines.push(indent + rest.slice(0, end).trimEnd());
      rest = rest.slice(end);
    }
    lines.push(indent + rest);
  }
  return lines;
}

/** Formats `label:` in a fixed-width column followed by the value, wrapped under it. */
export function field(label: string, value: string): string[] {
  const labelWidth = 12;
  const [first = "", ...rest] = wrap(value, " ".repeat(labelWidth));
  return [`${`${label}:`.padEnd(labelWidth)}${first.slice(labelWidth)}`, ...rest];
}

/**
 * Lays out rows as a table within the terminal width: the first column is cut to fit, the number
 * columns are right-aligned. Rows beyond `maxRows` are summarized in one line.
 */
export function table(
  title: string,
  columns: readonly string[],
  rows: readonly (readonly [string, ...number[]])[],
  maxRows: number,
): string[] {
  const numberWidth = Math.max(9, ...columns.map((column) => column.length)) + 1;
  const keyWidth = terminalWidth - numberWidth * columns.length;
  const header =
    fit(title, keyWidth).padEnd(keyWidth) + columns.map((c) => c.padStart(numberWidth)).join("");
  const lines = [header];
  for (const [key, ...numbers] of rows.slice(0, maxRows)) {
    lines.push(
      fit(key, keyWidth - 1).padEnd(keyWidth) +
        numbers.map((n) => String(n).padStart(numberWidth)).join(""),
    );
  }
  if (rows.length > maxRows) lines.push(`  … ${rows.length - maxRows} more (see --format json)`);
  if (rows.length === 0) lines.push("  (none)");
  return lines;
}
