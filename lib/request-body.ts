// A request body streamed from the core as it arrives (a route registered with `stream: true`). The
// stream pulls: each read takes what the core received since the last one, and a read that finds
// nothing waits until the core reports bytes (or the end) for this connection. While JS does not
// read, the core holds at most 256 KiB and stops reading the socket: a fast client cannot outrun a
// slow handler. The first read also sends 100 Continue to a client that waits for it.
import { errors } from './errors.js';

/** readBody's answers besides bytes (native/binding.cc). */
const WAIT = 0;
const END = 1;
const GONE = 2;

export type ReadBody = () => Uint8Array | number;

export class RequestBody {
  private waiting?: () => void;
  private stream?: ReadableStream<Uint8Array>;
  /** The connection closed: reads fail from now on. */
  private closed = false;

  constructor(private readonly read: ReadBody) {}

  /** The body as a stream, made on first use (a handler that never reads it costs nothing more). */
  get readable(): ReadableStream<Uint8Array> {
    this.stream ??= new ReadableStream<Uint8Array>(
      { pull: (controller) => this.pull(controller) },
      // Nothing is read ahead of the consumer: backpressure reaches the socket.
      { highWaterMark: 0 },
    );
    return this.stream;
  }

  /** The core has something for a read that waits. */
  wake(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }

  /** The connection closed: a read that waits fails now. */
  abort(): void {
    this.closed = true;
    this.wake();
  }

  private async pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    for (;;) {
      if (this.closed) return controller.error(errors.connectionClosed());
      const r = this.read();
      if (typeof r !== 'number') return controller.enqueue(r);
      if (r === END) return controller.close();
      if (r === GONE) return controller.error(errors.connectionClosed());
      if (r !== WAIT) return controller.error(errors.requestBody(r));
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }
}
