// A connection is named by its slot in the server's table and a 64-bit serial. Slots are reused last in,
// first out, so sequential connections all land in the slot the previous one freed. When the name was
// a slot plus a 12-bit generation, the 4,096th connection after a client in its slot had that client's
// name: a handler that answered the old client late wrote its response (here "SECRET-A") to the new
// one. These tests free a slot while its handler still works, push exactly 4,095 connections through
// that slot, put client B in it (the old generation would have wrapped to A's exactly) and then let A's
// handler answer. They also pin what the JS side sees: res.closed, res.signal, and a late end() that
// neither throws nor writes, and the native counter for answers that find their connection gone.
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startApp, type Started } from '../helpers/app.js';
import { RawClient, get, parseResponses, show, sleep } from '../helpers/http.js';

vi.setConfig({ testTimeout: 20_000, hookTimeout: 10_000 });

const CLOSED = 'UVHTTP_ERR_CONNECTION_CLOSED';
/**
 * Connections between A and B in A's slot: B is then the 4,096th claim of the slot after A, the one
 * whose 12-bit generation equalled A's. Any other count (4,200, say: A + 4,201 ≡ A + 105) would have
 * given B a different name under the old scheme too and passed against the defect.
 */
const REUSES = 4095;

/** A promise the test resolves by hand, to hold a handler until the test lets it answer. */
function gate(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

/** What a call did, recorded inside the server so the test asserts outside it. */
function attempt(fn: () => unknown): { threw: undefined | { code?: unknown; message: string } } {
  try {
    fn();
    return { threw: undefined };
  } catch (err) {
    return { threw: { code: (err as { code?: unknown }).code, message: String((err as Error).message) } };
  }
}

/** Connect, send one request, read until the server closes. Never rejects. */
function oneShot(port: number, request: Buffer, timeoutMs = 3000): Promise<{ raw: Buffer; closed: boolean; error?: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: string | undefined;
    const sock = net.connect({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ raw: Buffer.concat(chunks), closed: false, error: 'timeout' });
    }, timeoutMs);
    sock.on('connect', () => sock.end(request));
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ raw: Buffer.concat(chunks), closed: true, error });
    });
  });
}

const STATIC = get('/s', { Connection: 'close' });

/**
 * Runs `count` sequential connections, each one `GET /s` with Connection: close answered by the static
 * route. Stops at the first one that went wrong and returns what it got.
 */
async function churn(port: number, count: number): Promise<{ done: number; bad?: string }> {
  for (let i = 0; i < count; i++) {
    const r = await oneShot(port, STATIC);
    const p = parseResponses(r.raw, { closed: true });
    const ok = r.closed && r.error === undefined && p.responses.length === 1 && p.responses[0].status === 200 &&
      p.responses[0].text === 'ok' && p.rest.length === 0;
    if (!ok) return { done: i, bad: `connection ${i}: closed=${r.closed} error=${r.error} received ${show(r.raw)}` };
  }
  return { done: count };
}

/** Blocks the thread (and so the event loop) without spinning, letting the kernel deliver packets. */
function blockLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The two ways a client goes away: an orderly FIN (then the socket is destroyed), or a reset. */
const CLOSERS = [
  {
    mode: 'FIN (end()), then destroy()',
    close: async (c: RawClient) => {
      c.socket.end();
      await c.waitForEnd(3000); // the server closes its side once it has seen the FIN
      c.destroy();
    },
  },
  { mode: 'RST (resetAndDestroy())', close: async (c: RawClient) => void c.socket.resetAndDestroy() },
];

describe('connection identity', () => {
  const servers: Started[] = [];
  const clients: RawClient[] = [];
  const connect = async (port: number) => {
    const c = await RawClient.connect(port);
    clients.push(c);
    return c;
  };

  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    const results = await Promise.allSettled(servers.splice(0).map((s) => s.stop()));
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    if (failed) throw failed.reason;
  });

  describe.each(CLOSERS)('a late answer for client A after A closed by $mode', ({ close }) => {
    it(`never reaches client B, who took A's slot ${REUSES + 1} connections later`, async () => {
      const gateA = gate();
      const gateB = gate();
      let aRes: any;
      let bRes: any;
      let aAbort: { closed: boolean; code: unknown; handlerDone: boolean } | undefined;
      let aSeen: { closed: boolean; aborted: boolean; reason: unknown; end: ReturnType<typeof attempt> } | undefined;
      let aDone = false;
      const s = await startApp((app) => {
        app.static('/s', 'ok');
        app.get('/hold-a', async (_req: any, res: any) => {
          aRes = res;
          res.signal.addEventListener('abort', () => {
            aAbort = { closed: res.closed, code: (res.signal.reason as { code?: unknown })?.code, handlerDone: aDone };
          });
          await gateA.opened;
          const seen = { closed: res.closed, aborted: res.signal.aborted, reason: (res.signal.reason as { code?: unknown })?.code };
          aSeen = { ...seen, end: attempt(() => res.end('SECRET-A')) };
          aDone = true;
        });
        app.get('/hold-b', async (_req: any, res: any) => {
          bRes = res;
          await gateB.opened;
          res.end('for-B');
        });
      });
      servers.push(s);

      // A's request reaches its handler, then A goes away.
      const a = await connect(s.port);
      await a.write(get('/hold-a'));
      await vi.waitFor(() => expect(aRes).toBeDefined(), { timeout: 3000, interval: 10 });
      await close(a);
      // JS hears of it while the handler still waits.
      await vi.waitFor(() => expect(aAbort).toBeDefined(), { timeout: 3000, interval: 10 });
      expect(aAbort).toEqual({ closed: true, code: CLOSED, handlerDone: false });
      expect(a.received.length, 'A was sent nothing').toBe(0);

      // Exactly 4,095 connections through the freed slot, then B.
      const c = await churn(s.port, REUSES);
      expect(c).toEqual({ done: REUSES });
      const b = await connect(s.port);
      await b.write(get('/hold-b'));
      await vi.waitFor(() => expect(bRes).toBeDefined(), { timeout: 3000, interval: 10 });
      // The test only means something when B sits in A's slot exactly 4,096 connections later: with a
      // 12-bit generation per slot, B's name would then have been A's.
      expect(bRes.conn, "B is in A's slot").toBe(aRes.conn);
      expect(bRes.serial - aRes.serial, 'connections from A to B').toBe(REUSES + 1);

      // A's handler answers late.
      gateA.open();
      await vi.waitFor(() => expect(aSeen).toBeDefined(), { timeout: 3000, interval: 10 });
      expect(aSeen).toEqual({ closed: true, aborted: true, reason: CLOSED, end: { threw: undefined } });
      await sleep(200); // room for a misdelivery to arrive
      expect(b.received.length, `B received something before its own answer: ${show(b.received)}`).toBe(0);

      // B's handler answers: B gets exactly that, and nothing of A's.
      gateB.open();
      const [res] = await b.read(1, { timeoutMs: 3000 });
      expect(res.status).toBe(200);
      expect(res.text).toBe('for-B');
      await sleep(200); // room for anything after it
      expect(b.pending.length, `bytes after B's response: ${show(b.pending)}`).toBe(0);
      expect(b.received.includes('SECRET-A'), `B received ${show(b.received)}`).toBe(false);
      expect(b.received.length).toBe(res.wireLength);
      // Response.end on a closed response returns before writing anything: the core never saw it.
      expect(s.app.stats().responsesDropped).toBe(0);
      // B's connection is still good.
      expect((await b.request(get('/s'))).text).toBe('ok');
    });
  });

  it(`the core drops an answer addressed to a gone connection whose slot a later client holds (${REUSES + 1} connections later)`, async () => {
    // The JS layer stops a late end() before it is written (above). This reaches the core's own check
    // underneath it: A's response is made to forget it was closed, so end() writes a record naming A's
    // slot and serial while B holds that slot. The core must drop and count it, not deliver it to B.
    let aRes: any;
    let bRes: any;
    const gateB = gate();
    const s = await startApp((app) => {
      app.static('/s', 'ok');
      app.get('/keep-a', (_req: any, res: any) => {
        aRes = res; // answered later, from outside the handler
      });
      app.get('/hold-b', async (_req: any, res: any) => {
        bRes = res;
        await gateB.opened;
        res.end('for-B');
      });
    });
    servers.push(s);

    const a = await connect(s.port);
    await a.write(get('/keep-a'));
    await vi.waitFor(() => expect(aRes).toBeDefined(), { timeout: 3000, interval: 10 });
    a.socket.resetAndDestroy();
    await vi.waitFor(() => expect(aRes.closed).toBe(true), { timeout: 3000, interval: 10 });

    expect(await churn(s.port, REUSES)).toEqual({ done: REUSES });
    const b = await connect(s.port);
    await b.write(get('/hold-b'));
    await vi.waitFor(() => expect(bRes).toBeDefined(), { timeout: 3000, interval: 10 });
    expect(bRes.conn, "B is in A's slot").toBe(aRes.conn);
    expect(bRes.serial - aRes.serial, 'connections from A to B').toBe(REUSES + 1);
    expect(s.app.stats().responsesDropped).toBe(0);

    aRes.life.closed = false; // as if JS had not heard that A closed
    expect(attempt(() => aRes.end('SECRET-A'))).toEqual({ threw: undefined });
    await vi.waitFor(() => expect(s.app.stats().responsesDropped).toBe(1), { timeout: 3000, interval: 10 });
    await sleep(200);
    expect(b.received.length, `B received ${show(b.received)}`).toBe(0);

    gateB.open();
    const [res] = await b.read(1, { timeoutMs: 3000 });
    expect(res.text).toBe('for-B');
    await sleep(100);
    expect(b.received.includes('SECRET-A'), `B received ${show(b.received)}`).toBe(false);
    expect(b.received.length).toBe(res.wireLength);
    expect(s.app.stats().responsesDropped).toBe(1);
  });

  it('an answer written before JS heard its connection reset is dropped by the core and counted', async () => {
    // Deterministic ordering: the reset of A and C's request reach the server's sockets before its
    // loop polls again (the loop is blocked while the kernel delivers both), so one poll phase reads
    // both; the request batch runs in the check phase that follows and JS hears of closed connections
    // only after the batch. C's handler therefore answers A's held response while res.closed is still
    // false: the record reaches the core, which finds A's connection closed and drops it.
    let held: any;
    let poke: { closedAtWrite: boolean; end: ReturnType<typeof attempt> } | undefined;
    const s = await startApp((app) => {
      app.static('/s', 'ok');
      app.get('/keep', (_req: any, res: any) => {
        held = res;
      });
      app.get('/poke', () => {
        poke = { closedAtWrite: held.closed, end: attempt(() => held.end('LATE-A')) };
        return 'poked';
      });
    });
    servers.push(s);

    const a = await connect(s.port);
    const c = await connect(s.port);
    expect((await c.request(get('/s'))).text).toBe('ok'); // C is accepted and watched by the server
    await a.write(get('/keep'));
    await vi.waitFor(() => expect(held).toBeDefined(), { timeout: 3000, interval: 10 });
    expect(s.app.stats().responsesDropped).toBe(0);

    c.socket.write(get('/poke'));
    a.socket.resetAndDestroy();
    blockLoop(150);

    const [r] = await c.read(1, { timeoutMs: 3000 });
    expect(r.text).toBe('poked');
    expect(poke).toEqual({ closedAtWrite: false, end: { threw: undefined } });
    await vi.waitFor(() => expect(s.app.stats().responsesDropped).toBe(1), { timeout: 3000, interval: 10 });

    // Nobody got A's answer, and the server goes on.
    const d = await connect(s.port);
    expect((await d.request(get('/s'))).text).toBe('ok');
    expect((await c.request(get('/s'))).text).toBe('ok');
    await sleep(100);
    for (const x of [c, d]) {
      expect(x.received.includes('LATE-A'), `received ${show(x.received)}`).toBe(false);
      expect(x.pending.length).toBe(0);
    }
    expect(a.received.length).toBe(0);
    expect(s.app.stats().responsesDropped).toBe(1);
  });

  describe.each(CLOSERS)('a client that goes away by $mode while its handler works', ({ close }) => {
    it('aborts res.signal with UVHTTP_ERR_CONNECTION_CLOSED and sets res.closed, the handler runs on, and its late end() goes nowhere', async () => {
      const release = gate();
      let entered = false;
      let abort: { atMs: number; type: string; code: unknown; closed: boolean; aborted: boolean } | undefined;
      let after: { closed: boolean; aborted: boolean; end: ReturnType<typeof attempt>; again: ReturnType<typeof attempt> } | undefined;
      let enteredAt = 0;
      const s = await startApp((app) => {
        app.static('/s', 'ok');
        app.get('/slow', async (_req: any, res: any) => {
          entered = true;
          enteredAt = performance.now();
          res.signal.addEventListener('abort', (ev: Event) => {
            abort = {
              atMs: performance.now() - enteredAt,
              type: ev.type,
              code: (res.signal.reason as { code?: unknown })?.code,
              closed: res.closed,
              aborted: res.signal.aborted,
            };
          });
          await release.opened;
          // Still running after the abort: answer anyway, as a handler that ignores the signal would.
          after = { closed: res.closed, aborted: res.signal.aborted, end: attempt(() => res.end('x')), again: { threw: undefined } };
          after.again = attempt(() => res.end('x'));
        });
        app.get('/other', () => 'other');
      });
      servers.push(s);

      const a = await connect(s.port);
      await a.write(get('/slow'));
      await vi.waitFor(() => expect(entered).toBe(true), { timeout: 3000, interval: 10 });
      expect(abort, 'no abort before the client went away').toBeUndefined();
      await close(a);
      await vi.waitFor(() => expect(abort).toBeDefined(), { timeout: 3000, interval: 10 });
      expect(abort).toMatchObject({ type: 'abort', code: CLOSED, closed: true, aborted: true });
      expect(abort!.atMs).toBeLessThan(3000);
      expect(after, 'the handler is still waiting').toBeUndefined();

      release.open();
      await vi.waitFor(() => expect(after).toBeDefined(), { timeout: 3000, interval: 10 });
      // end() on a closed response is accepted once and writes nothing; a second end() is a mistake.
      expect(after).toEqual({
        closed: true,
        aborted: true,
        end: { threw: undefined },
        again: { threw: { code: 'UVHTTP_ERR_ALREADY_SENT', message: expect.any(String) } },
      });

      // The server goes on; nobody gets the 'x'.
      const other = await connect(s.port);
      expect((await other.request(get('/other'))).text).toBe('other');
      expect((await other.request(get('/s'))).text).toBe('ok');
      await sleep(100);
      expect(other.pending.length, `extra bytes ${show(other.pending)}`).toBe(0);
      expect(other.received.includes('\r\n\r\nx'), `received ${show(other.received)}`).toBe(false);
      expect(a.received.length, `A received ${show(a.received)}`).toBe(0);
      expect(s.app.stats().responsesDropped).toBe(0);
      expect(s.app.stats().connections).toBe(1);
    });
  });
});
