import { createHash, timingSafeEqual } from 'node:crypto';
import { parse as parseCookies } from 'cookie';
import type { NextFunction, Request, Response } from 'express';
import { mayAct, type Operator, type OperatorToken } from '../domain/operator';
import type { OperatorAudit } from '../store/operator-audit';
import type { OperatorSession, OperatorSessions } from '../store/operator-sessions';
import type { FailedAuthLimit } from './failed-auth';
import { Problem, problems } from './problem';

/** The console's session cookie: only under /ops, never readable by script, never sent cross-site. */
export const SESSION_COOKIE = 'gl_ops_session';

/** Digests have one length whatever was sent: the comparison takes the same time and cannot throw. */
const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/** A configured token's id: a hash, so a session can name its token without holding it. */
export const operatorTokenId = (token: string) =>
  createHash('sha256').update(`greenlink operator token\0${token}`, 'utf8').digest('base64url').slice(0, 22);

export interface ConfiguredOperators {
  /** The operator a sent token belongs to, and that token's id; compared against every configured token. */
  match(given: string): { operator: Operator; tokenId: string } | undefined;
  /** The operator a token id names in OPERATOR_TOKENS now: undefined once that token is removed or changed. */
  byTokenId(tokenId: string | undefined): Operator | undefined;
  tokenIds: string[];
}

/** OPERATOR_TOKENS as the API reads it; matching takes the same time whichever token (if any) matches. */
export function configuredOperators(tokens: OperatorToken[]): ConfiguredOperators {
  const entries = tokens.map((t) => ({
    digest: digest(t.token),
    tokenId: operatorTokenId(t.token),
    operator: { name: t.name, role: t.role },
  }));
  const byId = new Map(entries.map((e) => [e.tokenId, e.operator]));
  return {
    match(given) {
      const d = digest(given);
      let found: (typeof entries)[number] | undefined;
      for (const entry of entries) if (timingSafeEqual(entry.digest, d)) found = entry;
      return found && { operator: found.operator, tokenId: found.tokenId };
    },
    byTokenId: (tokenId) => (tokenId === undefined ? undefined : byId.get(tokenId)),
    tokenIds: entries.map((e) => e.tokenId),
  };
}

export const equalSecrets = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export const cookieOf = (req: Request, name: string): string | undefined =>
  parseCookies(req.get('cookie') ?? '')[name];

/** Who made this request, as the operator middleware found it. */
export function operatorOf(res: Response): Operator {
  return res.locals.operator as Operator;
}

export function sessionOf(res: Response): OperatorSession | undefined {
  return res.locals.operatorSession as OperatorSession | undefined;
}

/** Console actions, which record themselves with their outcome. */
const ACTION_PATH = /^\/ops\/console\/(links\/[^/]+\/actions\/[^/]+|sessions\/end)$/;

/** Console pages a browser asks for: sent to the sign-in form rather than given a 401 document. */
const isConsolePage = (req: Request) => req.method === 'GET' && req.path.startsWith('/ops/console');

/**
 * Operators authenticate with `Authorization: Bearer <token>` (scripts, the JSON API, the Temporal UI's codec
 * calls) or with the console's session cookie (browsers, after /ops/login). Every request is recorded in the
 * audit log under the operator's name before it is served. A form posted with the cookie must carry the
 * session's CSRF token and must not come from another site.
 */
export function authenticateOperators(deps: {
  operators: ConfiguredOperators;
  sessions: OperatorSessions;
  failures: FailedAuthLimit;
  audit: OperatorAudit;
}) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    let operator: Operator | undefined;
    if (bearer) {
      operator = deps.operators.match(bearer)?.operator;
      if (!operator) {
        const limited = await deps.failures.failure(req, res, bearer);
        if (limited) return next(limited);
      }
    } else {
      const id = cookieOf(req, SESSION_COOKIE);
      const found = id ? await deps.sessions.find(id) : undefined;
      // Who the session's token names now: a removed or changed token ends it, a new role applies at once.
      const current = deps.operators.byTokenId(found?.tokenId);
      if (found && id && !current) await deps.sessions.close(id);
      const session = found && current ? { ...found, operator: current } : undefined;
      if (session) {
        if (req.method !== 'GET' && req.method !== 'HEAD' && !formIsOurs(req, session.csrf)) {
          return next(
            new Problem(
              403,
              'csrf_rejected',
              'Form rejected',
              'the form is stale or was not sent from the console; reload the page and try again',
            ),
          );
        }
        operator = current;
        res.locals.operatorSession = session;
      }
    }
    if (!operator) {
      if (!bearer && isConsolePage(req)) {
        return void res.redirect(303, `/ops/login?next=${encodeURIComponent(req.originalUrl)}`);
      }
      return next(
        problems.unauthorized(
          'Send an operator token (OPERATOR_TOKENS) as "Authorization: Bearer <token>", or sign in at /ops/login',
        ),
      );
    }
    res.locals.operator = operator;
    // An action records itself with its outcome (api/routes/operator-console.ts).
    if (req.method === 'POST' && ACTION_PATH.test(req.path)) return next();
    // Recorded before it is served: no operator read goes unaccounted for.
    await deps.audit.record({
      operator: operator.name,
      kind: 'read',
      method: req.method,
      path: req.originalUrl.split('?')[0] as string,
      at: new Date(),
    });
    next();
  };
}

/** Sec-Fetch-Site (where browsers send it) must not say another site, and the CSRF field must match. */
export function formIsOurs(req: Request, csrf: string): boolean {
  if (req.get('sec-fetch-site') === 'cross-site') return false;
  const given = typeof req.body?._csrf === 'string' ? req.body._csrf : '';
  return equalSecrets(given, csrf);
}

/** Actions need the `act` role. */
export function requireActRole(_req: Request, res: Response, next: NextFunction) {
  const operator = operatorOf(res);
  if (mayAct(operator)) return next();
  next(
    new Problem(
      403,
      'forbidden',
      'Not allowed',
      `operator "${operator.name}" may read but not act; actions need a token with the act role (OPERATOR_TOKENS=name:token:act)`,
    ),
  );
}
