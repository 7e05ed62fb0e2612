import { timingSafeEqual } from 'node:crypto';
import { type NextFunction, type Request, type Response, Router } from 'express';
import type { LinkService } from '../../app/link-service';
import { LINK_STATUSES } from '../../domain/link';
import type { AccessLog } from '../../store/access-log';
import type { LinkStore } from '../../store/links';
import { accessLogPage } from '../access-logging';
import { linkResource } from '../link-resource';
import { consoleLinkPage, consoleListPage } from '../pages/operator-console';
import { problems } from '../problem';

/** The console shows a link's latest uses; the rest is one call away at /ops/links/:id/access-log. */
const CONSOLE_ACCESS_ENTRIES = 50;

/** `Bearer <token>`, or Basic with the token as password (what a browser sends after the prompt). */
function operatorToken(req: Request): string | undefined {
  const header = req.get('authorization') ?? '';
  const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  if (bearer) return bearer;
  const basic = /^Basic\s+(\S+)$/i.exec(header)?.[1];
  if (!basic) return undefined;
  const decoded = Buffer.from(basic, 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1) || undefined;
}

const sameText = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Operators (OPERATOR_TOKENS) read any app's link and its whole history, e.g. for support: as JSON
 * (/ops/links/:id, /timeline) and in a read-only console (/ops/console). Actions stay with the CLI.
 */
export function operatorRouter(deps: {
  links: LinkStore;
  service: LinkService;
  accessLog: AccessLog;
  operatorTokens: string[];
}) {
  const router = Router();
  router.use((req: Request, res: Response, next: NextFunction) => {
    const token = operatorToken(req);
    if (token && deps.operatorTokens.some((t) => sameText(t, token))) return next();
    // Browsers opening the console get the Basic prompt (any user name, the token as password).
    if (req.path.startsWith('/console'))
      res.set('www-authenticate', 'Basic realm="Greenlink operators", charset="UTF-8"');
    next(
      problems.unauthorized('Send an operator token (OPERATOR_TOKENS) as "Authorization: Bearer <token>"'),
    );
  });
  const load = async (id: string) => {
    const link = await deps.links.findById(id);
    if (!link) throw problems.notFound(`Link ${id}`);
    return link;
  };
  router.get('/links/:id', async (req, res) => {
    const link = await load(req.params.id);
    res.json({ ...linkResource(link), appId: link.appId });
  });
  router.get('/links/:id/timeline', async (req, res) => {
    const link = await load(req.params.id);
    res.json({ object: 'list', data: await deps.service.timeline(link._id) });
  });

  router.get('/links/:id/access-log', async (req, res) => {
    const link = await load(req.params.id);
    res.json(await accessLogPage(deps.accessLog, link._id, req.query));
  });

  router.get('/console', async (req, res) => {
    const status = LINK_STATUSES.find((s) => s === req.query.status);
    const appId =
      typeof req.query.appId === 'string' && req.query.appId.trim() ? req.query.appId.trim() : undefined;
    const links = await deps.links.listAcrossApps({ status, appId }, 100);
    res.set('cache-control', 'no-store').type('html').send(consoleListPage(links, { status, appId }));
  });

  router.get('/console/links/:id', async (req, res) => {
    const link = await load(req.params.id);
    const [timeline, recentUse] = await Promise.all([
      deps.service.timeline(link._id),
      deps.accessLog.page(link._id, {}, CONSOLE_ACCESS_ENTRIES),
    ]);
    res
      .set('cache-control', 'no-store')
      .type('html')
      .send(consoleLinkPage(link, timeline, recentUse));
  });
  return router;
}
