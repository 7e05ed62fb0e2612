import type { Payload, PayloadCodec } from '@temporalio/common';
import type { NextFunction, Request, Response } from 'express';
import type { z } from 'zod';
import type { OperatorAudit } from '../../store/operator-audit';
import type { OperatorSessions } from '../../store/operator-sessions';
import { accessLogPage } from '../access-logging';
import type { Handlers } from '../contract/declare';
import type { codecPayloads, operatorRoutes } from '../contract/operator';
import { timelineList } from '../cursor';
import type { FailedAuthLimit } from '../failed-auth';
import { linkResource } from '../link-resource';
import type { ConfiguredOperators } from '../operator-auth';
import { problems } from '../problem';
import { type OperatorConsoleDeps, operatorConsoleHandlers } from './operator-console';
import { operatorSignInHandlers } from './operator-sign-in';

const fromJson = (p: z.output<typeof codecPayloads>['payloads'][number]): Payload => ({
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

/** The Temporal UI calls the codec from the operator's browser: CORS for its origin only, preflights unauthenticated. */
export function codecCors(temporalUiOrigin: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.get('origin') === temporalUiOrigin) {
      res.set({
        'access-control-allow-origin': temporalUiOrigin,
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': 'authorization, content-type, x-namespace',
        vary: 'origin',
      });
    }
    if (req.method === 'OPTIONS') return void res.status(204).end();
    next();
  };
}

/**
 * Operators (OPERATOR_TOKENS) read any app's link and its whole history, e.g. for support: as JSON
 * (/ops/links/:id, /timeline), through Temporal's codec, and in the console (/ops/console, after /ops/login),
 * where operators with the `act` role also act on links.
 */
export function operatorHandlers(
  deps: Omit<OperatorConsoleDeps, 'audit'> & {
    operators: ConfiguredOperators;
    operatorSessions: OperatorSessions;
    operatorSessionTtlMs: number;
    publicUrl: string;
    failures: FailedAuthLimit;
    audit: OperatorAudit;
    codec: PayloadCodec;
  },
): Handlers<ReturnType<typeof operatorRoutes>> {
  const load = async (id: string) => {
    const link = await deps.links.findById(id);
    if (!link) throw problems.notFound(`Link ${id}`);
    return link;
  };
  return {
    'operator.getLink': async ({ params }) => {
      const link = await load(params.id);
      return { status: 200, body: { ...linkResource(link), appId: link.appId } };
    },
    'operator.timeline': async ({ params, query }) => {
      const link = await load(params.id);
      return {
        status: 200,
        body: timelineList(await deps.service.timelinePage(link._id, query.limit, query.cursor)),
      };
    },
    'operator.accessLog': async ({ params, query }) => {
      const link = await load(params.id);
      return { status: 200, body: await accessLogPage(deps.accessLog, link._id, query) };
    },
    /** Temporal's codec server protocol: the UI shows decrypted payloads to an authenticated operator. */
    'operator.codecDecode': async ({ body }) => ({
      status: 200,
      body: { payloads: (await deps.codec.decode(body.payloads.map(fromJson))).map(toJson) },
    }),
    'operator.codecEncode': async ({ body }) => ({
      status: 200,
      body: { payloads: (await deps.codec.encode(body.payloads.map(fromJson))).map(toJson) },
    }),
    ...operatorSignInHandlers({
      operators: deps.operators,
      sessions: deps.operatorSessions,
      failures: deps.failures,
      audit: deps.audit,
      publicUrl: deps.publicUrl,
      sessionTtlMs: deps.operatorSessionTtlMs,
    }),
    ...operatorConsoleHandlers(deps),
  };
}
