// The response a handler builds. Nothing is sent until end(): the whole response goes to the corked
// output at once, with Content-Length; the core adds Date and Connection.
import { errors } from './errors.js';
import { bodyless, checkHeaderValue, checkStatus, headerName, statusBytes } from './http.js';
import type { InFlight } from './in-flight.js';
import type { Output } from './output.js';

export type Body = string | Buffer | Uint8Array;

const TEXT = Buffer.from('Content-Type: text/plain; charset=utf-8\r\n');
const BINARY = Buffer.from('Content-Type: application/octet-stream\r\n');
const JSON_TYPE = 'Content-Type: application/json; charset=utf-8\r\n';
const OK = statusBytes(200);

/** What only a response that outlives its batch needs; kept apart so the common one stays small. */
interface Lifetime {
  inFlight?: InFlight;
  closed: boolean;
  controller?: AbortController;
}

export class Response {
  private code = 200;
  private fields = '';
  private typed = false;
  private life?: Lifetime;
  /** True once end() ran: further calls throw. */
  finished = false;

  /** @internal */
  constructor(
    private readonly out: Output,
    /** @internal */ readonly conn: number,
    /** @internal */ readonly serialLo: number,
    /** @internal */ readonly serialHi: number,
    /** @internal */ readonly seq: number,
    private readonly head: boolean,
  ) {}

  /**
   * True when the client's connection closed before this response was sent: writing to it does
   * nothing, and `signal` has aborted.
   */
  get closed(): boolean {
    return this.life?.closed === true;
  }

  /** Aborts when the connection closes before the response is sent (e.g. the client went away). */
  get signal(): AbortSignal {
    const life = (this.life ??= { closed: false });
    life.controller ??= new AbortController();
    if (life.closed && !life.controller.signal.aborted) life.controller.abort(closedReason());
    return life.controller.signal;
  }

  /** @internal The connection's serial number. */
  get serial(): number {
    return this.serialHi * 0x1_0000_0000 + this.serialLo;
  }

  /** @internal Watches for the connection closing while the handler still works. */
  track(inFlight: InFlight): void {
    if (this.finished) return;
    const life = (this.life ??= { closed: false });
    if (life.closed) return;
    life.inFlight = inFlight;
    inFlight.add(this);
  }

  /** @internal The connection closed with this response unsent. */
  abort(): void {
    const life = (this.life ??= { closed: false });
    if (life.closed || this.finished) return;
    life.closed = true;
    life.inFlight = undefined;
    life.controller?.abort(closedReason());
  }

  status(code: number): this {
    this.code = checkStatus(code);
    return this;
  }

  get statusCode(): number {
    return this.code;
  }

  /** Adds a header field; call again with the same name to send it twice (e.g. set-cookie). */
  header(name: string, value: string | number): this {
    if (this.finished) throw errors.alreadySent();
    const h = headerName(name);
    const v = checkHeaderValue(name, value);
    if (h.prefix !== '') this.fields += `${h.prefix}${v}\r\n`;
    if (h.contentType) this.typed = true;
    return this;
  }

  /** @internal A body without a Content-Type field goes out without one (fetch responses). */
  noDefaultType(): void {
    this.typed = true;
  }

  end(body?: Body): void {
    if (this.finished) throw errors.alreadySent();
    if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      throw errors.invalidArgument('body', 'a string, Buffer or Uint8Array');
    }
    this.finished = true;
    const life = this.life;
    if (life !== undefined) {
      if (life.inFlight !== undefined) {
        life.inFlight.delete(this);
        life.inFlight = undefined;
      }
      if (life.closed) return; // nobody to send it to
    }
    const status = this.code === 200 ? OK : statusBytes(this.code);
    if (bodyless(this.code)) {
      this.out.writeHeadOnly(this, status, this.fields);
      return;
    }
    let type: Uint8Array | undefined;
    if (!this.typed && body !== undefined && body !== null) type = typeof body === 'string' ? TEXT : BINARY;
    const b = body ?? undefined;
    // HEAD: the same head with the length of the body it would have had, and no body bytes.
    const length = this.head && b !== undefined ? (typeof b === 'string' ? Buffer.byteLength(b) : b.byteLength) : 0;
    this.out.writeResponse(this, status, this.fields, type, b, this.head, length);
  }

  /** @internal Sends a value a handler returned. */
  send(value: unknown): void {
    if (typeof value === 'string' || value instanceof Uint8Array) {
      this.end(value);
      return;
    }
    if (!this.typed) {
      this.fields += JSON_TYPE;
      this.typed = true;
    }
    this.end(JSON.stringify(value));
  }
}

function closedReason(): Error {
  return errors.connectionClosed();
}
