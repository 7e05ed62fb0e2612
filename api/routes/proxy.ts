import { Readable } from 'node:stream';
import type { Request, Response } from 'express';
import { AccessRefused, refusalOf } from '../../app/link-access';
import type { LinkProxy } from '../../app/link-proxy';
import type { LinkCall } from '../../domain/provider';
import { getScope, MANAGE_SCOPES_PATH, scopeForRequest } from '../../greenhouse/catalog';
import type { AccessLog } from '../../store/access-log';
import type { IdempotencyStore } from '../../store/idempotency';
import { type AccessedCall, trackAccess } from '../access-logging';
import { accessProblem } from '../access-problem';
import { callingApp, callingKey } from '../auth';
import type { Handler } from '../contract/declare';
import type { linkRoutes } from '../contract/links';
import { Problem, problems } from '../problem';
import { BodyBytesInFlight, readProxyBody } from '../proxy-body';
import { harvestPath } from '../proxy-path';
import { ProxyReplays } from '../proxy-replays';
import type { RecentLinks } from '../recent-links';

type LinkProxyRoute = Extract<ReturnType<typeof linkRoutes>[number], { operationId: 'links.proxy' }>;

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
/** One answer's ceiling (a 500-record page is far below it): beyond it the proxy cuts the stream. */
const MAX_RESPONSE_BYTES = 50 * 1024 * 1024;
const RATE_LIMIT_HEADER = 'greenlink-on-rate-limit';

/**
 * Streams Greenhouse's answer to the caller, and ends both sides on every path: a caller that hangs up (or
 * stops reading until the socket times out) destroys the upstream body, which frees its pooled connection;
 * past the size limit both are cut. With pipe() and listeners rather than stream.pipeline() and a counting
 * Transform: those made two error objects, an abort signal and a third stream per call (bench:proxy @50:
 * 5% of the API's CPU).
 */
function stream(answer: AsyncIterable<Uint8Array>, res: Response): Promise<void> {
  const body = answer instanceof Readable ? answer : Readable.from(answer);
  if (res.destroyed || res.closed) {
    body.destroy(); // the caller left while the answer was on its way
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    let size = 0;
    const cut = () => {
      body.destroy();
      if (!res.destroyed) res.destroy();
    };
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      res.locals.bytesSent = size;
      if (size > MAX_RESPONSE_BYTES) cut();
    });
    body.once('error', cut);
    res.once('error', cut); // a socket error; without a listener pipe() would rethrow it
    res.once('close', () => {
      // The caller left, or the answer was cut: nothing more to send or to read.
      if (!body.readableEnded) body.destroy();
      resolve();
    });
    body.pipe(res);
  });
}

/** The Harvest path and query of a proxied call, as sent: what follows `/v1/links/<id>/proxy`. */
function harvestUrlOf(req: Request): string {
  const raw = req.originalUrl;
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  return `/${path.split('/').slice(5).join('/')}${q < 0 ? '' : raw.slice(q)}`;
}

export interface ProxyDeps {
  recentLinks: RecentLinks;
  proxy: LinkProxy;
  publicUrl: string;
  accessLog: AccessLog;
  idempotency: IdempotencyStore;
  /** Permission sets whose links may call any Harvest path (`proxy: "any"`); others only their scopes'. */
  proxyAnySets: readonly string[];
}

/** A kept answer is worth replaying unless Greenhouse asked for a retry (429) or failed (5xx). */
const keepable = (status: number) => status < 500 && status !== 429;

/**
 * `/v1/links/:id/proxy/v3/<path>`: Harvest calls through a linked link. Its route has no body parser, so the
 * body reaches Greenhouse as the caller sent it.
 */
export function proxyHandler(deps: ProxyDeps): Handler<LinkProxyRoute> {
  const replays = new ProxyReplays(deps.idempotency);
  const bodies = new BodyBytesInFlight();
  return async ({ params, req, res }) => {
    res.set('cache-control', 'no-store');
    if (!METHODS.has(req.method)) {
      throw new Problem(
        405,
        'method_not_allowed',
        'Method not allowed',
        `the proxy forwards ${[...METHODS].join(', ')}`,
      );
    }
    const link = await deps.recentLinks.findForApp(callingApp(res)._id, params.id);
    if (!link) throw problems.notFound(`Link ${params.id}`);
    const url = harvestUrlOf(req);
    // Logged from here on, refused paths included; the entry is written when the answer is out.
    const logged: AccessedCall = { method: req.method, path: url.split('?')[0] as string };
    trackAccess(deps, res, link._id, 'proxy', logged);
    const target = harvestPath(url);
    if ('error' in target) {
      throw new Problem(
        400,
        'invalid_proxy_path',
        'The proxied path is not allowed',
        `the path ${target.error}`,
        [{ field: 'path', message: target.error }],
      );
    }
    logged.path = target.path;
    // Before a byte of the body is read: the link must be usable, and the call one its permission set covers.
    const refusal = refusalOf(link);
    if (refusal) throw accessProblem(new AccessRefused(refusal), res);
    const scope = scopeForRequest(req.method, target.path);
    if (
      !deps.proxyAnySets.includes(link.permissionSet) &&
      !(scope && link.requiredScopes.includes(scope.id))
    ) {
      throw new Problem(
        403,
        'scope_not_in_permission_set',
        "The call is outside the link's permission set",
        scope
          ? `${req.method} ${target.path} needs ${scope.id} ("${scope.label}"), which the permission set ${link.permissionSet} does not ask for`
          : `${req.method} ${target.path} is not a Harvest call the permission set ${link.permissionSet} covers`,
        undefined,
        { permissionSet: link.permissionSet, ...(scope ? { scope: scope.id, label: scope.label } : {}) },
      );
    }
    const onRateLimit = req.get(RATE_LIMIT_HEADER) ?? 'wait';
    if (onRateLimit !== 'wait' && onRateLimit !== 'fail') {
      throw problems.validation([
        { field: `header.${RATE_LIMIT_HEADER}`, message: 'must be "wait" or "fail"' },
      ]);
    }
    // A caller that hangs up ends the upstream call too (and frees its connection).
    const gone = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) gone.abort(new Error('the caller hung up'));
    });
    const body = req.method === 'GET' ? undefined : await readProxyBody(req, res, bodies);
    if (body) logged.requestBytes = body.length;
    const idempotencyKey = req.get('idempotency-key');
    const claim =
      req.method !== 'GET' && idempotencyKey !== undefined
        ? await replays.claim(callingKey(res).id, idempotencyKey, { method: req.method, url, body })
        : undefined;
    if (claim?.kind === 'replay') {
      res.status(claim.status).set({ ...claim.headers, 'idempotent-replayed': 'true' });
      if (!claim.body) res.set('greenlink-replay-body', 'omitted');
      res.end(claim.body);
      return undefined;
    }
    const claimId = claim?.id;
    const release = () => (claimId ? replays.release(claimId).catch(() => undefined) : undefined);
    const call: LinkCall = {
      method: req.method,
      ...target,
      ...(req.get('content-type') ? { contentType: req.get('content-type') } : {}),
      ...(body ? { body } : {}),
      idempotent: Boolean(idempotencyKey),
      onRateLimit,
      proxyBase: `${deps.publicUrl}/v1/links/${encodeURIComponent(link._id)}/proxy`,
      signal: gone.signal,
    };
    const result = await deps.proxy.forward(link, call).catch(async (error: unknown) => {
      await release();
      throw accessProblem(error, res);
    });
    if (result.kind !== 'answered' || !keepable(result.status)) await release();
    switch (result.kind) {
      case 'rate_limited':
        res.set('retry-after', String(result.retryAfterSeconds));
        throw new Problem(
          429,
          'greenhouse_rate_limited',
          "Greenhouse's rate budget for this account is used up",
          `retry in ${result.retryAfterSeconds} s, or send ${RATE_LIMIT_HEADER}: wait to have the proxy wait`,
        );
      case 'unreachable':
        throw new Problem(502, 'greenhouse_unreachable', 'Greenhouse did not answer', result.message);
      case 'forbidden': {
        const scope = result.scope ? getScope(result.scope) : undefined;
        throw new Problem(
          403,
          'missing_scope',
          'Greenhouse refused the call: the credentials lack a permission',
          scope
            ? `this call needs ${scope.id} ("${scope.label}"). In Greenhouse: ${MANAGE_SCOPES_PATH} → tick "${scope.label}" → Save.`
            : result.message,
          undefined,
          {
            greenhouseMessage: result.message,
            ...(scope
              ? { scope: scope.id, label: scope.label, fix: `${MANAGE_SCOPES_PATH} → ${scope.label}` }
              : {}),
          },
        );
      }
      case 'answered': {
        res.status(result.status).set(result.headers);
        const sent =
          claimId && keepable(result.status)
            ? await replays.keep(claimId, result.status, result.headers, result.body)
            : result.body;
        await stream(sent, res);
      }
    }
    return undefined;
  };
}
