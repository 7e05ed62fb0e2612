import type { Request, Response } from 'express';
import { z } from 'zod';
import { newSecret } from '../../store/ids';
import type { OperatorAudit } from '../../store/operator-audit';
import type { OperatorSessions } from '../../store/operator-sessions';
import type { Handlers } from '../contract/declare';
import type { operatorRoutes } from '../contract/operator';
import type { FailedAuthLimit } from '../failed-auth';
import {
  type ConfiguredOperators,
  cookieOf,
  equalSecrets,
  formIsOurs,
  SESSION_COOKIE,
} from '../operator-auth';
import { signInPage } from '../pages/console/sign-in';
import { Problem } from '../problem';

type OperatorHandlers = Handlers<ReturnType<typeof operatorRoutes>>;

/** The sign-in form's own anti-CSRF value (double submit: this cookie and the form field must agree). */
const SIGN_IN_COOKIE = 'gl_ops_sign_in';
const SIGN_IN_FORM_MS = 30 * 60_000;

/** Where to go after signing in: only a console page of this origin (never an open redirect). */
const nextPage = z
  .string()
  .regex(/^\/ops\/console(?:[/?#]|$)/)
  .catch('/ops/console');

const signInFormBody = z.object({
  token: z.string().trim().max(512).default(''),
  _csrf: z.string().max(200).default(''),
  next: nextPage.default('/ops/console'),
});

const isLocal = (publicUrl: string) =>
  ['localhost', '127.0.0.1', '[::1]'].includes(new URL(publicUrl).hostname);

/**
 * GET/POST /ops/login and POST /ops/logout: an operator token exchanged for a short-lived session cookie
 * (HttpOnly, SameSite=Strict, Secure unless Greenlink runs on localhost), failures counted per address like
 * API keys, and every sign-in, refusal and sign-out in the operator audit log.
 */
export function operatorSignInHandlers(deps: {
  operators: ConfiguredOperators;
  sessions: OperatorSessions;
  failures: FailedAuthLimit;
  audit: OperatorAudit;
  publicUrl: string;
  sessionTtlMs: number;
}): Pick<OperatorHandlers, 'operator.signInForm' | 'operator.signIn' | 'operator.signOut'> {
  const secure = !isLocal(deps.publicUrl);
  const cookie = (path: string, maxAge: number) =>
    ({ httpOnly: true, sameSite: 'strict', secure, path, maxAge }) as const;
  const showForm = (res: Response, status: number, next: string, error?: string) => {
    const csrf = newSecret();
    res.cookie(SIGN_IN_COOKIE, csrf, cookie('/ops/login', SIGN_IN_FORM_MS));
    res
      .status(status)
      .type('html')
      .send(signInPage({ csrf, next, ...(error ? { error } : {}) }));
  };
  const audit = (
    req: Request,
    kind: 'sign-in' | 'sign-in refused' | 'sign-out',
    operator: string,
    detail?: string,
  ) =>
    deps.audit.record({
      operator,
      kind,
      method: req.method,
      path: req.path,
      ...(detail ? { detail } : {}),
      at: new Date(),
    });

  const signInForm: OperatorHandlers['operator.signInForm'] = ({ req, res }) =>
    void showForm(res, 200, nextPage.parse(req.query.next ?? '/ops/console'));

  const signIn: OperatorHandlers['operator.signIn'] = async ({ req, res }) => {
    const form = signInFormBody.parse(req.body ?? {});
    const expected = cookieOf(req, SIGN_IN_COOKIE) ?? '';
    if (req.get('sec-fetch-site') === 'cross-site' || !expected || !equalSecrets(form._csrf, expected)) {
      return showForm(
        res,
        403,
        form.next,
        'The sign-in form had expired or came from another site. Try again.',
      );
    }
    const matched = form.token ? deps.operators.match(form.token) : undefined;
    if (!matched) {
      const limited = await deps.failures.failure(req, res, form.token);
      await audit(req, 'sign-in refused', '(unknown)', `from ${req.ip}`);
      if (limited) return showForm(res, 429, form.next, limited.detail);
      return showForm(
        res,
        401,
        form.next,
        'That is not an operator token. Check OPERATOR_TOKENS and try again.',
      );
    }
    const { operator, tokenId } = matched;
    const session = await deps.sessions.open(operator, tokenId, deps.sessionTtlMs);
    await audit(req, 'sign-in', operator.name, `role ${operator.role}, from ${req.ip}`);
    res.clearCookie(SIGN_IN_COOKIE, { path: '/ops/login' });
    res.cookie(SESSION_COOKIE, session.id, cookie('/ops', deps.sessionTtlMs));
    res.redirect(303, form.next);
  };

  const signOut: OperatorHandlers['operator.signOut'] = async ({ req, res }) => {
    const id = cookieOf(req, SESSION_COOKIE);
    const session = id ? await deps.sessions.find(id) : undefined;
    if (!session || !id) return void res.redirect(303, '/ops/login');
    if (!formIsOurs(req, session.csrf)) {
      throw new Problem(403, 'csrf_rejected', 'Form rejected', 'reload the page and sign out again');
    }
    await deps.sessions.close(id);
    await audit(req, 'sign-out', session.operator.name);
    res.clearCookie(SESSION_COOKIE, { path: '/ops' });
    res.redirect(303, '/ops/login');
  };
  return { 'operator.signInForm': signInForm, 'operator.signIn': signIn, 'operator.signOut': signOut };
}
