import { createHash, timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { type NextFunction, type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { LinkService } from '../../app/link-service';
import { LINK_STATUSES } from '../../domain/link';
import type { AccessLog } from '../../store/access-log';
import type { LinkStore } from '../../store/links';
import type { OperatorAudit } from '../../store/operator-audit';
import { accessLogPage } from '../access-logging';
import type { FailedAuthLimit } from '../failed-auth';
import { linkResource } from '../link-resource';
import { consoleAuditPage, consoleLinkPage, consoleListPage } from '../pages/operator-console';
import { fromZod, problems } from '../problem';

/** The console shows a link's latest uses; the rest is one call away at /ops/links/:id/access-log. */
const CONSOLE_ACCESS_ENTRIES = 50;
const CONSOLE_AUDIT_ENTRIES = 200;

const base64 = z.string().regex(/^[A-Za-z0-9+/=_-]*$/, 'must be base64');
const codecBody = z.object({
  payloads: z
    .array(z.object({ metadata: z.record(z.string(), base64).default({}), data: base64.default('') }))
    .max(1000),
});
const fromJson = (p: z.output<typeof codecBody>['payloads'][number]): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data, 'base64'),
});
const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [
      k,
      Buffer.from(v ?? new Uint8Array()).toString('base64'),
    ]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

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

/** Digests have one length whatever was sent: the comparison takes the same time and cannot throw. */
const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/**
 * Operators (OPERATOR_TOKENS) read any app's link and its whole history, e.g. for support: as JSON
 * (/ops/links/:id, /timeline) and in a read-only console (/ops/console). Actions stay with the CLI.
 */
export function operatorRouter(deps: {
  links: LinkStore;
  service: LinkService;
  accessLog: AccessLog;
  operatorTokens: string[];
  failures: FailedAuthLimit;
  audit: OperatorAudit;
  codec: PayloadCodec;
  /** The Temporal UI's origin: the only one whose browser may call the codec endpoint. */
  temporalUiOrigin: string;
}) {
  const router = Router();
  // The Temporal UI calls the codec from the operator's browser: CORS for its origin only, preflights unauthenticated.
  router.use('/codec', (req: Request, res: Response, next: NextFunction) => {
    if (req.get('origin') === deps.temporalUiOrigin) {
      res.set({
        'access-control-allow-origin': deps.temporalUiOrigin,
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': 'authorization, content-type, x-namespace',
        vary: 'origin',
      });
    }
    if (req.method === 'OPTIONS') return void res.status(204).end();
    next();
  });
  const digests = deps.operatorTokens.map(digest);
  router.use(async (req: Request, res: Response, next: NextFunction) => {
    const locked = await deps.failures.lockedOut(req, res);
    if (locked) return next(locked);
    const token = operatorToken(req);
    if (token) {
      const given = digest(token);
      // Every configured token is compared, so the time taken does not say which one matched.
      const matches = digests.map((d) => timingSafeEqual(d, given));
      if (matches.includes(true)) {
        // Recorded before it is served: no operator read goes unaccounted for.
        await deps.audit.record({
          operator: `operator ${given.toString('hex').slice(0, 8)}`,
          method: req.method,
          path: req.originalUrl.split('?')[0] as string,
          at: new Date(),
        });
        return next();
      }
      await deps.failures.recordFailure(req);
    }
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
    res.type('html').send(consoleListPage(links, { status, appId }));
  });

  /** Temporal's codec server protocol: the UI shows decrypted payloads to an authenticated operator. */
  router.post('/codec/:direction', async (req, res) => {
    const direction = req.params.direction;
    if (direction !== 'encode' && direction !== 'decode')
      throw problems.notFound(`Codec operation ${direction}`);
    const parsed = codecBody.safeParse(req.body ?? {});
    if (!parsed.success) throw fromZod(parsed.error);
    const payloads = parsed.data.payloads.map(fromJson);
    const result =
      direction === 'decode' ? await deps.codec.decode(payloads) : await deps.codec.encode(payloads);
    res.json({ payloads: result.map(toJson) });
  });

  router.get('/console/audit', async (_req, res) => {
    const reads = await deps.audit.latest(CONSOLE_AUDIT_ENTRIES);
    res.type('html').send(consoleAuditPage(reads));
  });

  router.get('/console/links/:id', async (req, res) => {
    const link = await load(req.params.id);
    const [timeline, recentUse] = await Promise.all([
      deps.service.timeline(link._id),
      deps.accessLog.page(link._id, {}, CONSOLE_ACCESS_ENTRIES),
    ]);
    res.type('html').send(consoleLinkPage(link, timeline, recentUse));
  });
  return router;
}
