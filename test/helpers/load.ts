// Load generators that run in a CHILD process, so the load does not share the test process's loop.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/** Source of a `node -e` pipelined raw-socket load generator. Prints `{"responses":N}` and exits. */
const NODE_LOAD = String.raw`
const net = require('node:net');
const [port, path, conns, depth, ms] = JSON.parse(process.argv[1]);
const marker = Buffer.from('LOADOK');
const req = Buffer.from('GET ' + path + ' HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
const batch = Buffer.concat(Array.from({ length: depth }, () => req));
let total = 0, open = 0, stopping = false;
function count(buf) { let n = 0, i = -1; while ((i = buf.indexOf(marker, i + 1)) >= 0) n++; return n; }
for (let c = 0; c < conns; c++) {
  const s = net.connect({ port, host: '127.0.0.1' });
  open++;
  let tail = Buffer.alloc(0), pending = 0;
  const send = () => { if (stopping) { s.end(); return; } pending += depth; s.write(batch); };
  s.on('connect', send);
  s.on('data', (d) => {
    const buf = Buffer.concat([tail, d]);
    const n = count(buf);
    tail = buf.subarray(Math.max(0, buf.length - (marker.length - 1)));
    total += n; pending -= n;
    if (pending <= 0) send();
  });
  s.on('error', () => {});
  s.on('close', () => { if (--open === 0) { process.stdout.write(JSON.stringify({ responses: total })); process.exit(0); } });
}
setTimeout(() => { stopping = true; setTimeout(() => { process.stdout.write(JSON.stringify({ responses: total })); process.exit(0); }, 500); }, ms);
`;

export interface LoadRun {
  kind: 'wrk' | 'node';
  child: ChildProcess;
  /** Resolves when the child exits, with the number of responses it saw. */
  done: Promise<{ code: number | null; responses: number; output: string }>;
  kill: () => void;
}

export function haveWrk(): boolean {
  if (process.env.UVHTTP_LOAD === 'node') return false;
  return spawnSync('sh', ['-c', 'which wrk'], { stdio: 'ignore' }).status === 0;
}

/**
 * Starts a load generator against `http://127.0.0.1:port<path>` for `ms` milliseconds.
 * The path must answer with a body containing `LOADOK` (the node generator counts that marker).
 */
export function startLoad(port: number, path: string, ms: number, opts: { connections?: number; depth?: number } = {}): LoadRun {
  const connections = opts.connections ?? 16;
  const depth = opts.depth ?? 32;
  const useWrk = haveWrk();
  const child = useWrk
    ? spawn('wrk', ['-t2', `-c${connections}`, `-d${Math.max(1, Math.round(ms / 1000))}s`, `http://127.0.0.1:${port}${path}`], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(process.execPath, ['-e', NODE_LOAD, JSON.stringify([port, path, connections, depth, ms])], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const done = new Promise<{ code: number | null; responses: number; output: string }>((resolve) => {
    child.on('close', (code) => {
      let responses = 0;
      if (useWrk) {
        const m = /(\d+) requests in/.exec(output);
        responses = m ? Number(m[1]) : 0;
      } else {
        try {
          responses = JSON.parse(output.trim().split('\n').pop() ?? '{}').responses ?? 0;
        } catch {
          responses = 0;
        }
      }
      resolve({ code, responses, output });
    });
  });
  return {
    kind: useWrk ? 'wrk' : 'node',
    child,
    done,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
