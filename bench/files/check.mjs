// The files suite's correctness check, before measuring a server on a file: two GETs on one
// keep-alive connection (what wrk does), each 200 with the file's Content-Length and a body
// whose SHA-256 is the fixture's. A server failing it is reported unsupported, not measured.
import http from 'node:http';
import { createHash } from 'node:crypto';

/**
 * @param {http.Agent} agent
 * @param {number} port
 * @param {string} path
 * @param {number} timeoutMs
 * @returns {Promise<{ status: number, headers: http.IncomingHttpHeaders, size: number, sha256: string, reused: boolean }>}
 */
function get(agent, port, path, timeoutMs) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      const hash = createHash('sha256');
      let size = 0;
      res.on('data', (d) => {
        size += d.length;
        hash.update(d);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, size, sha256: hash.digest('hex'), reused: req.reusedSocket }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no complete answer within ${timeoutMs / 1000}s`)));
    req.on('error', reject);
  });
}

/**
 * Why the server does not serve `path` as the fixture file, or null.
 * @param {{ status: number, headers: http.IncomingHttpHeaders, size: number, sha256: string }} r
 * @param {{ size: number, sha256: string }} want
 */
export function fileMismatch(r, want) {
  if (r.status !== 200) return `status ${r.status}`;
  const len = r.headers['content-length'];
  if (len === undefined) return 'no content-length header';
  if (Number(len) !== want.size) return `content-length ${len}, expected ${want.size}`;
  if (r.size !== want.size) return `body of ${r.size} bytes, expected ${want.size}`;
  if (r.sha256 !== want.sha256) return 'body differs from the file (sha256)';
  return null;
}

/**
 * @param {{ port: number, path: string, size: number, sha256: string, timeoutMs?: number }} o
 * @returns {Promise<{ ok: true } | { ok: false, reason: string }>}
 */
export async function checkFile({ port, path, size, sha256, timeoutMs = 30000 }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (const n of [1, 2]) {
      const r = await get(agent, port, path, timeoutMs);
      const bad = fileMismatch(r, { size, sha256 });
      if (bad) return { ok: false, reason: bad };
      if (n === 2 && !r.reused) return { ok: false, reason: 'closed the connection after one response (no keep-alive)' };
    }
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: /** @type {Error} */ (e).message };
  } finally {
    agent.destroy();
  }
}
