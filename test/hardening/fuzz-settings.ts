/**
 * How long the hardening properties run. CI runs each property a bounded number of times
 * with a fixed seed; `PIC_FUZZ_RUNS=100000` runs every property that many times instead
 * (and `PIC_FUZZ_SEED` picks another seed), for a long local fuzzing session.
 */
const requested = Number(process.env['PIC_FUZZ_RUNS'] ?? '');
const seed = Number(process.env['PIC_FUZZ_SEED'] ?? '');

export const FUZZ_SEED = Number.isInteger(seed) && seed !== 0 ? seed : 20_261_125;

/** numRuns for a property: `ciRuns` by default, PIC_FUZZ_RUNS when set (never fewer than ciRuns). */
export function fuzzRuns(ciRuns: number): number {
  return Number.isInteger(requested) && requested > ciRuns ? requested : ciRuns;
}

/** fast-check parameters: the fixed seed and the run count. */
export function fuzzParams(ciRuns: number): { seed: number; numRuns: number } {
  return { seed: FUZZ_SEED, numRuns: fuzzRuns(ciRuns) };
}
