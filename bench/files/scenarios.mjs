// The static-file suite's scenarios: which fixture file, what it is judged by, and its load.
// Small files are about requests (per server CPU-second); large files about bytes, and the
// 100 MiB one also about memory (RSS sampled during the run: it must stay flat).
import { FIXTURE } from './fixture.mjs';

/**
 * @typedef {{ name: '13b' | '4k' | '1m' | '100m', file: string, label: string, unit: 'requests' | 'bytes', rss: boolean }} FileScenario
 */

/** @type {FileScenario[]} */
export const FILE_SCENARIOS = [
  { name: '13b', file: '13b.txt', label: '13 B', unit: 'requests', rss: false },
  { name: '4k', file: '4k.bin', label: '4 KiB', unit: 'requests', rss: false },
  { name: '1m', file: '1m.bin', label: '1 MiB', unit: 'bytes', rss: false },
  { name: '100m', file: '100m.bin', label: '100 MiB', unit: 'bytes', rss: true },
];

export const FILE_SCENARIO_NAMES = FILE_SCENARIOS.map((s) => s.name);

/** @param {string} name */
export function findFileScenario(name) {
  const s = FILE_SCENARIOS.find((x) => x.name === name);
  if (!s) throw new Error(`unknown files scenario "${name}"; scenarios: ${FILE_SCENARIO_NAMES.join(', ')}`);
  return s;
}

/** The fixture entry of a scenario (its size). @param {FileScenario} s */
export const fixtureFile = (s) => /** @type {import('./fixture.mjs').FixtureFile} */ (FIXTURE.find((f) => f.name === s.file));

/**
 * The wrk load of a scenario. Everything is wrk keep-alive with `connections` (100) connections;
 * the 100 MiB file gets its own count and a longer run: 100 connections × 100 MiB is ~10 GiB,
 * about 8 s of loopback transfer on the 2-core bench VM, so the default 20 s lets every connection
 * finish about two files (the figure is wrk's bytes read, which counts partial transfers too).
 * wrk's response timeout is raised past the run for large files, where a response legitimately
 * takes seconds.
 * @param {FileScenario} s
 * @param {{ connections: number, duration: number, warmup: number, quick: boolean,
 *   largeConnections?: number | null, largeDuration?: number | null }} o
 * @returns {{ connections: number, seconds: number, warmup: number, timeoutS: number, sampleRssMs?: number }}
 */
export function fileLoad(s, o) {
  if (s.name === '100m') {
    const seconds = o.largeDuration ?? (o.quick ? 3 : 20);
    return {
      connections: o.largeConnections ?? (o.quick ? 10 : 100),
      seconds,
      warmup: o.warmup,
      timeoutS: seconds + 10,
      sampleRssMs: 200,
    };
  }
  if (s.unit === 'bytes') return { connections: o.connections, seconds: o.duration, warmup: o.warmup, timeoutS: o.duration + 10 };
  return { connections: o.connections, seconds: o.duration, warmup: o.warmup, timeoutS: 5 };
}
