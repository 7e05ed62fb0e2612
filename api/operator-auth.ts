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

/** Compares against every configured token, so the time taken does not say which one matched. */
export function tokenMatcher(tokens: OperatorToken[]): (given: string) => Operator | undefined {
  const digests = tokens.map((t) => ({ digest: digest(t.token), operator: { name: t.name, role: t.role } }));
  return (given) => {
    const d = digest(given);
    let found: Operator | undefined;
    for (const entry of digests) if (timingSafeEqual(entry.digest, d)) found = entry.operator;
    return found;
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

const ACTION_PATH = /^\/ops\/console\/links\/[^/]+\/actions\/[^/]+$/;

/** Console pages a browser asks for: sent to the sign-in form rather than given a 401 document. */
const isConsolePage = (req: Request) => req.method === 'GET' && req.path.startsWith('/ops/console');

/**
 * Operators authenticate with `Authorization: Bearer <token>` (scripts, the JSON API, the Temporal UI's codec
 * calls) or with the console's session cookie (browsers, after /ops/login). Every request is recorded in the
 * audit log under the operator's name before it is served. A form posted with the cookie must carry the
 * session's CSRF token and must not come from another site.
 */
export function authenticateOperators(deps: {
  tokens: OperatorToken[];
  sessions: OperatorSessions;
  failures: FailedAuthLimit;
  audit: OperatorAudit;
}) {
  const match = tokenMatcher(deps.tokens);
  return async (req: Request, res: Response, next: NextFunction) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    let operator: Operator | undefined;
    if (bearer) {
      operator = match(bearer);
      if (!operator) {
        const limited = await deps.failures.failure(req, res, bearer);
        if (limited) return next(limited);
      }
    } else {
      const id = cookieOf(req, SESSION_COOKIE);
      const session = id ? await deps.sessions.find(id) : undefined;
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
        operator = session.operator;
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
