// Responses whose handlers outlived their batch, by connection. The core reports once per loop
// iteration which connections closed while JS still owed them responses; each such response learns it
// (res.closed, its signal aborts) and its later writes go nowhere.
import { ABORTED_WORDS } from './protocol.js';

export interface Abortable {
  /** The connection's serial number: unique for the server's lifetime. */
  readonly serial: number;
  abort(): void;
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

  /** ids: slot, serial low, serial high per connection. */
  aborted(ids: Uint32Array): void {
    for (let i = 0; i + ABORTED_WORDS <= ids.length; i += ABORTED_WORDS) {
      const serial = ids[i + 2] * 0x1_0000_0000 + ids[i + 1];
      const set = this.byConnection.get(serial);
      if (set === undefined) continue;
      this.byConnection.delete(serial);
      for (const res of set) res.abort();
    }
  }

  get size(): number {
    return this.byConnection.size;
  }
}
