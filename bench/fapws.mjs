// The Fapws4 seed protocol: ab -n N -c C for every N and C, each R times, waiting before each
// run until the machine's open connections settle.

export const FULL = { requests: [1000, 10000, 50000], concurrency: [10, 100, 500, 1000], repetitions: 3 };
export const QUICK = { requests: [1000, 10000], concurrency: [10, 100], repetitions: 1 };

/**
 * The runs of the matrix, in the posts' order (N outer, C inner, repetitions innermost).
 * @param {{ requests: number[], concurrency: number[], repetitions: number }} m
 */
export function matrix(m) {
  const out = [];
  for (const n of m.requests) {
    for (const c of m.concurrency) {
      for (let rep = 1; rep <= m.repetitions; rep++) out.push({ requests: n, concurrency: c, repetition: rep });
    }
  }
  return out;
}
