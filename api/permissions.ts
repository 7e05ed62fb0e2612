import type { NextFunction, Request, Response } from 'express';
import { API_PERMISSIONS, type ApiPermission } from '../domain/api-permissions';
import { callingKey } from './auth';
import { Problem } from './problem';

/**
 * Which permission each integrator route needs: the first row whose path matches, by method (GET/HEAD read,
 * anything else writes). One table, so a new route shows its permission here.
 */
const ROUTE_PERMISSIONS: { path: RegExp; read: ApiPermission; write: ApiPermission }[] = [
  { path: /^\/v1\/links\/[^/]+\/(access-token|proxy)(\/|$)/, read: 'links:use', write: 'links:use' },
  { path: /^\/v1\/links\/[^/]+\/credentials\/?$/, read: 'credentials:read', write: 'credentials:read' },
  { path: /^\/v1\/links(\/|$)/, read: 'links:read', write: 'links:write' },
  { path: /^\/v1\/webhook-endpoints(\/|$)/, read: 'webhooks:read', write: 'webhooks:write' },
  { path: /^\/v1\/api-keys(\/|$)/, read: 'keys:read', write: 'keys:write' },
];

function permissionFor(method: string, path: string): ApiPermission | undefined {
  const row = ROUTE_PERMISSIONS.find((r) => r.path.test(path));
  if (!row) return undefined;
  return method === 'GET' || method === 'HEAD' ? row.read : row.write;
}

export const missingPermission = (permission: ApiPermission) =>
  new Problem(
    403,
    'missing_permission',
    'The API key lacks a permission',
    `this call needs the API key permission ${permission} (${API_PERMISSIONS[permission]})`,
    undefined,
    { permission },
  );

/** Refuses a call whose key lacks the route's permission, with a 403 that names it. */
export function requirePermission() {
  return (req: Request, res: Response, next: NextFunction) => {
    const permission = permissionFor(req.method, req.originalUrl.split('?')[0] as string);
    if (permission && !callingKey(res).permissions.includes(permission))
      return next(missingPermission(permission));
    next();
  };
}
