// Where a server can listen: a Unix domain socket (stale files replaced, live ones refused, its mode,
// removed at close), a socket inherited from a parent and one passed by systemd's protocol, IPv6,
// SO_REUSEPORT, and the checks on listen()'s options.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer as netServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createServer } from '../helpers/app.js';

vi.setConfig({ testTimeout: 20_000 });

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const dir = mkdtempSync(join(tmpdir(), 'uvhttp-listen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function getOverUnix(socketPath: string, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ socketPath, path }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('listen({ path }): a Unix domain socket', () => {
  it('serves over it with the mode asked for, and removes the file at close', async () => {
    const path = join(dir, 'a.sock');
    const app = createServer();
    app.get('/', () => 'over unix');
    const bound = await app.listen({ path, mode: 0o600 });
    expect(bound).toEqual({ address: path, port: 0 });
    expect(statSync(path).isSocket()).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await getOverUnix(path)).toEqual({ status: 200, body: 'over unix' });
    await app.close();
    expect(existsSync(path)).toBe(false);
  });

  it('replaces a stale socket file, refuses one in use and any other file', async () => {
    const stale = join(dir, 'stale.sock');
    // A process that bound the path and died without cleaning up.
    const r = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.exit(0))`]);
    expect(r.status).toBe(0);
    expect(statSync(stale).isSocket()).toBe(true);
    const app = createServer();
    app.get('/', () => 'took over');
    await app.listen({ path: stale });
    expect((await getOverUnix(stale)).body).toBe('took over');

    const second = createServer();
    await expect(second.listen({ path: stale })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await app.close();
    await second.close();

    const file = join(dir, 'plain-file');
    writeFileSync(file, 'not a socket');
    const third = createServer();
    await expect(third.listen({ path: file })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(statSync(file).isFile()).toBe(true); // left alone
    await third.close();
  });
});

/** A listening TCP socket on 127.0.0.1 whose fd a child can inherit. */
function parentSocket(): Promise<{ server: Server; port: number; fd: number }> {
  return new Promise((resolve) => {
    const server = netServer();
    server.listen(0, '127.0.0.1', () => {
      const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
      resolve({ server, port: (server.address() as { port: number }).port, fd });
    });
  });
}

function startChild(args: string[], fd: number, env: NodeJS.ProcessEnv = {}, shell = false) {
  const script = join(here, 'fixtures', 'listen-fd.mjs');
  const cmd = shell ? '/bin/sh' : process.execPath;
  // systemd sets LISTEN_PID to the pid of the process it starts: sh's, kept by exec.
  const argv = shell ? ['-c', `LISTEN_PID=$$ exec "${process.execPath}" "${script}" ${args.join(' ')}`] : [script, ...args];
  const child = spawn(cmd, argv, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit', fd] });
  const exit = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const line = new Promise<{ address: string; port: number; env: string | null }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const l = out.split('\n').find((x) => x.startsWith('{'));
      if (l) resolve(JSON.parse(l));
    });
    void exit.then((c) => reject(new Error(`child exited (${c}): ${out}`)));
  });
  return { child, exit, line };
}

describe('sockets from outside', () => {
  it('listen({ fd }) adopts a listening socket a parent opened', async () => {
    const { server, port, fd } = await parentSocket();
    const c = startChild([], fd);
    const bound = await c.line;
    expect(bound).toMatchObject({ address: '127.0.0.1', port });
    server.close(); // the parent stops accepting; the child's copy keeps the socket open
    const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    expect(body).toBe(`adopted ${c.child.pid}`);
    c.child.kill('SIGTERM');
    expect(await c.exit).toBe(0);
  });

  it('listen({ systemd: true }) takes the socket passed by LISTEN_FDS/LISTEN_PID, and clears them', async () => {
    const { server, port, fd } = await parentSocket();
    const c = startChild(['systemd'], fd, { LISTEN_FDS: '1' }, true);
    const bound = await c.line;
    expect(bound).toEqual({ address: '127.0.0.1', port, env: null });
    server.close();
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe(`adopted ${c.child.pid}`);
    c.child.kill('SIGTERM');
    expect(await c.exit).toBe(0);
  });

  it('systemd: true without a passed socket is a coded error', async () => {
    const app = createServer();
    await expect(app.listen({ systemd: true })).rejects.toMatchObject({ code: 'UVHTTP_ERR_INVALID_OPTION' });
    await app.close();
  });
});

describe('addresses and options', () => {
  it('IPv6: listens on ::1 and answers there', async () => {
    const app = createServer();
    app.get('/', () => 'v6');
    const { address, port } = await app.listen({ host: '::1', port: 0 });
    expect(address).toBe('::1');
    expect(await (await fetch(`http://[::1]:${port}/`)).text()).toBe('v6');
    await app.close();
  });

  it('reusePort lets two servers share a port; without it the second is refused', async () => {
    const a = createServer();
    const { port } = await a.listen({ host: '127.0.0.1', port: 0, reusePort: true, backlog: 128 });
    const b = createServer();
    await expect(b.listen({ host: '127.0.0.1', port, reusePort: true })).resolves.toMatchObject({ port });
    const c = createServer();
    await expect(c.listen({ host: '127.0.0.1', port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it.each([
    [{ path: '/tmp/x.sock', port: 1 }, 'UVHTTP_ERR_INVALID_OPTION'],
    [{ fd: -1 }, 'UVHTTP_ERR_INVALID_OPTION'],
    [{ mode: 0o600 }, 'UVHTTP_ERR_INVALID_OPTION'],
    [{ backlog: 0 }, 'UVHTTP_ERR_INVALID_OPTION'],
    [{ reusePort: 'yes' }, 'UVHTTP_ERR_INVALID_OPTION'],
    [{ path: '' }, 'UVHTTP_ERR_INVALID_OPTION'],
  ])('%j is %s', async (options, code) => {
    const app = createServer();
    await expect(app.listen(options as never)).rejects.toMatchObject({ code });
    await app.close();
  });

  it('an fd that is not a listening socket is refused', async () => {
    const app = createServer();
    await expect(app.listen({ fd: 0 })).rejects.toMatchObject({ code: expect.stringMatching(/^E/) });
    await app.close();
  });
});
