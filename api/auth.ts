import type { NextFunction, Request, Response } from 'express';
import type { AppDoc, AppStore, Caller } from '../store/apps';
import type { FailedAuthLimit } from './failed-auth';

/** What a request knows of its app: its id, the scope of every query. */
export type CallingApp = Pick<AppDoc, '_id'>;

import { problems } from './problem';

declare module 'express-serve-static-core' {
  interface Locals {
    app?: CallingApp;
    key?: Caller['key'];
  }
}

/**
 * `Authorization: Bearer <app api key>`; the app found is the scope of every query in the request. The key is
 * checked before any failure count: others' failures never refuse a valid key.
 */
export function requireAppKey(apps: AppStore, failures?: FailedAuthLimit) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) return next(problems.unauthorized('Send your API key as "Authorization: Bearer <key>"'));
    const sent = match[1] as string;
    const caller = await apps.authenticate(sent);
    if (!caller) {
      const limited = await failures?.failure(req, res, sent);
      return next(limited ?? problems.unauthorized('The API key is not valid or has been revoked'));
    }
    res.locals.app = caller.app;
    res.locals.key = caller.key;
    next();
  };
}

export function callingApp(res: Response): CallingApp {
  const app = res.locals.app;
  if (!app) throw new Error('requireAppKey must run before this handler');
  return app;
}

export function callingKey(res: Response): Caller['key'] {
  const key = res.locals.key;
  if (!key) throw new Error('requireAppKey must run before this handler');
  return key;
}
