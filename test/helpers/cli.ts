// Runs `uvhttp serve` as a child process (from dist/ or from an installed package) and waits for the
// line it prints once listening, so a test can fetch from it and then stop it with a signal.
import { spawn, type SpawnOptions } from 'node:child_process';

export interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Served {
  /** The absolute directory and the URL of the `Serving <dir> at <url>` line (`unix:<path>` on a Unix socket). */
  dir: string;
  url: string;
  /** The whole line, with what follows the URL. */
  line: string;
  /** 0 on a Unix socket. */
  port: number;
  /** Sends a signal; resolves with how the process ended (fails after timeoutMs). */
  stop: (signal: NodeJS.Signals, timeoutMs?: number) => Promise<Exited & { stdout: string; stderr: string }>;
  /** Sends a signal and goes on (SIGHUP: reopen the logs). */
  signal: (signal: NodeJS.Signals) => void;
  /** SIGKILL if still running (for afterEach). */
  kill: () => void;
}

export const SERVING = /^Serving (.+) at ((?:http:\/\/|unix:)\S+)(.*)$/m;

/**
 * Starts cmd and resolves once it printed its Serving line; rejects with its output if it exits first.
 * With `group`, cmd runs in a process group of its own and signals go to the whole group, as a
 * terminal's Ctrl-C does: what `npx` expects, since npm does not pass signals on to the command it runs.
 */
export function startServe(
  cmd: string,
  args: string[],
  options: SpawnOptions & { group?: boolean } = {},
  timeoutMs = 15_000,
): Promise<Served> {
  const { group = false, ...spawnOptions } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: group, ...spawnOptions });
    const signal = (sig: NodeJS.Signals) => {
      try {
        if (group) process.kill(-child.pid!, sig);
        else child.kill(sig);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // the group has already gone
      }
    };
    let stdout = '';
    let stderr = '';
    let done: Exited | undefined;
    const exited = new Promise<Exited>((r) =>
      child.on('close', (code, signal) => {
        done = { code, signal };
        r(done);
      }),
    );
    const timer = setTimeout(() => {
      signal('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} printed no Serving line within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} ${args.join(' ')} exited (code ${code}, signal ${signal}) before serving\n${stdout}\n${stderr}`));
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const m = SERVING.exec(stdout);
      if (!m || !stdout.slice(m.index).includes('\n')) return;
      clearTimeout(timer);
      resolve({
        dir: m[1],
        url: m[2],
        line: m[0],
        port: m[2].startsWith('unix:') ? 0 : Number(new URL(m[2]).port),
        signal,
        stop: async (sig, ms = 10_000) => {
          if (!done) signal(sig);
          let t: NodeJS.Timeout;
          const limit = new Promise<never>((_, rej) => {
            t = setTimeout(() => rej(new Error(`the server did not exit within ${ms} ms of ${sig}\n${stdout}\n${stderr}`)), ms);
          });
          const ended = await Promise.race([exited, limit]).finally(() => clearTimeout(t));
          return { ...ended, stdout, stderr };
        },
        kill: () => {
          if (!done) signal('SIGKILL');
        },
      });
    });
  });
}

/** Runs cmd to its end (killed after timeoutMs) without blocking the test worker's event loop. */
export function runToEnd(cmd: string, args: string[], options: SpawnOptions = {}, timeoutMs = 15_000): Promise<Exited & { stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
