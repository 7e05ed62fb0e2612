import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../logging/logger';
import { routeOf } from '../tracing/tracing';

/** An incoming id a client or a proxy chose is kept when it is plain: no spaces, quotes or control characters. */
const WELL_FORMED = /^[A-Za-z0-9._~:@+=/-]{1,128}$/;

declare module 'express-serve-static-core' {
  interface Locals {
    requestId?: string;
  }
}

/** Every answer carries `Request-Id`: the caller's own when well formed, else a new one. */
export function requestIds() {
  return (req: Request, res: Response, next: NextFunction) => {
    const given = req.get('request-id');
    const id = given && WELL_FORMED.test(given) ? given : `req_${randomBytes(12).toString('base64url')}`;
    res.locals.requestId = id;
    res.set('request-id', id);
    next();
  };
}

/**
 * One log line per request when its answer is out: method, declared route, status, duration, app and key,
 * request id. Never the URL (a connect token is a path, a query may hold anything), a header or a body.
 */
export function requestLog(log: Logger): RequestHandler {
  // pino-http makes child loggers for every request even when nothing would be written: not mounted then.
  if (!log.isLevelEnabled('info')) return (_req, _res, next) => next();
  return pinoHttp({
    // pino-http binds the raw request to a child logger; the logger's wildcard redaction would walk it and
    // trip Express' getters. Nothing of the request is written but what the serializer below picks.
    logger: log.child({}, { redact: { paths: [], censor: '[redacted]' } }),
    genReqId: (_req, res) => (res as unknown as Response).locals.requestId ?? '',
    quietReqLogger: true,
    quietResLogger: true,
    wrapSerializers: false,
    customAttributeKeys: { reqId: 'requestId', responseTime: 'durationMs' },
    serializers: {
      // Bound once per request when it starts, before its route is known: what is logged comes from `res`.
      req: () => undefined,
      res: (raw: ServerResponse) => {
        const res = raw as unknown as Response;
        return {
          method: res.req.method,
          route: routeOf(res),
          status: res.statusCode,
          ...(res.locals.app ? { appId: res.locals.app._id } : {}),
          ...(res.locals.key ? { keyId: res.locals.key.id } : {}),
          ...(res.locals.operator ? { operator: (res.locals.operator as { name: string }).name } : {}),
        };
      },
      err: (error: Error) => ({ type: error.name, message: error.message }),
    },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessMessage: (req, res) =>
      `${req.method} ${routeOf(res as unknown as Response)} ${res.statusCode}`,
    customErrorMessage: (req, res) =>
      `${req.method} ${routeOf(res as unknown as Response)} ${res.statusCode}`,
  });
}
