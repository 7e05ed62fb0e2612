import type { Response } from 'express';
import type { z } from 'zod';
import type { AccessKind, AccessLog, AccessLogDoc } from '../store/access-log';
import { callingApp, callingKey } from './auth';
import type { accessLogQuery } from './contract/request-schemas';
import { listPage } from './cursor';

declare module 'express-serve-static-core' {
  interface Locals {
    /** Bytes of a streamed answer (the proxy's), which has no content-length to read. */
    bytesSent?: number;
  }
}

/** A proxied call as logged: the Harvest method and path, and the size of the body sent. */
export interface AccessedCall {
  method: string;
  path: string;
  requestBytes?: number;
}

/**
 * Records one use of a link in its access log once the answer is out (or the caller hung up): whatever the
 * outcome, with the calling key, the status, the time taken and the sizes. Written in batches off the request
 * path, so it never delays an answer; a failed write is logged (AccessLog's error handler).
 */
export function trackAccess(
  deps: { accessLog: AccessLog },
  res: Response,
  linkId: string,
  kind: AccessKind,
  /** Read when the answer is out, so the handler may fill it in as it learns more. */
  call?: AccessedCall,
) {
  const started = performance.now();
  const appId = callingApp(res)._id;
  const apiKeyId = callingKey(res).id;
  res.once('close', () => {
    const length = Number(res.getHeader('content-length'));
    const responseBytes = res.locals.bytesSent ?? (Number.isFinite(length) ? length : undefined);
    deps.accessLog.enqueue({
      linkId,
      appId,
      apiKeyId,
      kind,
      status: res.statusCode,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      ...call,
      ...(responseBytes !== undefined ? { responseBytes } : {}),
      ...(res.writableFinished ? {} : { aborted: true }),
    });
  });
}

/** The public JSON shape of one access log entry. */
export function accessLogResource({ _id, at, linkId: _linkId, appId: _appId, ...entry }: AccessLogDoc) {
  return { object: 'access_log_entry', id: _id, at: at.toISOString(), ...entry };
}

/** A cursor page of a link's access log, newest first. */
export async function accessLogPage(
  accessLog: AccessLog,
  linkId: string,
  query: z.output<typeof accessLogQuery>,
) {
  const rows = await accessLog.page(linkId, { kind: query.kind }, query.limit + 1, query.cursor);
  return listPage(rows, query.limit, (row) => ({ at: row.at, id: row._id }), accessLogResource);
}
