// Start one server pinned to the server cores, wait until it accepts connections, stop it.
import net from 'node:net';
import { rmSync } from 'node:fs';
import { startProcess } from './processes.mjs';

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/** @param {number} port */
export function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/**
 * @param {import('./servers/index.mjs').ServerDef} def
 * @param {{ cpus?: string, workers: number, timeoutMs?: number, root?: string }} o `root`: the files suite's fixture dir
 */
export async function startServer(def, { cpus, workers, timeoutMs = 15000, root }) {
  const port = /** @type {number} */ (await freePort());
  const c = def.command({ port, workers, root });
  // Config dirs go too when the harness is interrupted (the exit hook runs after Ctrl-C's kill).
  const removeDir = () => c.dir && rmSync(c.dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  const proc = startProcess({ cmd: c.cmd, args: c.args, env: c.env, cpus });
  let exited = false;
  proc.exited.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) {
      if (c.dir) rmSync(c.dir, { recursive: true, force: true });
      throw new Error(`${def.name} exited at start: ${proc.output().trim().split('\n').slice(-3).join(' / ') || 'no output'}`);
    }
    if (await canConnect(port)) break;
    if (Date.now() > deadline) {
      await proc.stop();
      if (c.dir) rmSync(c.dir, { recursive: true, force: true });
      throw new Error(`${def.name} did not accept connections on ${port} within ${timeoutMs / 1000}s`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    pid: proc.pid,
    command: [c.cmd, ...c.args].join(' '),
    isAlive: () => !exited,
    output: proc.output,
    async stop() {
      await proc.stop();
      if (c.dir) rmSync(c.dir, { recursive: true, force: true });
    },
  };
}
