// A Response that is cheap to make and to send, without being a different thing.
//
// `new Response('hello')` in undici builds a body with a ReadableStream, a Headers object with its
// list, and the response state, most of which a server never looks at: it wants the status, the header
// fields and the string. LightResponse keeps what it was given (checked as the real constructor checks
// it) and answers status, statusText, ok, headers, type, url and redirected from that; everything
// else (body, bodyUsed once the body was touched, the body readers, clone(), passing it to undici)
// builds the real Response once, from the same parts, and asks it. send() takes the parts straight
// from it (lightParts()) while nothing built the real one.
//
// It is used only where that is exact. The light form takes a body that is absent, a string or
// bytes (an ArrayBuffer or a view of one, copied as undici copies them), and an init whose status is
// an integer from 200 to 599 (not a null-body status with a body), whose statusText is printable ASCII,
// and whose headers are absent, a Headers, or a plain object or array of pairs of valid names and
// values that need no normalizing. For anything else the constructor returns a real undici Response
// (made with the caller's class as its prototype, so subclasses stay subclasses): every error is the
// real constructor's own, and every odd input behaves as undici has it.
//
// `instanceof Response` holds both ways: a light one's prototype chain leads to Response.prototype, and
// `value instanceof LightResponse` asks whether value is a Response at all, so fetch() results pass the
// check of code that sees LightResponse as the global Response.
import { inspect } from 'node:util';
import * as workerThreads from 'node:worker_threads';

const NativeResponse = globalThis.Response;
const NativeHeaders = globalThis.Headers;
const nativeProto = NativeResponse.prototype as unknown as Record<PropertyKey, unknown>;

/** What send() reads from a light Response nothing else has touched. */
export interface LightParts {
  status: number;
  /** name, value, name, value: names as given, valid, at most one of each (set-cookie excepted). */
  fields: readonly string[] | undefined;
  /** The headers as a Headers object, when the response has one (given as one, or handed out). */
  headers: Headers | undefined;
  /** The Content-Type undici would add for the body (a string's), or undefined. */
  defaultType: string | undefined;
  body: string | Uint8Array | null;
}

const TEXT_TYPE = 'text/plain;charset=UTF-8';
const JSON_TYPE = 'application/json';
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

// Checked names, with whether they are Content-Type (handlers use a handful over and over).
const names = new Map<string, string>();
const MAX_NAMES = 1024;

/** The name lower-cased when it is a valid field name, else undefined. */
function lowerName(name: string): string | undefined {
  let lower = names.get(name);
  if (lower === undefined) {
    if (!TOKEN.test(name)) return undefined;
    lower = name.toLowerCase();
    if (names.size < MAX_NAMES) names.set(name, lower);
  }
  return lower;
}

/** A value undici keeps as it is: no surrounding whitespace, no NUL, CR, LF, nothing past 0xff. */
function plainValue(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const n = value.length;
  if (n === 0) return true;
  let c = value.charCodeAt(0);
  if (c === 0x20 || c === 0x09) return false;
  c = value.charCodeAt(n - 1);
  if (c === 0x20 || c === 0x09) return false;
  for (let i = 0; i < n; i++) {
    c = value.charCodeAt(i);
    if (c === 0 || c === 0x0a || c === 0x0d || c > 0xff) return false;
  }
  return true;
}

const REASON = /^[\t\x20-\x7e]*$/;

/** Set by a successful fields check: whether a Content-Type was among them. */
let typed = false;

/**
 * The fields of a plain object or array of pairs as name, value, ..., when all are valid and need no
 * normalizing and no name repeats (but set-cookie); null when undici must take them (it combines
 * repeats, trims, or throws).
 */
function plainFields(headers: object): string[] | null {
  const fields: string[] = [];
  typed = false;
  if (Array.isArray(headers)) {
    if (Object.getPrototypeOf(headers) !== Array.prototype) return null;
    for (let i = 0; i < headers.length; i++) {
      const pair = headers[i] as unknown;
      if (!Array.isArray(pair) || pair.length !== 2 || Object.getPrototypeOf(pair) !== Array.prototype) return null;
      if (!addField(fields, pair[0], pair[1])) return null;
    }
  } else {
    const proto = Object.getPrototypeOf(headers);
    if (proto !== Object.prototype && proto !== null) return null;
    // undici reads every own key, symbols too (and throws for a symbol).
    if (Object.getOwnPropertySymbols(headers).length !== 0) return null;
    const record = headers as Record<string, unknown>;
    for (const name of Object.keys(record)) {
      if (!addField(fields, name, record[name])) return null;
    }
  }
  return fields;
}

function addField(fields: string[], name: unknown, value: unknown): boolean {
  if (typeof name !== 'string' || !plainValue(value)) return false;
  const lower = lowerName(name);
  if (lower === undefined) return false;
  if (lower !== 'set-cookie') {
    // A repeated name is combined by undici ("a, b"): let it.
    for (let i = 0; i < fields.length; i += 2) {
      if (names.get(fields[i]) === lower) return false;
    }
  }
  if (lower === 'content-type') typed = true;
  fields.push(name, value);
  return true;
}

/** undici's copy of a byte body: an ArrayBuffer or a view of one, never a shared one. */
function bytesOf(body: object): Uint8Array | undefined {
  if (body instanceof ArrayBuffer) return new Uint8Array(body.slice(0));
  if (ArrayBuffer.isView(body) && body.buffer instanceof ArrayBuffer) {
    return new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
  }
  return undefined;
}

let lightOf: (response: object) => LightResponse | undefined;
let partsOf: (response: LightResponse) => LightParts | undefined;
let realOf: (response: LightResponse) => Response;

/** The init fields the light form takes; anything else goes to undici whole. */
interface InitLike {
  status?: unknown;
  statusText?: unknown;
  headers?: unknown;
}

export class LightResponse {
  #status = 200;
  #statusText = '';
  #body: string | Uint8Array | null = null;
  #fields: string[] | undefined = undefined;
  #headers: Headers | undefined = undefined;
  #defaultType: string | undefined = undefined;
  #real: Response | undefined = undefined;
  /** send() took the body: the real Response, when built, reads as used. */
  #used = false;

  constructor(body?: unknown, init?: unknown) {
    if (!this.#take(body, init, undefined)) {
      return Reflect.construct(NativeResponse, [body, init], new.target) as this;
    }
    markAsUncloneable?.(this);
  }

  /** Fills the light state; false when undici must take these arguments instead. */
  #take(body: unknown, init: unknown, type: string | undefined): boolean {
    let stored: string | Uint8Array | null;
    if (body === undefined || body === null) stored = null;
    else if (typeof body === 'string') {
      stored = body;
      type ??= TEXT_TYPE;
    } else if (typeof body === 'object') {
      const bytes = bytesOf(body);
      if (bytes === undefined) return false;
      stored = bytes;
    } else return false;
    if (init !== undefined && init !== null) {
      if (typeof init !== 'object') return false;
      const { status, statusText, headers } = init as InitLike;
      if (status !== undefined) {
        if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) return false;
        if (stored !== null && (status === 204 || status === 205 || status === 304)) return false;
        this.#status = status;
      }
      if (statusText !== undefined) {
        if (typeof statusText !== 'string' || !REASON.test(statusText)) return false;
        this.#statusText = statusText;
      }
      if (headers !== undefined && headers !== null) {
        if (headers instanceof NativeHeaders) {
          // A copy, as undici takes one: later changes to the caller's object do not show.
          const copy = new NativeHeaders(headers);
          if (type !== undefined && copy.has('content-type')) type = undefined;
          this.#headers = copy;
        } else if (typeof headers === 'object') {
          const fields = plainFields(headers);
          if (fields === null) return false;
          if (typed) type = undefined;
          if (fields.length !== 0) this.#fields = fields;
        } else return false;
      }
    }
    if (type !== undefined && this.#headers !== undefined) {
      this.#headers.append('content-type', type);
      type = undefined;
    }
    this.#body = stored;
    this.#defaultType = type;
    return true;
  }

  /** The real Response, built once from the same parts; headers handed out before are its headers' source. */
  #realize(): Response {
    let real = this.#real;
    if (real === undefined) {
      real = new NativeResponse(this.#body as BodyInit | null, {
        status: this.#status,
        statusText: this.#statusText,
        headers: this.#headers ?? this.#init(),
      });
      if (this.#used) {
        real.body
          ?.getReader()
          .cancel()
          .catch(() => {});
      }
      this.#real = real;
    } else if (this.#headers !== undefined) {
      // The headers object the caller holds is this one's; the real Response keeps a copy that must
      // say the same wherever it counts (blob()'s type, formData(), clone()).
      syncHeaders(real.headers, this.#headers);
    }
    return real;
  }

  /** The fields plus the Content-Type undici would add, as init for a Headers or a Response. */
  #init(): [string, string][] | undefined {
    const fields = this.#fields;
    const type = this.#defaultType;
    if (fields === undefined && type === undefined) return undefined;
    const pairs: [string, string][] = [];
    if (fields !== undefined) for (let i = 0; i < fields.length; i += 2) pairs.push([fields[i], fields[i + 1]]);
    if (type !== undefined) pairs.push(['content-type', type]);
    return pairs;
  }

  get status(): number {
    return this.#status;
  }

  get ok(): boolean {
    return this.#status >= 200 && this.#status <= 299;
  }

  get statusText(): string {
    return this.#statusText;
  }

  get headers(): Headers {
    if (this.#headers !== undefined) return this.#headers;
    if (this.#real !== undefined) return this.#real.headers;
    const headers = new NativeHeaders(this.#init());
    this.#headers = headers;
    this.#fields = undefined;
    this.#defaultType = undefined;
    return headers;
  }

  get type(): ResponseType {
    return 'default';
  }

  get url(): string {
    return '';
  }

  get redirected(): boolean {
    return false;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.#real === undefined && this.#body === null) return null;
    return this.#realize().body;
  }

  get bodyUsed(): boolean {
    if (this.#real === undefined) return this.#used;
    return this.#real.bodyUsed;
  }

  static {
    lightOf = (response) => (#real in response ? (response as LightResponse) : undefined);
    partsOf = (response) => {
      if (response.#real !== undefined) return undefined;
      if (response.#body !== null) response.#used = true;
      return {
        status: response.#status,
        fields: response.#fields,
        headers: response.#headers,
        defaultType: response.#defaultType,
        body: response.#body,
      };
    };
    realOf = (response) => response.#realize();
  }

  static json(data: unknown, init?: unknown): Response {
    const body = JSON.stringify(data);
    if (body !== undefined) {
      const light = new LightResponse();
      if (light.#take(body, init, JSON_TYPE)) return light as unknown as Response;
    }
    return NativeResponse.json(data, init as ResponseInit); // what undici makes of it, errors included
  }

  static redirect(url: string | URL, status?: number): Response {
    return NativeResponse.redirect(url, status);
  }

  static error(): Response {
    return NativeResponse.error();
  }

  static [Symbol.hasInstance](value: unknown): boolean {
    // A Response of any making is a Response; a subclass asks the ordinary question.
    if (this === LightResponse) return value instanceof NativeResponse;
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
}

// Every member of Response.prototype, in its order and with its enumerability, so that reflection sees
// what it sees on a real Response. On a light Response the class's own accessors answer, and the rest
// ask the real Response; on a real one (what the constructor returns for other arguments) undici's own
// members answer.
const proto = LightResponse.prototype as unknown as Record<PropertyKey, unknown>;
const mine = new Map<PropertyKey, PropertyDescriptor>();
for (const key of Reflect.ownKeys(proto)) {
  if (key === 'constructor') continue;
  mine.set(key, Object.getOwnPropertyDescriptor(proto, key)!);
  delete proto[key];
}
for (const key of Reflect.ownKeys(nativeProto)) {
  const d = Object.getOwnPropertyDescriptor(nativeProto, key)!;
  if (key === 'constructor') {
    Object.defineProperty(proto, key, { ...d, value: LightResponse });
    continue;
  }
  const own = mine.get(key)?.get;
  mine.delete(key);
  if (d.get !== undefined) {
    const nativeGet = d.get;
    const get = own
      ? function (this: object) {
          return isLight(this) ? own.call(this) : nativeGet.call(this);
        }
      : function (this: object) {
          return isLight(this) ? (realOf(this as LightResponse) as unknown as Record<PropertyKey, unknown>)[key] : nativeGet.call(this);
        };
    Object.defineProperty(get, 'name', { value: nativeGet.name });
    Object.defineProperty(proto, key, { get, set: undefined, enumerable: d.enumerable, configurable: d.configurable });
  } else if (typeof d.value === 'function') {
    const original = d.value as (...args: unknown[]) => unknown;
    const value = function (this: object, ...args: unknown[]) {
      return original.apply(isLight(this) ? realOf(this as LightResponse) : this, args);
    };
    Object.defineProperty(value, 'name', { value: original.name });
    Object.defineProperty(value, 'length', { value: original.length });
    Object.defineProperty(proto, key, { ...d, value });
  }
  // Other data properties (Symbol.toStringTag) are inherited as they are.
}
// Kept even if this Response.prototype lacked one.
for (const [key, d] of mine) Object.defineProperty(proto, key, d);
// An undici without its own inspect prints a Response's symbol-keyed state: print the real one's.
if (!Object.prototype.hasOwnProperty.call(proto, inspect.custom)) {
  Object.defineProperty(proto, inspect.custom, {
    value(this: object, depth: number, options: object) {
      return inspect(isLight(this) ? realOf(this as LightResponse) : this, { ...options, depth, customInspect: isLight(this) });
    },
    configurable: true,
    writable: true,
  });
}
Object.setPrototypeOf(proto, nativeProto);
Object.setPrototypeOf(LightResponse, NativeResponse);
// It stands in for Response: code that asks a constructor its name hears the same.
Object.defineProperty(LightResponse, 'name', { value: NativeResponse.name });

// undici reads a Response's state through symbol-keyed own slots (its own methods called on one,
// Response.prototype.text.call(x)): found on a real one, answered by the real one. A real Response
// made with this prototype (the constructor's other way) sets them as its own, as it always does.
for (const key of Object.getOwnPropertySymbols(new NativeResponse('probe'))) {
  if (Object.prototype.hasOwnProperty.call(proto, key)) continue;
  Object.defineProperty(proto, key, {
    get(this: object) {
      return isLight(this) ? (realOf(this as LightResponse) as unknown as Record<PropertyKey, unknown>)[key] : undefined;
    },
    set(this: object, value: unknown) {
      Object.defineProperty(this, key, { value, writable: true, enumerable: true, configurable: true });
    },
    configurable: true,
  });
}

function isLight(value: unknown): boolean {
  return value !== null && typeof value === 'object' && lightOf(value) !== undefined;
}

/** Makes `real`'s headers say what `given` says. */
function syncHeaders(real: Headers, given: Headers): void {
  const keys = [...real.keys()];
  for (const key of keys) real.delete(key);
  for (const [name, value] of given) if (name !== 'set-cookie') real.append(name, value);
  for (const cookie of given.getSetCookie()) real.append('set-cookie', cookie);
}

/** Real Responses refuse structuredClone where Node marks them (22.10+); so does this one. */
const markAsUncloneable = ((): ((o: object) => void) | undefined => {
  const mark = (workerThreads as { markAsUncloneable?: (o: object) => void }).markAsUncloneable;
  if (typeof mark !== 'function') return undefined;
  try {
    structuredClone(new NativeResponse('probe'));
    return undefined;
  } catch {
    return mark;
  }
})();

export { lightOf, partsOf, realOf };

// The global Response, replaced while a server that wants it runs (serve() by default) and put back
// when the last of them closes, unless something else replaced it since.
const globalDescriptor = Object.getOwnPropertyDescriptor(globalThis, 'Response');
let installs = 0;

/**
 * Makes LightResponse the global Response (when it still is undici's); returns the function that
 * gives it back, once the last server that asked for it is done.
 */
export function installGlobalResponse(): () => void {
  if (installs++ === 0 && globalThis.Response === NativeResponse) {
    Object.defineProperty(globalThis, 'Response', { value: LightResponse, writable: true, enumerable: false, configurable: true });
  }
  let done = false;
  return () => {
    if (done) return;
    done = true;
    if (--installs === 0 && globalThis.Response === (LightResponse as unknown) && globalDescriptor !== undefined) {
      Object.defineProperty(globalThis, 'Response', globalDescriptor);
    }
  };
}
