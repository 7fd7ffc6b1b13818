// Hooks around a route's handler, fastify's four: onRequest and preHandler run before it and may
// answer instead of it, onSend sees every whole response's body before it goes out and may replace
// it, onResponse runs once the response went to the connection. A route whose scopes have no hooks
// runs its handler as it is: hooks cost nothing where none are registered.
import { errors } from './errors.js';
import type { Request } from './request.js';
import type { Body, Response } from './response.js';

export const HOOK_NAMES = ['onRequest', 'preHandler', 'onSend', 'onResponse'] as const;
export type HookName = (typeof HOOK_NAMES)[number];

/** onRequest, preHandler: answer with `res` (e.g. `res.status(401).end()`) to skip the handler. */
export type RequestHook = (req: Request, res: Response) => void | Promise<void>;
/**
 * onSend: sees the body end() was given (a value a handler returned, serialised) and may return
 * another, and may change status and headers. Returning undefined keeps the body.
 */
export type SendHook = (req: Request, res: Response, body: Body | undefined) => Body | undefined | void | Promise<Body | undefined | void>;
/** onResponse: after the response went to the connection (logging, metrics). Cannot change it. */
export type ResponseHook = (req: Request, res: Response) => void | Promise<void>;

export interface Hooks {
  onRequest: RequestHook[];
  preHandler: RequestHook[];
  onSend: SendHook[];
  onResponse: ResponseHook[];
}

export const noHooks = (): Hooks => ({ onRequest: [], preHandler: [], onSend: [], onResponse: [] });

export function checkHook(name: unknown, fn: unknown): HookName {
  if (typeof name !== 'string' || !(HOOK_NAMES as readonly string[]).includes(name)) {
    throw errors.invalidArgument('hook name', `one of ${HOOK_NAMES.join(', ')}, got ${String(name)}`);
  }
  if (typeof fn !== 'function') throw errors.invalidArgument(`the ${name} hook`, 'a function');
  return name as HookName;
}

export type Handler = (req: Request, res: Response) => unknown;

/** Where the hooks' failures go. */
export interface HookFailures {
  /** A failure the response can still show (an async onSend): as the handler's would. */
  fail(req: Request, res: Response, err: unknown): void;
  /** A failure once the response went out (onResponse): reported only. */
  observe(err: unknown, req: Request): void;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function';
}

/**
 * What a response with onSend or onResponse hooks carries from its route to its end(): the request
 * they are called with, and where onResponse's failures go.
 */
export class SendHooks {
  constructor(
    private readonly hooks: Hooks,
    private readonly req: Request,
    private readonly failures: HookFailures,
  ) {}

  get hasOnSend(): boolean {
    return this.hooks.onSend.length > 0;
  }

  /**
   * Runs the onSend hooks over body: the body to send when every hook answered synchronously, else a
   * promise of it (rejected when a hook failed).
   */
  send(res: Response, body: Body | undefined): Body | undefined | Promise<Body | undefined> {
    const list = this.hooks.onSend;
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!(this.req, res, body);
      if (isThenable(r)) {
        // The rest runs after this batch: the request must stay readable.
        this.req.detach();
        return this.sendLater(r, i + 1, res, body);
      }
      if (r !== undefined) body = checkBody(r);
    }
    return body;
  }

  private async sendLater(first: PromiseLike<unknown>, from: number, res: Response, body: Body | undefined): Promise<Body | undefined> {
    const list = this.hooks.onSend;
    let result = await first;
    for (let i = from; ; i++) {
      if (result !== undefined) body = checkBody(result);
      if (i >= list.length) return body;
      result = await list[i]!(this.req, res, body);
    }
  }

  /** An async onSend failed: the response is still unsent. */
  failed(res: Response, err: unknown): void {
    this.failures.fail(this.req, res, err);
    if (res.finished) this.responded(res);
  }

  /** After the write: onResponse hooks, whose failures can only be reported. */
  responded(res: Response): void {
    const list = this.hooks.onResponse;
    for (let i = 0; i < list.length; i++) {
      try {
        const r = list[i]!(this.req, res);
        if (isThenable(r)) {
          this.req.detach();
          r.then(undefined, (err: unknown) => this.failures.observe(err, this.req));
        }
      } catch (err) {
        this.failures.observe(err, this.req);
      }
    }
  }
}

function checkBody(value: unknown): Body {
  if (typeof value === 'string' || value instanceof Uint8Array) return value;
  throw errors.invalidArgument('the body an onSend hook returns', 'a string, Buffer or Uint8Array (or undefined to keep the body)');
}

/**
 * The handler with its hooks around it: the handler itself when there are none. The result is a
 * handler like any other: synchronous while every hook is, a promise once one is not.
 */
export function withHooks(handler: Handler, hooks: Hooks, failures: HookFailures): Handler {
  const before = [...hooks.onRequest, ...hooks.preHandler];
  const after = hooks.onSend.length > 0 || hooks.onResponse.length > 0;
  if (before.length === 0 && !after) return handler;
  const rest = async (req: Request, res: Response, first: PromiseLike<unknown>, from: number): Promise<unknown> => {
    await first;
    for (let i = from; i < before.length; i++) {
      if (answered(res)) return undefined;
      await before[i]!(req, res);
    }
    return answered(res) ? undefined : handler(req, res);
  };
  return (req: Request, res: Response) => {
    if (after) res.hooks = new SendHooks(hooks, req, failures);
    for (let i = 0; i < before.length; i++) {
      const r = before[i]!(req, res);
      if (isThenable(r)) return rest(req, res, r, i + 1);
      if (answered(res)) return undefined;
    }
    return handler(req, res);
  };
}

/** A hook answered, or the client left while one ran: the handler does not run. */
function answered(res: Response): boolean {
  return res.finished || res.ending === true || res.headersSent || res.closed;
}
