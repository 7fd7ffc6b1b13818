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

export class InFlight {
  private readonly byConnection = new Map<number, Set<Abortable>>();

  add(res: Abortable): void {
    let set = this.byConnection.get(res.serial);
    if (set === undefined) {
      set = new Set();
      this.byConnection.set(res.serial, set);
    }
    set.add(res);
  }

  delete(res: Abortable): void {
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
