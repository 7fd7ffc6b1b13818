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

// Making the full matrix practical on one box. Each run of N requests leaves N sockets in
// TIME_WAIT for 60 s (Linux's fixed TCP_TIMEWAIT_LEN; tcp_fin_timeout does not shorten it), and
// the seed waits for them to drain before the next run: 35 waits of ~60 s, ~40 min a server, and
// on a shared machine never "settled" at all (another user's sockets count too). Instead each run
// connects from its own local address, 127.0.0.2, 127.0.0.3, … (ab -B; all of 127/8 is loopback
// on Linux, nothing to configure), and the settle wait counts the sockets on that address only:
// the run still starts with none of its own 4-tuples in TIME_WAIT, as the seed wants, while the
// addresses used before it drain. The protocol itself (ab -n N -c C, 3 repetitions, a settle
// before every run) is unchanged, and no socket option (SO_LINGER) or sysctl is touched.
// `--sources 1` is the seed's single address and machine-wide count.

/** Local addresses the matrix rotates over by default. */
export const SOURCES = 64;

/**
 * The local address of the harness's `i`-th ab run when runs rotate over `k` addresses
 * (127.0.0.2 … 127.0.0.(k+1), one per run, wrapping), or undefined for k = 1 (ab's own choice,
 * 127.0.0.1 to reach the server): the seed's setup.
 * @param {number} i
 * @param {number} k
 */
export function sourceAddress(i, k) {
  if (k <= 1) return undefined;
  if (k > 254) throw new Error('at most 254 source addresses (127.0.0.2-255)');
  return `127.0.0.${2 + (i % k)}`;
}
