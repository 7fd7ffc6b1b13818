// The JS side of the crossing: one call per loop iteration runs the handlers of every request the
// core read in that iteration.
import {
  FLAG_BODY_STREAM,
  REQ_CONN,
  REQ_FIXED_WORDS,
  REQ_FLAGS,
  REQ_HANDLER,
  REQ_NUM_HEADERS,
  REQ_NUM_PARAMS,
  REQ_SEQ,
  REQ_SERIAL_HI,
  REQ_SERIAL_LO,
} from './protocol.js';
import type { FastBuffer } from './bytes.js';
import type { InFlight } from './in-flight.js';
import type { Output } from './output.js';
import type { NativeServer } from './native.js';
import { errors } from './errors.js';
import { RequestBody } from './request-body.js';
import { Request, expireBatch, type RouteInfo } from './request.js';
import { Response } from './response.js';

/**
 * What a handler may return: a body (a string or bytes), a stream, a value sent as JSON, or nothing
 * (it answers with `res`); or a Promise of one. A Map, a Set or a BigInt is refused at run time
 * (UVHTTP_ERR_INVALID_RETURN): JSON would drop or mangle it.
 */
export type Reply = string | Uint8Array | number | boolean | object | null | undefined | void;

/** A route's handler; Params are its path's params (see ParamsOf). */
export type Handler<Params = Record<string, string>> = (
  req: Request<Params>,
  res: Response,
) => Reply | Promise<Reply>;

/** Shapes the response to a handler's or hook's error: answers with `res`, or returns a value to send. */
export type ErrorHandler = (err: unknown, req: Request, res: Response) => unknown;

/** A handler as the dispatcher calls it: whatever its params and reply types. */
export type RouteHandler = (req: Request, res: Response) => unknown;

export interface Route extends RouteInfo {
  handler: RouteHandler;
  paramNames: readonly string[];
  /** The error handler of the route's scope (or the nearest enclosing one that has one). */
  errorHandler?: ErrorHandler;
}

export type ErrorHook = (err: unknown, req: Request) => void;

/** Handles a route's failure: a handler, hook or error handler that threw or rejected. */
export type Fail = (route: Route | undefined, req: Request, res: Response, err: unknown) => void;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function';
}

/**
 * What happens when a route fails: onError hears of it, then the route's error handler answers, or
 * without one (or when it fails too) the default: the error's 4xx status and message, else a 500.
 */
export function createFail(onError: () => ErrorHook, inFlight: InFlight): { fail: Fail; observe: ErrorHook } {
  // Tells onError; a broken hook is a warning, never a crash or a client left waiting.
  const observe = (err: unknown, req: Request) => {
    try {
      onError()(err, req);
    } catch (hookError) {
      // A broken hook must not take the server down or leave the client waiting.
      process.emitWarning(`uvhttp: onError threw: ${String(hookError)}`);
    }
  };
  const answer = (res: Response, err: unknown) => {
    if (res.finished || res.ending) return;
    if (res.headersSent) {
      // Too late for an error response: cut the stream off, so the client sees it incomplete.
      res.abortStream();
      return;
    }
    const status = (err as { statusCode?: unknown })?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).end((err as Error).message);
    } else if ((err as { code?: unknown })?.code === 'UVHTTP_ERR_HANDLER_TIMEOUT') {
      res.status(503).end('Service Unavailable');
    } else {
      res.status(500).end('Internal Server Error');
    }
  };
  // What the error handler gave: its own answer, a value to send, or nothing (the default then).
  const shaped = (req: Request, res: Response, err: unknown, value: unknown) => {
    if (res.finished || res.ending || res.headersSent) return;
    if (value === undefined) return answer(res, err);
    try {
      const streaming = res.send(value);
      if (streaming !== undefined) streaming.then(undefined, (e: unknown) => observe(e, req));
    } catch (sendError) {
      observe(sendError, req);
      answer(res, sendError);
    }
  };
  const fail: Fail = (route, req, res, err) => {
    // The client went away: nothing on the server failed.
    if (res.closed && (err as { code?: unknown })?.code === 'UVHTTP_ERR_CONNECTION_CLOSED') return;
    observe(err, req);
    if (res.finished || res.ending) return;
    const handler = route?.errorHandler;
    if (handler === undefined || res.headersSent) return answer(res, err);
    let value: unknown;
    try {
      value = handler(err, req, res);
    } catch (handlerError) {
      observe(handlerError, req);
      return answer(res, handlerError);
    }
    if (!isThenable(value)) return shaped(req, res, err, value);
    // It answers later: the request must stay readable, and hear if the client goes away.
    req.detach();
    res.track(inFlight);
    value.then(
      (v) => shaped(req, res, err, v),
      (handlerError: unknown) => {
        observe(handlerError, req);
        answer(res, handlerError);
      },
    );
  };
  return { fail, observe };
}

export function createDispatcher(
  routes: readonly Route[],
  output: Output,
  inFlight: InFlight,
  fail: Fail,
  native: Pick<NativeServer, 'readBody'>,
) {
  let data: FastBuffer;
  let meta: Uint32Array;

  // Apart from the loop, which stays small enough for V8 to inline the Request and Response
  // constructors into it: the rare case must not cost the common one.
  const streamBody = (req: Request, res: Response) => {
    const body = new RequestBody(() => native.readBody(res.conn, res.serialLo, res.serialHi, res.seq));
    req.streamBody(body);
    res.requestBody = body;
  };

  // A handler that answers after its batch: its request keeps its bytes, its response hears when the
  // client goes away, and it has handlerTimeout to answer (a streamed upload is bounded by
  // bodyTimeout instead, and a response already streaming has answered).
  const later = (route: Route, req: Request, res: Response) => {
    req.detach();
    res.track(inFlight);
    if (res.finished || res.requestBody !== undefined || res.headersSent) return;
    inFlight.watch(res, () => {
      if (res.finished || res.closed || res.headersSent || res.ending) return false;
      res.timedOut();
      fail(route, req, res, errors.handlerTimeout());
      return true;
    });
  };

  const settle = (route: Route, req: Request, res: Response, result: unknown) => {
    if (res.finished || res.ending || result === undefined) return;
    try {
      const streaming = res.send(result);
      if (streaming !== undefined) streaming.then(undefined, (err: unknown) => fail(route, req, res, err));
    } catch (err) {
      fail(route, req, res, err);
    }
  };

  // Every request leaves here detached or expired (expireBatch), whatever its handler did: one that
  // can run after the return gets its own copy; the rest keep the zero-copy view and expire, so code
  // that kept one anyway (a timer, a microtask) gets an error instead of the next batch's bytes.
  return function dispatch(count: number, newData?: Buffer, newMeta?: ArrayBuffer): void {
    if (newData !== undefined && newMeta !== undefined) {
      data = newData as FastBuffer;
      meta = new Uint32Array(newMeta);
    }
    output.beginBatch();
    try {
      let p = 0;
      for (let i = 0; i < count; i++) {
        const route = routes[meta[p + REQ_HANDLER]];
        const req = new Request(data, meta, p, route);
        const res = new Response(
          output,
          meta[p + REQ_CONN],
          meta[p + REQ_SERIAL_LO],
          meta[p + REQ_SERIAL_HI],
          meta[p + REQ_SEQ],
          meta[p + REQ_FLAGS],
        );
        if ((meta[p + REQ_FLAGS] & FLAG_BODY_STREAM) !== 0) streamBody(req, res);
        p += REQ_FIXED_WORDS + 4 * meta[p + REQ_NUM_HEADERS] + 2 * meta[p + REQ_NUM_PARAMS];
        let result: unknown;
        try {
          result = route.handler(req, res);
        } catch (err) {
          fail(route, req, res, err);
          continue;
        }
        if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
          // Even when the response is already sent: the promise is code still running that may read
          // the request (logging, auditing), and its rejection still belongs to onError.
          later(route, req, res);
          (result as PromiseLike<unknown>).then(
            (value) => settle(route, req, res, value),
            (err: unknown) => fail(route, req, res, err),
          );
        } else if (res.finished) {
          continue;
        } else if (result !== undefined) {
          settle(route, req, res, result);
          if (!res.finished) {
            // A stream it returned is still being sent: it may read the request, and must hear
            // when the client goes away.
            later(route, req, res);
          }
        } else {
          later(route, req, res); // the handler answers later
        }
      }
    } finally {
      expireBatch();
      // A throw that escaped the loop must not leave the output believing a batch still runs: no
      // response finished later would ever be flushed.
      output.endBatch();
    }
  };
}
