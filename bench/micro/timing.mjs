// Timing of one synchronous call, repeated in batches, for the microbenchmarks.

/** Prevents the JIT from dropping calls whose result is unused. */
let keep = 0;

/**
 * Times `run` and returns nanoseconds per call: the median and the minimum over `batches` batches.
 * Each batch repeats the call enough times to last about `batchMs` milliseconds, so that the
 * timer's resolution does not matter. A warm-up of the same length as one batch compiles the
 * code before timing starts.
 */
export function timeCall(run, { batches, batchMs }) {
  const iterations = iterationsFor(run, batchMs);
  runBatch(run, iterations);

  const perCall = [];
  for (let batch = 0; batch < batches; batch++) {
    perCall.push(runBatch(run, iterations) / iterations);
  }
  perCall.sort((a, b) => a - b);
  return {
    medianNs: perCall[Math.floor(perCall.length / 2)],
    minNs: perCall[0],
    iterations,
    batches,
  };
}

/** Doubles the iteration count until one batch lasts at least `batchMs`. */
function iterationsFor(run, batchMs) {
  let iterations = 16;
  for (;;) {
    const elapsedNs = runBatch(run, iterations);
    if (elapsedNs >= batchMs * 1e6 || iterations >= 2 ** 26) return iterations;
    iterations *= 2;
  }
}

function runBatch(run, iterations) {
  const started = process.hrtime.bigint();
  for (let index = 0; index < iterations; index++) {
    if (run() !== undefined) keep++;
  }
  return Number(process.hrtime.bigint() - started);
}

const referenceText = "lorem ipsum dolor sit amet, consectetur adipiscing elit ".repeat(40);
const referenceWords = ["adipiscing", "elitx", "consectetur", "dolorem", "amet,"];

/**
 * A fixed workload of string searches and JSON work that uses no agent code. Its time in the same
 * run shows how fast the machine is at that moment, so that a slower or busier machine does not
 * look like a slower detector.
 */
export function referenceWorkload() {
  let found = 0;
  for (const word of referenceWords) {
    if (referenceText.lastIndexOf(word) >= 0) found++;
  }
  const parsed = JSON.parse('{"a":[1,2,3],"b":{"c":"d"},"e":"fghij"}');
  return found + parsed.a.length === 6 ? undefined : found;
}

/** Returns a value derived from every timed call, so that callers can show that calls ran. */
export function keptResults() {
  return keep;
}
