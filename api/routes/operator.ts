import type { Payload, PayloadCodec } from '@temporalio/common';
import { type NextFunction, type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { OperatorToken } from '../../domain/operator';
import type { OperatorAudit } from '../../store/operator-audit';
import type { OperatorSessions } from '../../store/operator-sessions';
import { accessLogPage } from '../access-logging';
import type { FailedAuthLimit } from '../failed-auth';
import { linkResource } from '../link-resource';
import { authenticateOperators } from '../operator-auth';
import { fromZod, problems } from '../problem';
import { type OperatorConsoleDeps, operatorConsoleRouter } from './operator-console';
import { operatorSignInRouter } from './operator-sign-in';

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

/**
 * Operators (OPERATOR_TOKENS) read any app's link and its whole history, e.g. for support: as JSON
 * (/ops/links/:id, /timeline), through Temporal's codec, and in the console (/ops/console, after /ops/login),
 * where operators with the `act` role also act on links.
 */
export function operatorRouter(
  deps: Omit<OperatorConsoleDeps, 'audit'> & {
    operatorTokens: OperatorToken[];
    operatorSessions: OperatorSessions;
    operatorSessionTtlMs: number;
    publicUrl: string;
    failures: FailedAuthLimit;
    audit: OperatorAudit;
    codec: PayloadCodec;
    /** The Temporal UI's origin: the only one whose browser may call the codec endpoint. */
    temporalUiOrigin: string;
  },
) {
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
  router.use(
    operatorSignInRouter({
      tokens: deps.operatorTokens,
      sessions: deps.operatorSessions,
      failures: deps.failures,
      audit: deps.audit,
      publicUrl: deps.publicUrl,
      sessionTtlMs: deps.operatorSessionTtlMs,
    }),
  );
  router.use(
    authenticateOperators({
      tokens: deps.operatorTokens,
      sessions: deps.operatorSessions,
      failures: deps.failures,
      audit: deps.audit,
    }),
  );
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

  router.use('/console', operatorConsoleRouter(deps));
  return router;
}
