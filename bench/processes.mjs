// Starting pinned processes and always stopping them.
//
// Every server runs in its own process group (detached), so stopping it signals the whole
// group: nginx workers, apache children and anything a server forked. A registry of live
// groups is killed on exit, on Ctrl-C / SIGTERM and on an uncaught error.
import { spawn } from 'node:child_process';

/** @type {Set<import('node:child_process').ChildProcess>} */
const live = new Set();

/** @param {import('node:child_process').ChildProcess} child @param {NodeJS.Signals} sig */
function signalGroup(child, sig) {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    // Already gone.
  }
}

function killAll() {
  for (const child of live) signalGroup(child, 'SIGKILL');
  live.clear();
}

let hooked = false;
function hookExit() {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const sig of /** @type {NodeJS.Signals[]} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
    process.on(sig, () => {
      killAll();
      process.stderr.write(`\nbench: ${sig}, stopped all servers\n`);
      process.exit(130);
    });
  }
}

/**
 * The command prefix that pins a process to `cpus` (e.g. "0" or "0-1"), or none.
 * @param {string | undefined} cpus
 * @param {string} cmd
 * @param {string[]} args
 */
export function pinned(cpus, cmd, args) {
  return cpus ? { cmd: 'taskset', args: ['-c', cpus, cmd, ...args] } : { cmd, args };
}

/**
 * Start a long-running process pinned to `cpus`, in its own process group.
 * taskset execs the command, so the child's pid is the server's pid.
 * @param {{ cmd: string, args: string[], cpus?: string, cwd?: string, env?: NodeJS.ProcessEnv }} o
 */
export function startProcess({ cmd, args, cpus, cwd, env }) {
  hookExit();
  const p = pinned(cpus, cmd, args);
  const child = spawn(p.cmd, p.args, {
    cwd,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let output = '';
  const keep = (/** @type {Buffer} */ d) => {
    output = (output + d.toString()).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
  child.on('exit', () => live.delete(child));
  return {
    child,
    pid: /** @type {number} */ (child.pid),
    output: () => output,
    exited,
    /** SIGTERM the group, SIGKILL it if it is still there after `graceMs`. */
    async stop(graceMs = 3000) {
      if (!live.has(child)) return;
      signalGroup(child, 'SIGTERM');
      const timer = new Promise((r) => setTimeout(r, graceMs, 'timeout'));
      if ((await Promise.race([exited, timer])) === 'timeout') {
        signalGroup(child, 'SIGKILL');
        await exited;
      }
      // Children that outlived the group leader (apache workers finishing) get no grace.
      signalGroup(child, 'SIGKILL');
      live.delete(child);
    },
  };
}

/**
 * Run a bounded command (a load generator) to completion and capture its output.
 * It is killed after `timeoutMs` whatever happens, and on harness exit.
 * @param {{ cmd: string, args: string[], cpus?: string, timeoutMs: number }} o
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string, timedOut: boolean, pid: number }>}
 */
export function runBounded({ cmd, args, cpus, timeoutMs }) {
  hookExit();
  const p = pinned(cpus, cmd, args);
  return new Promise((resolve, reject) => {
    const child = spawn(p.cmd, p.args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup(child, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      live.delete(child);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, stdout, stderr, timedOut, pid: /** @type {number} */ (child.pid) });
    });
  });
}

/** The number of live processes the harness started (for tests). */
export function liveCount() {
  return live.size;
}

export { killAll };
