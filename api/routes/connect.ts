import type { NextFunction, Request, Response } from 'express';
import type { ZodError } from 'zod';
import type { LinkService } from '../../app/link-service';
import { isLocale, pickLocale } from '../../i18n/locale';
import { PAGE_TEXT } from '../../i18n/page-text';
import type { AppStore } from '../../store/apps';
import type { connectRoutes } from '../contract/connect';
import type { Handler, Handlers } from '../contract/declare';
import { credentialsBodySchema, handOffBody } from '../contract/request-schemas';
import type { CsrfGuard } from '../csrf';
import { dependencyProblems } from '../dependency-problem';
import { limitProblems } from '../limit-problem';
import { linkResource } from '../link-resource';
import { connectPage, type FormErrors, invalidTokenPage, messagePage } from '../pages/connect-page';
import { fromZod, Problem, problems, sendProblem } from '../problem';

type ConnectRoute<Id extends string> = Extract<ReturnType<typeof connectRoutes>[number], { operationId: Id }>;

/** Browsers post forms and get pages; scripts post JSON and get JSON. */
const wantsJson = (req: Request) => Boolean(req.is('application/json')) || req.path.endsWith('/status');

const NOTICES = ['handoff', 'recheck', 'checking', 'not_admin'] as const;
type Notice = (typeof NOTICES)[number];

/** Session paths: `/connect/s.<link id>`, the token in the cookie named for that link. */
const SESSION_PREFIX = 's.';
const SESSION_MS = 2 * 3_600_000;
const cookieName = (linkId: string) => `gl_connect_${linkId}`;
function cookieOf(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/** The connect flow's pages and their JSON side; each resolves the token in its path first. */
export function connectHandlers(deps: {
  apps: AppStore;
  publicUrl: string;
  service: LinkService;
  legacyV1Enabled: boolean;
  csrf: CsrfGuard;
}): Handlers<ReturnType<typeof connectRoutes>> {
  const credentialsBody = credentialsBodySchema(deps.legacyV1Enabled);

  const localeOf = (req: Request, linkLocale?: string | null) =>
    pickLocale({ chosen: req.query.lang, linkLocale, acceptLanguage: req.get('accept-language') });

  /**
   * The link behind a token; unknown, expired and revoked tokens all answer the same 404. The token comes
   * from the path, or, on a session path (`/connect/s.<link id>`), from that link's session cookie.
   */
  const resolve = async (req: Request, res: Response) => {
    const param = String(req.params.token);
    const sessionOf = param.startsWith(SESSION_PREFIX) ? param.slice(SESSION_PREFIX.length) : undefined;
    const token = sessionOf !== undefined ? (cookieOf(req, cookieName(sessionOf)) ?? '') : param;
    const opened = token ? await deps.service.openConnectToken(token) : undefined;
    const found = opened && (sessionOf === undefined || opened.link._id === sessionOf) ? opened : undefined;
    if (!found) {
      if (wantsJson(req)) sendProblem(res, problems.notFound('This connect link'));
      else
        res
          .status(404)
          .type('html')
          .send(invalidTokenPage(localeOf(req)));
      return undefined;
    }
    if (req.method === 'POST' && !wantsJson(req) && !deps.csrf.accepts(req, token)) {
      const locale = localeOf(req, found.link.locale);
      const t = PAGE_TEXT[locale];
      res
        .status(403)
        .type('html')
        .send(messagePage(locale, t.forbiddenTitle, t.forbiddenText));
      return undefined;
    }
    return { ...found, token, pathToken: sessionOf !== undefined ? param : token };
  };

  const render = async (
    req: Request,
    found: NonNullable<Awaited<ReturnType<typeof resolve>>>,
    extra: { errors?: FormErrors; notice?: Notice } = {},
  ) =>
    connectPage({
      ...found,
      token: found.pathToken, // what the page's own links and forms use; the secret one stays in the cookie
      ...extra,
      appName: (await deps.apps.findApp(found.link.appId))?.name ?? 'Greenlink',
      locale: localeOf(req, found.link.locale),
      chosenLang: isLocale(req.query.lang) ? req.query.lang : undefined,
      legacyV1Enabled: deps.legacyV1Enabled,
      csrf: deps.csrf.tokenFor(found.token),
    });

  /** After a form POST: back to the page (303), saying what happened. */
  const back = (req: Request, res: Response, notice?: Notice) => {
    const lang = isLocale(req.query.lang) ? `lang=${req.query.lang}` : '';
    const query = [notice ? `notice=${notice}` : '', lang].filter(Boolean).join('&');
    res.redirect(303, `/connect/${encodeURIComponent(String(req.params.token))}${query ? `?${query}` : ''}`);
  };

  /** A refused form: JSON callers get problem+json, browsers the page again with each field's error. */
  const refuse = async (
    req: Request,
    res: Response,
    found: NonNullable<Awaited<ReturnType<typeof resolve>>>,
    form: FormErrors['form'],
    error: ZodError,
  ) => {
    const problem = fromZod(error);
    if (wantsJson(req)) return sendProblem(res, problem);
    const { clientSecret: _s, apiKey: _k, _csrf: _c, ...shown } = (req.body ?? {}) as Record<string, string>;
    const errors: FormErrors = { form, fields: problem.errors ?? [], values: shown };
    res
      .status(422)
      .type('html')
      .send(await render(req, found, { errors }));
  };

  const page: Handler<ConnectRoute<'connect.page'>> = async ({ req, res }) => {
    const found = await resolve(req, res);
    if (!found) return;
    if (found.pathToken === found.token && req.get('sec-fetch-mode') === 'navigate') {
      // A browser opened the URL from an email or a chat: the token moves into a cookie for this link's pages
      // and leaves the address bar (and the history, screenshots and Referer it would otherwise end up in).
      const sessionPath = `/connect/${SESSION_PREFIX}${found.link._id}`;
      res.cookie(cookieName(found.link._id), found.token, {
        httpOnly: true,
        sameSite: 'lax',
        secure: deps.publicUrl.startsWith('https:'),
        path: sessionPath,
        maxAge: SESSION_MS,
      });
      const query = new URLSearchParams(req.query as Record<string, string>).toString();
      return void res.redirect(303, `${sessionPath}${query ? `?${query}` : ''}`);
    }
    const notice = NOTICES.find((n) => n === req.query.notice);
    res
      .set('cache-control', 'no-store')
      .type('html')
      .send(await render(req, found, { notice }));
  };

  const status: Handler<ConnectRoute<'connect.status'>> = async ({ req, res }) => {
    const found = await resolve(req, res);
    if (!found) return;
    const { id, status, assignee, permissions, credentialProblem, lastCheckedAt } = linkResource(found.link);
    res
      .set('cache-control', 'no-store')
      .json({ id, status, assignee, permissions, credentialProblem, lastCheckedAt });
  };

  const submitCredentials: Handler<ConnectRoute<'connect.submitCredentials'>> = async ({ req, res }) => {
    const found = await resolve(req, res);
    if (!found) return;
    const parsed = credentialsBody.safeParse(req.body ?? {});
    if (!parsed.success)
      return refuse(req, res, found, req.body?.apiKey !== undefined ? 'legacy' : 'credentials', parsed.error);
    const result = await deps.service.submitCredentials(found.link._id, parsed.data);
    if (wantsJson(req)) return void res.status(result.checking ? 202 : 200).json(result);
    back(req, res, result.checking ? 'checking' : undefined);
  };

  const recheck: Handler<ConnectRoute<'connect.recheck'>> = async ({ req, res }) => {
    const found = await resolve(req, res);
    if (!found) return;
    await deps.service.recheck(found.link._id, found.role);
    if (wantsJson(req)) return void res.status(202).json({ recheck: 'requested' });
    back(req, res, 'recheck');
  };

  const handOff: Handler<ConnectRoute<'connect.handOff'>> = async ({ req, res }) => {
    const found = await resolve(req, res);
    if (!found) return;
    if (found.role !== 'requester')
      throw problems.conflict("an admin's link cannot hand the setup off; it can only send it back");
    const parsed = handOffBody.safeParse(req.body ?? {});
    if (!parsed.success) return refuse(req, res, found, 'handoff', parsed.error);
    const { note, ...admin } = parsed.data;
    await deps.service.handOff(found.link._id, admin, note, found.role);
    if (wantsJson(req)) return void res.status(202).json({ handOff: 'requested' });
    back(req, res, 'handoff');
  };

  /** "I'm not the admin": only from an admin's link, back to the requester. */
  const notAdmin: Handler<ConnectRoute<'connect.notAdmin'>> = async ({ req, res }) => {
    const found = await resolve(req, res);
    if (!found) return;
    if (found.role !== 'admin') throw problems.conflict("only the admin's link can send the setup back");
    await deps.service.reassign(found.link._id, 'requester', 'admin');
    if (wantsJson(req)) return void res.status(202).json({ reassign: 'requested' });
    // This admin link has just been revoked: say so here, rather than redirect to a page that is gone.
    const locale = localeOf(req, found.link.locale);
    const t = PAGE_TEXT[locale];
    const requester = found.link.requester.name ?? found.link.requester.email;
    res.type('html').send(messagePage(locale, t.notAdminDoneTitle, t.notice.not_admin(requester)));
  };

  return {
    'connect.page': page,
    'connect.status': status,
    'connect.submitCredentials': submitCredentials,
    'connect.recheck': recheck,
    'connect.handOff': handOff,
    'connect.notAdmin': notAdmin,
  };
}

/** Browsers get pages for refusals too (rate limit, conflicts, no such route); scripts keep problem+json. */
export const connectErrorPages = [
  limitProblems,
  dependencyProblems,
  (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!(error instanceof Problem) || wantsJson(req) || res.headersSent) return next(error);
    const locale = pickLocale({ chosen: req.query.lang, acceptLanguage: req.get('accept-language') });
    const t = PAGE_TEXT[locale];
    const page =
      error.status === 429
        ? messagePage(locale, t.tooManyTitle, t.tooManyText(Number(res.get('retry-after') ?? 60)))
        : messagePage(locale, error.title, error.detail ?? '');
    res.status(error.status).type('html').send(page);
  },
];
