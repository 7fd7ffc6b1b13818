// Responses whose handlers outlived their batch, by connection. The core reports once per loop
// iteration which responses it will never send (their connection closed, or ends with an earlier
// response); each learns it (res.closed, its signal aborts) and its later writes go nowhere. It also
// reports connections whose output drained, for the streamed responses waiting to write more.
import { ABORTED_WORDS, DRAINED_WORDS } from './protocol.js';

export interface Abortable {
  /** The connection's serial number: unique for the server's lifetime. */
  readonly serial: number;
  /** The response's sequence number on its connection. */
  readonly seq: number;
  abort(): void;
  /** The connection sent everything it held. */
  drained(): void;
  /** The request's streamed body has bytes (or its end) for a read that waits. */
  bodyReady(): void;
}

/** A response whose handler must answer by `at` (ms since the epoch), and what to do if not. */
interface Deadline {
  at: number;
  /** Answers for the handler that ran out of time; false when there was nothing left to answer. */
  expire: () => boolean;
}

export class InFlight {
  private readonly byConnection = new Map<number, Set<Abortable>>();
  // In the order they were added, which is the order of their deadlines: a sweep stops at the first
  // one still running. Deleted as soon as the response is sent.
  private readonly deadlines = new Map<Abortable, Deadline>();
  private sweeper?: ReturnType<typeof setInterval>;
  /** Handlers that did not answer in time (stats().handlerTimeouts). */
  timeouts = 0;

  /** @param handlerTimeout ms a handler may take to answer; 0: no limit. */
  constructor(private readonly handlerTimeout = 0) {}

  /** Gives the response's handler handlerTimeout ms from now to answer; expire() runs if it does not. */
  watch(res: Abortable, expire: () => boolean): void {
    if (this.handlerTimeout <= 0) return;
    this.deadlines.set(res, { at: Date.now() + this.handlerTimeout, expire });
    if (this.sweeper === undefined) {
      // Checked a few times per timeout and at most once a second, as the core checks its own; the
      // timer never keeps the process alive.
      this.sweeper = setInterval(() => this.sweep(), Math.min(1000, Math.max(10, this.handlerTimeout / 4)));
      this.sweeper.unref();
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const [res, d] of this.deadlines) {
      if (d.at > now) break;
      this.deadlines.delete(res);
      if (d.expire()) this.timeouts++;
    }
    if (this.deadlines.size === 0 && this.sweeper !== undefined) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  add(res: Abortable): void {
    let set = this.byConnection.get(res.serial);
    if (set === undefined) {
      set = new Set();
      this.byConnection.set(res.serial, set);
    }
    set.add(res);
  }

  delete(res: Abortable): void {
    this.deadlines.delete(res);
    const set = this.byConnection.get(res.serial);
    if (set === undefined) return;
    set.delete(res);
    if (set.size === 0) this.byConnection.delete(res.serial);
  }

  /** words: slot, serial low, serial high, first lost sequence number, per connection. */
  aborted(words: Uint32Array): void {
    for (let i = 0; i + ABORTED_WORDS <= words.length; i += ABORTED_WORDS) {
      const serial = words[i + 2] * 0x1_0000_0000 + words[i + 1];
      const set = this.byConnection.get(serial);
      if (set === undefined) continue;
      const from = words[i + 3];
      for (const res of set) {
        // Sequence numbers wrap at 2^32: "from on" is the half of the circle after from.
        if (((res.seq - from) >>> 0) >= 0x8000_0000) continue;
        set.delete(res);
        this.deadlines.delete(res);
        res.abort();
      }
      if (set.size === 0) this.byConnection.delete(serial);
    }
  }

  /** ids: slot, serial low, serial high per connection. */
  drained(ids: Uint32Array): void {
    for (let i = 0; i + DRAINED_WORDS <= ids.length; i += DRAINED_WORDS) {
      const set = this.byConnection.get(ids[i + 2] * 0x1_0000_0000 + ids[i + 1]);
      if (set === undefined) continue;
      for (const res of [...set]) res.drained();
    }
  }

  /** ids: slot, serial low, serial high per connection. */
  bodiesReady(ids: Uint32Array): void {
    for (let i = 0; i + DRAINED_WORDS <= ids.length; i += DRAINED_WORDS) {
      const set = this.byConnection.get(ids[i + 2] * 0x1_0000_0000 + ids[i + 1]);
      if (set === undefined) continue;
      for (const res of [...set]) res.bodyReady();
    }
  }

  get size(): number {
    return this.byConnection.size;
  }
}
