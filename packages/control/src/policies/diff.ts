/** One line of a diff: kept, removed from the old text, or added in the new one. */
export interface DiffLine {
  readonly kind: " " | "-" | "+";
  readonly text: string;
}

/** Largest number of lines on each side that is diffed line by line (the table has lines x lines counters: 9 MB at the limit). */
const maxDiffLines = 1500;

/**
 * Diffs two policy texts line by line, by longest common subsequence. Policies are small (at most
 * 256 KiB). Beyond `maxDiffLines` lines per side the diff shows the whole old text removed and the
 * new one added, because the table would take quadratic memory.
 */
export function diffLines(before: string, after: string): DiffLine[] {
  const a = before.split("\n");
  const b = after.split("\n");
  if (a.length > maxDiffLines || b.length > maxDiffLines) {
    return [
      ...a.map((text) => ({ kind: "-" as const, text })),
      ...b.map((text) => ({ kind: "+" as const, text })),
    ];
  }

  // lengths[i][j]: longest common subsequence of a[i..] and b[j..], in one flat array.
  const width = b.length + 1;
  const lengths = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i * width + j] =
        a[i] === b[j]
          ? (lengths[(i + 1) * width + j + 1] as number) + 1
          : Math.max(lengths[(i + 1) * width + j] as number, lengths[i * width + j + 1] as number);
    }
  }

  const lines: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      lines.push({ kind: " ", text: a[i] as string });
      i += 1;
      j += 1;
    } else if ((lengths[(i + 1) * width + j] as number) >= (lengths[i * width + j + 1] as number)) {
      lines.push({ kind: "-", text: a[i] as string });
      i += 1;
    } else {
      lines.push({ kind: "+", text: b[j] as string });
      j += 1;
    }
  }
  for (; i < a.length; i++) lines.push({ kind: "-", text: a[i] as string });
  for (; j < b.length; j++) lines.push({ kind: "+", text: b[j] as string });
  return lines;
}
