import { type Request, type Response, Router } from 'express';
import { parseBasic } from './harvest-routes';
import type { FixedWindowLimiter } from './rate-limit';
import { pageOf } from './records';
import { LEGACY_ENDPOINTS, type SimulatorState } from './state';

/** Retired Harvest v1: Basic auth with the API key as user name, per-endpoint permissions. */
export function legacyV1Routes(state: SimulatorState, limiter: FixedWindowLimiter) {
  const router = Router();
  router.all('/v1/{*rest}', (req: Request, res: Response) => {
    // v1 authenticates before routing: a bad key is a 401 even on an unknown path.
    const key = state.legacyKeys.get(parseBasic(req.headers.authorization)?.id ?? '');
    if (!key) return void res.status(401).json({ message: 'Invalid Basic Auth credentials' });
    res.locals.clientId = key.apiKey.slice(0, 6);
    const limited = limiter.take(`v1:${key.apiKey}`);
    res.set(limited.headers);
    if (!limited.allowed) {
      res.locals.rateLimited = true;
      return void res.status(429).json({ message: 'Too Many Requests' });
    }
    const endpoint = `${req.method} ${req.path}`;
    if (!LEGACY_ENDPOINTS.includes(endpoint))
      return void res.status(404).json({ message: 'Resource not found' });
    if (!key.permissions.has(endpoint)) {
      return void res
        .status(403)
        .json({ message: 'This API Key does not have permission for this endpoint' });
    }
    if (req.method !== 'GET') return void res.status(422).json({ message: 'Validation error', errors: [] });
    const page = pageOf(req, req.path.replace('/v1/', ''), state, key.organizationId, { cursorOnly: false });
    if ('error' in page) {
      return void res
        .status(422)
        .json({ message: 'Validation error', errors: [{ message: page.error, field: 'per_page' }] });
    }
    if (page.next) res.set('link', `<${page.next}>; rel="next"`);
    res.json(page.items);
  });
  return router;
}
