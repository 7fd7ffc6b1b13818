// Every error uvhttp throws or passes to a hook has a code, listed here and in the README.

export interface UvhttpError<Code extends string = ErrorCode> extends Error {
  code: Code;
  /** For errors about a request: the status the client was sent. */
  statusCode?: number;
}

function make<Code extends string>(code: Code, message: string, statusCode?: number, Base: ErrorConstructor = Error): UvhttpError<Code> {
  const err = new Base(message) as UvhttpError<Code>;
  err.code = code;
  if (statusCode !== undefined) err.statusCode = statusCode;
  return err;
}

/** The known name closest to a misspelt one (case aside, then by edit distance), if any is close. */
export function nearest(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of known) {
    if (candidate.toLowerCase() === name.toLowerCase()) return candidate;
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}

export const errors = {
  unknownOption: (name: string, known: readonly string[], where = 'option') => {
    const guess = nearest(name, known);
    return make(
      'UVHTTP_ERR_UNKNOWN_OPTION',
      `unknown ${where} "${name}"` + (guess !== undefined ? ` (did you mean "${guess}"?)` : `; the ${where}s are ${known.join(', ')}`),
      undefined,
      TypeError,
    );
  },
  invalidOption: (name: string, expected: string) =>
    make('UVHTTP_ERR_INVALID_OPTION', `option ${name} must be ${expected}`, undefined, TypeError),
  invalidArgument: (name: string, expected: string) =>
    make('UVHTTP_ERR_INVALID_ARG', `${name} must be ${expected}`, undefined, TypeError),
  invalidRoute: (message: string) => make('UVHTTP_ERR_INVALID_ROUTE', message, undefined, TypeError),
  duplicateRoute: (message: string) => make('UVHTTP_ERR_DUPLICATE_ROUTE', message),
  invalidHeader: (name: string) =>
    make('UVHTTP_ERR_INVALID_HEADER', `invalid header name or value for "${name}"`, undefined, TypeError),
  invalidStatus: (code: unknown) =>
    make('UVHTTP_ERR_INVALID_STATUS', `status must be an integer from 200 to 999, got ${String(code)}`, undefined, RangeError),
  alreadySent: () => make('UVHTTP_ERR_ALREADY_SENT', 'the response was already sent'),
  headersSent: () =>
    make('UVHTTP_ERR_HEADERS_SENT', 'the response head was already sent (the response is streaming): status and headers can no longer change'),
  contentLength: (declared: number, actual: number) =>
    make(
      'UVHTTP_ERR_CONTENT_LENGTH',
      `the streamed body is ${actual > declared ? 'longer' : 'shorter'} than its Content-Length (${declared} bytes): ` +
        (actual > declared ? 'the write was refused' : 'the response was cut off, so the client sees it incomplete'),
    ),
  requestExpired: () =>
    make(
      'UVHTTP_ERR_REQUEST_EXPIRED',
      'the request expired: its handler ended the response and returned (or threw), so its bytes were ' +
        'reused for other requests; read the request inside the handler, or return (await) a promise from it',
    ),
  invalidJson: (why = 'request body is not valid JSON') => make('UVHTTP_ERR_INVALID_JSON', why, 400),
  unsupportedMediaType: (got: string | undefined, expected: string) =>
    make('UVHTTP_ERR_UNSUPPORTED_MEDIA_TYPE', `the request's Content-Type is ${got ?? 'missing'}; this reads ${expected}`, 415),
  form: (why: string, status: number) => make('UVHTTP_ERR_FORM', why, status),
  requestBody: (status: number) =>
    make(
      'UVHTTP_ERR_REQUEST_BODY',
      status === 413
        ? 'the request body is larger than its route\'s bodyLimit'
        : status === 408
          ? 'the request body did not arrive in time'
          : `the request body is malformed (its chunked framing is broken)`,
      status,
    ),
  connectionClosed: () =>
    make('UVHTTP_ERR_CONNECTION_CLOSED', 'the client connection closed before the response was sent'),
  accessLog: (reason: string) => make('UVHTTP_ERR_ACCESS_LOG', reason),
  appModule: (message: string) => make('UVHTTP_ERR_APP_MODULE', message),
  serveDir: (root: string, reason: string) =>
    make('UVHTTP_ERR_SERVE_DIR', `cannot serve ${root}: ${reason}`),
  handlerTimeout: () =>
    make(
      'UVHTTP_ERR_HANDLER_TIMEOUT',
      'the handler did not answer within handlerTimeout: the client was sent a 503, and what the handler sends later is dropped',
      503,
    ),
  injectUnavailable: () =>
    make('UVHTTP_ERR_INJECT', 'app.inject() could not open a connection to the server (closed, or no socket pairs on this system)'),
  alreadyListening: () => make('UVHTTP_ERR_ALREADY_LISTENING', 'listen() was already called on this server: one server listens once'),
  serverClosed: (what: string) =>
    make('UVHTTP_ERR_SERVER_CLOSED', `${what} after close(): a closed server cannot be used again, create a new one`),
  invalidReturn: (got: string) =>
    make(
      'UVHTTP_ERR_INVALID_RETURN',
      `a handler returned ${got}: return a string, bytes, a stream, or a value JSON can say (a plain object, an array, a number, a boolean, null)`,
    ),
  invalidResponse: (got: string) =>
    make('UVHTTP_ERR_INVALID_RESPONSE', `a fetch handler must return a Response (or a Promise of one), got ${got}`),
  clientError: (status: number, reason: string) =>
    make('UVHTTP_ERR_CLIENT', `rejected a request: ${status} ${reason}`, status),
};

/** Every code an error uvhttp throws or reports can have (the README's Errors table). */
export type ErrorCode = ReturnType<(typeof errors)[keyof typeof errors]>['code'];
