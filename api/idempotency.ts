import { createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { IdempotencyStore } from '../store/idempotency';
import { callingApp, callingKey } from './auth';
import { Problem } from './problem';

/**
 * `Idempotency-Key` on POST, per API key: the same key and body get the first response again (with
 * `Idempotent-Replayed: true`); the same key with another body is a 422; a key still being processed is a 409.
 */
export function idempotency(store: IdempotencyStore) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const key = req.get('idempotency-key');
    if (req.method !== 'POST' || key === undefined) return next();
    if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
      return next(
        new Problem(
          400,
          'invalid_idempotency_key',
          'Invalid Idempotency-Key',
          'use 1 to 255 printable ASCII characters',
        ),
      );
    }
    // Per API key, as Stripe scopes them: another key of the app (perhaps a narrower one) cannot replay this
    // key's answers, which may carry secrets (a new API key, a webhook secret).
    const id = `${callingApp(res)._id}:${callingKey(res).id}:${key}`;
    const requestHash = createHash('sha256')
      .update(`${req.method} ${req.originalUrl}\n${JSON.stringify(req.body ?? null)}`)
      .digest('hex');
    const claim = await store.claim(id, requestHash);
    if (claim.kind === 'mismatch') {
      return next(
        new Problem(
          422,
          'idempotency_key_reused',
          'Idempotency-Key reused',
          'this key was used with a different request; use a new key for a new request',
        ),
      );
    }
    if (claim.kind === 'in_progress') {
      return next(
        new Problem(
          409,
          'idempotency_key_in_use',
          'Request in progress',
          'a request with this key is still running',
        ),
      );
    }
    if (claim.kind === 'replay') {
      res.set('idempotent-replayed', 'true');
      return void res.status(claim.status).json(claim.body);
    }
    res.locals.idempotent = true;
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      if (res.headersSent) {
        // The handler finished after its deadline's 503 went out: what it did is remembered, so the client's
        // retry with this key gets it, and nothing more is sent.
        if (res.statusCode < 400) void store.complete(id, res.statusCode, body).catch(() => undefined);
        return res;
      }
      // Like Stripe: only a request that did something is remembered; a refused one (4xx, 5xx) frees its
      // key, so the client can correct the request and retry with the same key. A 5xx (a dependency down)
      // answers at once: freeing the key then is best effort (a retry may see it in use for a moment).
      if (res.statusCode >= 500) {
        void store.release(id).catch(() => undefined);
        return json(body);
      }
      const settle = res.statusCode >= 400 ? store.release(id) : store.complete(id, res.statusCode, body);
      settle.then(
        () => (res.headersSent ? undefined : json(body)),
        (error) => next(error),
      );
      return res;
    };
    res.on('close', () => {
      if (!res.writableFinished) void store.release(id);
    });
    next();
  };
}
