import type { LinkAccess } from '../../app/link-access';
import { ActiveLinksCapReached, IdempotencyKeyTaken, type LinkService } from '../../app/link-service';
import type { AccessLog } from '../../store/access-log';
import type { LinkStore } from '../../store/links';
import { accessLogPage, trackAccess } from '../access-logging';
import { accessProblem } from '../access-problem';
import { callingApp } from '../auth';
import type { Handlers } from '../contract/declare';
import type { linkRoutes } from '../contract/links';
import { listPage, timelineList } from '../cursor';
import { linkResource } from '../link-resource';
import { problems } from '../problem';
import { type ProxyDeps, proxyHandler } from './proxy';

type LinkRoutes = ReturnType<typeof linkRoutes>;

export function linkHandlers(
  deps: ProxyDeps & {
    links: LinkStore;
    service: LinkService;
    access: LinkAccess;
    accessLog: AccessLog;
  },
): Handlers<LinkRoutes> {
  const load = async (appId: string, id: string) => {
    const link = await deps.links.findForApp(appId, id);
    if (!link) throw problems.notFound(`Link ${id}`);
    return link;
  };

  return {
    'links.create': async ({ body, req, res }) => {
      const idempotencyKey = req.get('idempotency-key');
      const { link, connectUrl, connectUrlExpiresAt } = await deps.service
        .create(callingApp(res)._id, body, idempotencyKey ? { idempotencyKey } : {})
        .catch((error: unknown) => {
          if (error instanceof IdempotencyKeyTaken) throw problems.conflict(error.message);
          if (error instanceof ActiveLinksCapReached) throw problems.activeLinks(error.limit);
          throw error;
        });
      return {
        status: 201,
        body: { ...linkResource(link), connectUrl, connectUrlExpiresAt: connectUrlExpiresAt.toISOString() },
      };
    },

    'links.list': async ({ query, res }) => {
      const { limit, cursor, ...filter } = query;
      const rows = await deps.links.list(callingApp(res)._id, filter, limit + 1, cursor);
      return {
        status: 200,
        body: listPage(rows, limit, (l) => ({ at: l.createdAt, id: l._id }), linkResource),
      };
    },

    'links.get': async ({ params, res }) => ({
      status: 200,
      body: linkResource(await load(callingApp(res)._id, params.id)),
    }),

    'links.timeline': async ({ params, query, res }) => {
      const link = await load(callingApp(res)._id, params.id);
      return {
        status: 200,
        body: timelineList(await deps.service.timelinePage(link._id, query.limit, query.cursor)),
      };
    },

    'links.newConnectUrl': async ({ params, res }) => {
      const link = await load(callingApp(res)._id, params.id);
      const { connectUrl, connectUrlExpiresAt } = await deps.service.newConnectUrl(link._id);
      return {
        status: 201,
        body: { id: link._id, connectUrl, connectUrlExpiresAt: connectUrlExpiresAt.toISOString() },
      };
    },

    'links.recheck': async ({ params, res }) => {
      const link = await load(callingApp(res)._id, params.id);
      await deps.service.recheck(link._id, 'api');
      return { status: 202, body: { id: link._id, recheck: 'requested' } };
    },

    'links.cancel': async ({ params, body, res }) => {
      const link = await load(callingApp(res)._id, params.id);
      await deps.service.cancel(link._id, body.reason ?? 'cancelled by the app');
      return { status: 202, body: { id: link._id, cancel: 'requested' } };
    },

    /** Ends the link for good; see LinkService.delete. Repeating it is harmless. */
    'links.delete': async ({ params, res }) => {
      const link = await load(callingApp(res)._id, params.id);
      await deps.service.delete(link);
      deps.recentLinks.forget(link.appId, link._id);
      return { status: 202, body: { id: link._id, deleted: true } };
    },

    /** A Harvest bearer token for the link (cached and shared across replicas until shortly before expiry). */
    'links.accessToken': async ({ params, res }) => {
      const link = await load(callingApp(res)._id, params.id);
      trackAccess(deps, res, link._id, 'token');
      try {
        const token = await deps.access.accessToken(link);
        return {
          status: 200,
          body: { object: 'access_token', ...token, expiresAt: token.expiresAt.toISOString() },
        };
      } catch (error) {
        throw accessProblem(error, res);
      }
    },

    'links.proxy': proxyHandler(deps),

    /** The stored Greenhouse credentials (only for a key with credentials:read; never cached). */
    'links.credentials': async ({ params, res }) => {
      const link = await load(callingApp(res)._id, params.id);
      trackAccess(deps, res, link._id, 'export');
      try {
        const credential = await deps.access.credentials(link);
        return { status: 200, body: { object: 'credentials', id: link._id, ...credential } };
      } catch (error) {
        throw accessProblem(error, res);
      }
    },

    /** Every token issued, proxied call and export of the link, newest first (kept 30 days). */
    'links.accessLog': async ({ params, query, res }) => {
      const link = await load(callingApp(res)._id, params.id);
      return { status: 200, body: await accessLogPage(deps.accessLog, link._id, query) };
    },
  };
}
