import type { NextFunction, Request, Response } from 'express';
import { API_PERMISSIONS, type ApiPermission } from '../domain/api-permissions';
import { callingKey } from './auth';
import { Problem } from './problem';

export const missingPermission = (permission: ApiPermission) =>
  new Problem(
    403,
    'missing_permission',
    'The API key lacks a permission',
    `this call needs the API key permission ${permission} (${API_PERMISSIONS[permission]})`,
    undefined,
    { permission },
  );

/** Refuses a call whose key lacks the permission its route declares, with a 403 that names it. */
export function requirePermission(permission: ApiPermission) {
  return (_req: Request, res: Response, next: NextFunction) => {
    if (!callingKey(res).permissions.includes(permission)) return next(missingPermission(permission));
    next();
  };
}
