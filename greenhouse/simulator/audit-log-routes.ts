import { type Request, type Response, Router } from 'express';
import type { FixedWindowLimiter } from './rate-limit';
import type { SimulatorState } from './state';

/**
 * Greenhouse's Audit Log API as developers.greenhouse.io/audit-log.html documents it (`GET /events`, bearer
 * auth, `after_time` / `event_target_types` filters, newest first, `paging` with a `pit_id`), mounted under
 * /auditlog. Its own limits: 50 requests per 10 s, and 3 per 30 s of those that continue a paginated read.
 */
export function auditLogRoutes(
  state: SimulatorState,
  limits: { auditLog: FixedWindowLimiter; auditLogPaged: FixedWindowLimiter },
) {
  const router = Router();
  router.get('/auditlog/events', (req: Request, res: Response) => {
    const bearer = req.headers.authorization?.startsWith('Bearer ') ? req.headers.authorization.slice(7) : '';
    const token = state.tokens.get(bearer);
    const credential =
      token && token.expiresAt >= Date.now() ? state.credentials.get(token.clientId) : undefined;
    if (!credential) return void res.status(401).json({ message: 'Unauthorized' });
    res.locals.clientId = credential.clientId;
    const pitId = req.header('pit-id');
    for (const limiter of pitId ? [limits.auditLog, limits.auditLogPaged] : [limits.auditLog]) {
      const limited = limiter.take(`audit:${credential.organizationId}`);
      res.set(limited.headers);
      if (!limited.allowed) {
        res.locals.rateLimited = true;
        return void res.status(429).json({ message: 'Too Many Requests' });
      }
    }
    if (!state.behaviour.auditLog)
      return void res.status(403).json({ message: 'Audit log is not enabled for this organization' });

    const after = typeof req.query.after_time === 'string' ? Date.parse(req.query.after_time) : Number.NaN;
    const types =
      typeof req.query.event_target_types === 'string' ? req.query.event_target_types.split(',') : undefined;
    const size = Math.min(500, Math.max(1, Number(req.query.size) || 100));
    const matching = state.auditEvents
      .filter((e) => e.organization_id === credential.organizationId)
      .filter((e) => Number.isNaN(after) || Date.parse(e.event_time) >= after)
      .filter((e) => !types || types.includes(e.event.target_type))
      .reverse(); // newest first
    const offset = Number(req.header('search-after') ?? 0) || 0;
    const page = matching.slice(offset, offset + size);
    const more = offset + size < matching.length;
    res.json({
      paging: {
        pit_id: req.query.paging === 'true' || pitId ? (pitId ?? `pit-${state.newId()}`) : null,
        search_after: pitId ? String(offset) : null,
        size: String(size),
        next_search_after: more ? String(offset + size) : null,
      },
      hits: matching.length,
      results: page,
    });
  });
  return router;
}
