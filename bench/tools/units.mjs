// Unit conversions shared by the wrk and ab parsers.

/** wrk prints durations as 850.00us, 1.23ms, 2.00s, 1.00m. @param {string} text @returns {number} ms */
export function durationMs(text) {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!m) return NaN;
  const scale = { us: 0.001, ms: 1, s: 1000, m: 60000, h: 3600000 }[m[2]];
  return Number(m[1]) * /** @type {number} */ (scale);
}
