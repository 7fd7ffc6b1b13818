// What an idle keep-alive connection costs a server in memory: the server's RSS before and after N
// clients have each made one request and stayed connected (issue #13).
//
//   node bench/idle.mjs                                   uvhttp-static, uwebsockets, node-http; 10,000
//   node bench/idle.mjs --server uvhttp-static,nginx --connections 5000 --rounds 5
//
// Servers are the harness's (bench/servers/index.mjs, UVHTTP_BASELINE adds -baseline rows). Each round
// starts every server afresh, in turn (rounds interleave servers, so drift in the machine spreads over
// all of them), warms it with a few hundred short connections, reads its RSS, opens the connections
// (200 at a time, one GET each, the response read), waits a second and reads its RSS again. The figure
// is the median delta over the rounds, in MB and in bytes per connection.
//
// The connections must all be open at the second reading: servers close idle keep-alive connections
// after a timeout (uvhttp and node:http 5 s, uWS 10 s), so opening is bounded well under it, and a
// connection closed early is counted and reported. Needs `ulimit -n` above the connection count (this
// process holds the client ends; each server its own).
import net from 'node:net';
import { setMaxListeners } from 'node:events';
import { parseArgs } from 'node:util';
import { findServer } from './servers/index.mjs';
import { startServer } from './server-process.mjs';
import { treeMemoryMb } from './cpu.mjs';

const { values } = parseArgs({
  options: {
    server: { type: 'string', default: 'uvhttp-static,uwebsockets,node-http' },
    connections: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const names = values.server.split(',').filter(Boolean);
const count = Number(values.connections);
const rounds = Number(values.rounds);
setMaxListeners(0, process); // startServer hooks exit once per server started
const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/** One connection, one request, the whole response read; resolves with the open socket. */
function connectOnce(/** @type {number} */ port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.setNoDelay(true);
    s.on('error', reject);
    s.on('connect', () => s.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    const onData = (/** @type {Buffer} */ d) => {
      got += d.toString('latin1');
      const end = got.indexOf('\r\n\r\n');
      const m = /content-length:\s*(\d+)/i.exec(got);
      if (end >= 0 && m && got.length >= end + 4 + Number(m[1])) {
        s.off('data', onData);
        s.on('data', () => {});
        resolve(s);
      }
    };
    s.on('data', onData);
  });
}

/** Opens n connections, `parallel` at a time. */
async function openMany(/** @type {number} */ port, /** @type {number} */ n, parallel = 200) {
  /** @type {net.Socket[]} */
  const sockets = [];
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      sockets.push(/** @type {net.Socket} */ (await connectOnce(port)));
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
  return sockets;
}

async function measure(/** @type {string} */ name) {
  const server = await startServer(findServer(name), { workers: 1 });
  try {
    for (const s of await openMany(server.port, 500)) s.destroy(); // warm: code paths, pools, JIT
    await sleep(1000);
    const before = treeMemoryMb(server.pid).rss;
    const started = Date.now();
    const sockets = await openMany(server.port, count);
    const openMs = Date.now() - started;
    let closedEarly = 0;
    for (const s of sockets) s.once('close', () => closedEarly++);
    await sleep(1000);
    const after = treeMemoryMb(server.pid).rss;
    for (const s of sockets) s.destroy();
    return { name, before, after, delta: after - before, openMs, closedEarly };
  } finally {
    await server.stop();
  }
}

/** @type {Record<string, Awaited<ReturnType<typeof measure>>[]>} */
const results = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < rounds; r++) {
  for (const name of names) {
    const m = await measure(name);
    results[name].push(m);
    if (!values.json)
      console.error(
        `round ${r + 1} ${name}: ${m.before.toFixed(1)} -> ${m.after.toFixed(1)} MB (+${m.delta.toFixed(1)}), ` +
          `opened in ${m.openMs} ms${m.closedEarly ? `, ${m.closedEarly} closed early` : ''}`,
      );
    await sleep(500);
  }
}

const median = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = names.map((name) => {
  const rs = results[name];
  const delta = median(rs.map((m) => m.delta));
  return {
    server: name,
    connections: count,
    rss_before_mb: Math.round(median(rs.map((m) => m.before)) * 10) / 10,
    rss_delta_mb: Math.round(delta * 10) / 10,
    bytes_per_connection: Math.round((delta * 1024 * 1024) / count),
    deltas_mb: rs.map((m) => Math.round(m.delta * 10) / 10),
    closed_early: rs.reduce((a, m) => a + m.closedEarly, 0),
  };
});
if (values.json) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  console.log(`| server | idle RSS before, MB | + ${count.toLocaleString('en')} idle connections, MB | bytes per connection | rounds (MB) |`);
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of rows)
    console.log(
      `| ${r.server} | ${r.rss_before_mb} | +${r.rss_delta_mb} | ${r.bytes_per_connection} | ${r.deltas_mb.join(', ')}${r.closed_early ? ` (${r.closed_early} closed early)` : ''} |`,
    );
}
