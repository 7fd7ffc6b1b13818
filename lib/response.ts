// The response a handler builds. Nothing is sent until end(): the whole response goes to the corked
// output at once, with Content-Length; the core adds Date and Connection.
import { errors } from './errors.js';
import { bodyless, checkHeaderValue, checkStatus, headerName, statusLine } from './http.js';
import type { Output } from './output.js';

export type Body = string | Buffer | Uint8Array;

const TEXT = 'Content-Type: text/plain; charset=utf-8\r\n';
const BINARY = 'Content-Type: application/octet-stream\r\n';
export const JSON_TYPE = 'Content-Type: application/json; charset=utf-8\r\n';

export class Response {
  private code = 200;
  private fields = '';
  private typed = false;
  /** True once end() ran: further calls throw. */
  finished = false;

  /** @internal */
  constructor(
    private readonly out: Output,
    private readonly conn: number,
    private readonly seq: number,
    private readonly head: boolean,
  ) {}

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

  end(body?: Body): void {
    if (this.finished) throw errors.alreadySent();
    this.finished = true;
    let head = statusLine(this.code) + this.fields;
    if (bodyless(this.code)) {
      this.out.write(this.conn, this.seq, head, undefined, 0);
      return;
    }
    let length = 0;
    let bytes: Buffer | undefined;
    if (typeof body === 'string') {
      if (!this.typed) head += TEXT;
      if (!this.head) {
        this.out.writeText(this.conn, this.seq, head, body);
        return;
      }
      length = Buffer.byteLength(body);
    } else if (body !== undefined && body !== null) {
      if (!(body instanceof Uint8Array)) throw errors.invalidArgument('body', 'a string, Buffer or Uint8Array');
      if (!this.typed) head += BINARY;
      length = body.byteLength;
      bytes = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    }
    head += `Content-Length: ${length}\r\n`;
    // HEAD: the same head, no body bytes.
    if (this.head) this.out.write(this.conn, this.seq, head, undefined, 0);
    else this.out.write(this.conn, this.seq, head, bytes, length);
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
