import { Router } from 'express';
import type { LinkAccess } from '../../app/link-access';
import { IdempotencyKeyTaken, type LinkService } from '../../app/link-service';
import type { AccessLog } from '../../store/access-log';
import type { LinkStore } from '../../store/links';
import { accessLogPage, trackAccess } from '../access-logging';
import { accessProblem } from '../access-problem';
import { callingApp } from '../auth';
import { listPage } from '../cursor';
import { linkResource } from '../link-resource';
import { fromZod, problems } from '../problem';
import { cancelLinkBody, createLinkBodySchema, listLinksQuery } from '../schemas';

export function linksRouter(deps: {
  links: LinkStore;
  service: LinkService;
  access: LinkAccess;
  accessLog: AccessLog;
  permissionSets: Record<string, string[]>;
  minReminderGapMs?: number;
}) {
  const router = Router();
  const createLinkBody = createLinkBodySchema(deps.permissionSets, deps.minReminderGapMs);

  router.post('/', async (req, res) => {
    const parsed = createLinkBody.safeParse(req.body ?? {});
    if (!parsed.success) throw fromZod(parsed.error);
    const idempotencyKey = req.get('idempotency-key');
    const { link, connectUrl, connectUrlExpiresAt } = await deps.service
      .create(callingApp(res)._id, parsed.data, idempotencyKey ? { idempotencyKey } : {})
      .catch((error: unknown) => {
        if (error instanceof IdempotencyKeyTaken) throw problems.conflict(error.message);
        throw error;
      });
    res
      .status(201)
      .json({ ...linkResource(link), connectUrl, connectUrlExpiresAt: connectUrlExpiresAt.toISOString() });
  });

  router.get('/', async (req, res) => {
    const parsed = listLinksQuery.safeParse(req.query);
    if (!parsed.success) throw fromZod(parsed.error, 'query');
    const { limit, cursor, ...filter } = parsed.data;
    const rows = await deps.links.list(callingApp(res)._id, filter, limit + 1, cursor);
    res.json(listPage(rows, limit, (l) => ({ at: l.createdAt, id: l._id }), linkResource));
  });

  const load = async (appId: string, id: string) => {
    const link = await deps.links.findForApp(appId, id);
    if (!link) throw problems.notFound(`Link ${id}`);
    return link;
  };

  router.get('/:id', async (req, res) => {
    res.json(linkResource(await load(callingApp(res)._id, req.params.id)));
  });

  router.get('/:id/timeline', async (req, res) => {
    const link = await load(callingApp(res)._id, req.params.id);
    res.json({ object: 'list', data: await deps.service.timeline(link._id) });
  });

  router.post('/:id/connect-url', async (req, res) => {
    const link = await load(callingApp(res)._id, req.params.id);
    const { connectUrl, connectUrlExpiresAt } = await deps.service.newConnectUrl(link._id);
    res
      .status(201)
      .json({ id: link._id, connectUrl, connectUrlExpiresAt: connectUrlExpiresAt.toISOString() });
  });

  router.post('/:id/recheck', async (req, res) => {
    const link = await load(callingApp(res)._id, req.params.id);
    await deps.service.recheck(link._id, 'api');
    res.status(202).json({ id: link._id, recheck: 'requested' });
  });

  router.post('/:id/cancel', async (req, res) => {
    const link = await load(callingApp(res)._id, req.params.id);
    const parsed = cancelLinkBody.safeParse(req.body ?? {});
    if (!parsed.success) throw fromZod(parsed.error);
    await deps.service.cancel(link._id, parsed.data.reason ?? 'cancelled by the app');
    res.status(202).json({ id: link._id, cancel: 'requested' });
  });

  /** Ends the link for good; see LinkService.delete. Repeating it is harmless. */
  router.delete('/:id', async (req, res) => {
    const link = await load(callingApp(res)._id, req.params.id);
    await deps.service.delete(link);
    res.status(202).json({ id: link._id, deleted: true });
  });

  /** A Harvest bearer token for the link (cached and shared across replicas until shortly before expiry). */
  router.post('/:id/access-token', async (req, res) => {
    const link = await load(callingApp(res)._id, req.params.id);
    trackAccess(deps, res, link._id, 'token');
    try {
      const token = await deps.access.accessToken(link);
      res
        .set('cache-control', 'no-store')
        .json({ object: 'access_token', ...token, expiresAt: token.expiresAt.toISOString() });
    } catch (error) {
      throw accessProblem(error, res);
    }
  });

  /** The stored Greenhouse credentials (only for a key with credentials:read; never cached). */
  router.get('/:id/credentials', async (req, res) => {
    const link = await load(callingApp(res)._id, req.params.id);
    trackAccess(deps, res, link._id, 'export');
    try {
      const credential = await deps.access.credentials(link);
      res.set('cache-control', 'no-store').json({ object: 'credentials', id: link._id, ...credential });
    } catch (error) {
      throw accessProblem(error, res);
    }
  });

  /** Every token issued, proxied call and export of the link, newest first (kept 30 days). */
  router.get('/:id/access-log', async (req, res) => {
    const link = await load(callingApp(res)._id, req.params.id);
    res.json(await accessLogPage(deps.accessLog, link._id, req.query));
  });

  return router;
}
