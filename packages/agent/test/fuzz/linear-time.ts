import assert from "node:assert/strict";

/**
 * Sizes compared by the growth check, in UTF-16 code units. The small sample is 256 KiB, not
 * 100 KiB. The token lists of a 100 KiB sample fit in V8's young generation and cost almost no
 * garbage collection, so linear lexers looked 50 to 150 times slower at 1 MiB on a loaded machine.
 * From 256 KiB up the time of linear code grows in proportion (measured up to 2 MiB).
 */
export const smallSize = 256 * 1024;
export const largeSize = 1024 * 1024;

/**
 * Maximum time to judge one 1 MiB sample, in milliseconds. Linear code needs tens to hundreds of
 * milliseconds under tsx, so the bound leaves room for a loaded shared 2-core machine. A quadratic
 * step takes minutes at this size and fails it.
 */
export const largeBudgetMs = 2_000;

/**
 * Maximum ratio between the time of one 1 MiB sample and the time of four 256 KiB samples run
 * back to back. Both judge the same amount of text, so linear work gives 1, n log n about 1.1 and
 * quadratic work 4 or more. Four small runs against one large run keep the garbage collected per
 * measurement alike. Still, on Node.js 24 the lexers that keep one entry per token measured up to
 * 3.0 (`$(` repeated), because the collector traces the large sample's token list more often. A
 * failed check is measured once more; the absolute budget above catches quadratic work as well.
 */
export const maxGrowthRatio = 3.5;
/**
 * Smallest time of the four 256 KiB runs used in the ratio, in milliseconds. Below it one
 * collection of the young generation changes the ratio by more than quadratic growth would, and
 * work that finishes a 1 MiB sample in under 200 ms is fast enough whatever its growth.
 */
const noiseFloorMs = 80;

/** Returns `piece` repeated and cut to exactly `length` code units. */
export function repeatTo(piece: string, length: number): string {
  return piece.repeat(Math.ceil(length / piece.length)).slice(0, length);
}

/**
 * Returns the CPU times (user and system, all threads of this process) of `rounds` runs of `run`,
 * in milliseconds, sorted. CPU time rather than wall-clock time, because other processes on a
 * shared machine delay a run without adding to its CPU time.
 */
function sortedTimesMs(run: () => void, rounds: number): number[] {
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = process.cpuUsage();
    run();
    const used = process.cpuUsage(start);
    times.push((used.user + used.system) / 1000);
  }
  return times.sort((first, second) => first - second);
}

/** Returns the best of `rounds` CPU times of `run`, in milliseconds. */
export function bestTimeMs(run: () => void, rounds: number): number {
  return sortedTimesMs(run, rounds)[0] as number;
}

/**
 * Returns the median of three CPU times of `run`, in milliseconds. The median is used for
 * ratios: the best time of a small sample is often a run without any garbage collection, which
 * would inflate the ratio of linear code.
 */
function medianTimeMs(run: () => void): number {
  return sortedTimesMs(run, 3)[1] as number;
}

/**
 * Checks that `build(size)` returns work that finishes a 1 MiB sample within `largeBudgetMs` and
 * takes at most `maxGrowthRatio` times as long as four 256 KiB samples. The work must not throw.
 */
export function assertLinear(label: string, build: (size: number) => () => void): void {
  const smallSample = build(smallSize);
  const small = () => {
    for (let run = 0; run < largeSize / smallSize; run++) smallSample();
  };
  const large = build(largeSize);
  // One warm-up run of the small sample, so that compilation is not counted.
  smallSample();

  let smallMs = 0;
  let largeMs = 0;
  for (let attempt = 0; attempt < 2; attempt++) {
    smallMs = medianTimeMs(small);
    largeMs = medianTimeMs(large);
    const withinBounds =
      largeMs < largeBudgetMs && largeMs < maxGrowthRatio * Math.max(smallMs, noiseFloorMs);
    if (withinBounds) break;
  }

  const detail = `${label}: ${smallMs.toFixed(1)} ms for 4 x 256 KiB, ${largeMs.toFixed(1)} ms for 1 MiB`;
  console.log(`# ${detail} (CPU time)`);
  assert.ok(largeMs < largeBudgetMs, `${detail}, over the ${largeBudgetMs} ms budget`);
  assert.ok(
    largeMs < maxGrowthRatio * Math.max(smallMs, noiseFloorMs),
    `${detail}, grows faster than linear`,
  );
}
