import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { ApiPermission } from '../../domain/api-permissions';
import type { OperatorRole } from '../../domain/operator';
import { fromZod, Problem } from '../problem';
import { type Access, allMethods, type Handler, type RouteSpec, takesIdempotencyKey } from './declare';

/** What stands before a route's handler for each kind of access. */
export interface Guards {
  apiKey(permission: ApiPermission): RequestHandler[];
  connectToken: RequestHandler[];
  operator(role: OperatorRole): RequestHandler[];
  public: RequestHandler[];
}

export interface MountOptions {
  guards: Guards;
  /** `Idempotency-Key` on an API key's POSTs. */
  idempotency: RequestHandler;
  /** The request's deadline (503 naming what does not answer), per route. */
  deadline(ms: number | undefined): RequestHandler;
}

declare module 'express-serve-static-core' {
  interface Locals {
    /** The declared pattern the request matched: the only name metrics, traces and logs use. */
    route?: string;
    operationId?: string;
    /** Set by idempotency.ts: this request's answer is recorded for its retries. */
    idempotent?: boolean;
  }
}

const JSON_LIMIT = '64kb';
const FORM_LIMIT = '16kb';

/** A declared JSON body must arrive as JSON: anything else is a 415 before it is read. */
const jsonOnly: RequestHandler = (req, _res, next) => {
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (hasBody && !req.is('application/json')) {
    return next(new Problem(415, 'unsupported_media_type', 'Send JSON', 'the body must be application/json'));
  }
  next();
};

function bodyParsers(spec: RouteSpec): RequestHandler[] {
  if (spec.body === undefined || spec.body === 'raw') return [];
  if (spec.body === 'form') {
    return [express.urlencoded({ extended: false, limit: FORM_LIMIT }), express.json({ limit: JSON_LIMIT })];
  }
  return [jsonOnly, express.json({ limit: JSON_LIMIT })];
}

function guardsOf(access: Access | undefined, guards: Guards, where: string): RequestHandler[] {
  if (!access) throw new Error(`${where} declares no access: say which API key permission it needs`);
  if ('apiKey' in access) return guards.apiKey(access.apiKey);
  if ('operator' in access) return guards.operator(access.operator);
  if ('connectToken' in access) return guards.connectToken;
  if (typeof access.public === 'string' && access.public.length > 0) return guards.public;
  throw new Error(`${where} is public without saying why`);
}

/** Path parameters name a resource: one that does not fit its pattern does not exist. */
function validated(spec: RouteSpec): RequestHandler {
  return (req, res, next) => {
    const input: Record<string, unknown> = { params: req.params, query: {}, body: req.body };
    if (spec.params) {
      const parsed = spec.params.safeParse(req.params);
      if (!parsed.success) {
        const name = String(parsed.error.issues[0]?.path[0] ?? 'path');
        return next(
          new Problem(404, 'not_found', 'Not found', `no ${name} "${String(req.params[name])}" here`),
        );
      }
      input.params = parsed.data;
    }
    if (spec.query) {
      const parsed = spec.query.safeParse(req.query);
      if (!parsed.success) return next(fromZod(parsed.error, 'query'));
      input.query = parsed.data;
    }
    if (typeof spec.body === 'object') {
      const parsed = spec.body.safeParse(req.body ?? {});
      if (!parsed.success) return next(fromZod(parsed.error));
      input.body = parsed.data;
    }
    res.locals.input = input;
    next();
  };
}

function answer(handler: Handler<RouteSpec>): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const input = res.locals.input as Omit<Parameters<Handler<RouteSpec>>[0], 'req' | 'res'>;
      const reply = await handler({ ...input, req, res });
      if (!reply) return;
      if (res.headersSent) {
        // The deadline's 503 went out first. The answer goes nowhere, but an idempotent request's record is
        // kept for the client's retry (idempotency.ts wraps res.json), so it is still handed over.
        if (res.locals.idempotent) res.status(reply.status).json(reply.body);
        return;
      }
      res.status(reply.status);
      if (reply.headers) res.set(reply.headers);
      if (reply.body === undefined) res.end();
      else res.json(reply.body);
    } catch (error) {
      next(error);
    }
  };
}

/**
 * Registers every declared route on `app`, and only those: guard (who may call), body parser, idempotency,
 * validation, handler. Refuses to start on a route without access, a duplicate, or a handler missing or extra.
 */
export function mountRoutes(
  app: express.Express,
  routes: readonly RouteSpec[],
  handlers: Record<string, Handler<never>>,
  options: MountOptions,
) {
  const seen = new Set<string>();
  for (const spec of routes) {
    const where = `route ${spec.operationId} (${spec.method.toUpperCase()} ${spec.path})`;
    if (seen.has(spec.operationId)) throw new Error(`${where}: operationId declared twice`);
    seen.add(spec.operationId);
    const handler = handlers[spec.operationId] as Handler<RouteSpec> | undefined;
    if (!handler) throw new Error(`${where} has no handler`);
    const chain: RequestHandler[] = [
      (_req, res, next) => {
        res.locals.route = spec.path;
        res.locals.operationId = spec.operationId;
        next();
      },
      options.deadline(spec.deadlineMs),
      ...bodyParsers(spec),
      ...guardsOf(spec.access, options.guards, where),
      ...(takesIdempotencyKey(spec) ? [options.idempotency] : []),
      validated(spec),
      answer(handler),
    ];
    for (const method of allMethods(spec)) app[method](spec.path, ...chain);
  }
  const extra = Object.keys(handlers).filter((id) => !seen.has(id));
  if (extra.length > 0) throw new Error(`handlers without a declared route: ${extra.join(', ')}`);
}
