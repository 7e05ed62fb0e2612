import express, { type NextFunction, type Request, type Response, Router } from 'express';
import type { ZodError } from 'zod';
import { ABUSE_LIMITS, LimitReached } from '../../app/abuse-limits';
import type { LinkService } from '../../app/link-service';
import { isLocale, pickLocale } from '../../i18n/locale';
import { PAGE_TEXT } from '../../i18n/page-text';
import type { AppStore } from '../../store/apps';
import type { CsrfGuard } from '../csrf';
import { linkResource } from '../link-resource';
import { connectPage, type FormErrors, invalidTokenPage, messagePage } from '../pages/connect-page';
import { fromZod, Problem, problems, sendProblem } from '../problem';
import { type RateLimit, rateLimiter } from '../rate-limit';
import { credentialsBodySchema, handOffBody } from '../schemas';

/** Browsers post forms and get pages; scripts post JSON and get JSON. */
const wantsJson = (req: Request) => Boolean(req.is('application/json')) || req.path.endsWith('/status');

const NOTICES = ['handoff', 'recheck', 'not_admin'] as const;
type Notice = (typeof NOTICES)[number];

export function connectRouter(deps: {
  apps: AppStore;
  service: LinkService;
  legacyV1Enabled: boolean;
  csrf: CsrfGuard;
  limits: { connect: RateLimit };
}) {
  const router = Router();
  const credentialsBody = credentialsBodySchema(deps.legacyV1Enabled);
  // Per client IP: token guessing and form floods stop here, before any lookup.
  router.use(rateLimiter(deps.limits.connect, (req) => `ip:${req.ip}`));
  router.use(express.urlencoded({ extended: false, limit: '16kb' }));

  const localeOf = (req: Request, linkLocale?: string | null) =>
    pickLocale({ chosen: req.query.lang, linkLocale, acceptLanguage: req.get('accept-language') });

  /** The link behind a token; unknown, expired and revoked tokens all answer the same 404. */
  const resolve = async (req: Request, res: Response) => {
    const token = String(req.params.token);
    const found = await deps.service.openConnectToken(token);
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
    return { ...found, token };
  };

  const render = async (
    req: Request,
    found: NonNullable<Awaited<ReturnType<typeof resolve>>>,
    extra: { errors?: FormErrors; notice?: Notice } = {},
  ) =>
    connectPage({
      ...found,
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

  router.get('/:token', async (req, res) => {
    const found = await resolve(req, res);
    if (!found) return;
    const notice = NOTICES.find((n) => n === req.query.notice);
    res
      .set('cache-control', 'no-store')
      .type('html')
      .send(await render(req, found, { notice }));
  });

  router.get('/:token/status', async (req, res) => {
    const found = await resolve(req, res);
    if (!found) return;
    const { id, status, assignee, permissions, credentialProblem, lastCheckedAt } = linkResource(found.link);
    res
      .set('cache-control', 'no-store')
      .json({ id, status, assignee, permissions, credentialProblem, lastCheckedAt });
  });

  router.post('/:token/credentials', async (req, res) => {
    const found = await resolve(req, res);
    if (!found) return;
    const parsed = credentialsBody.safeParse(req.body ?? {});
    if (!parsed.success)
      return refuse(req, res, found, req.body?.apiKey !== undefined ? 'legacy' : 'credentials', parsed.error);
    const result = await deps.service.submitCredentials(found.link._id, parsed.data);
    if (wantsJson(req)) return void res.json(result);
    back(req, res);
  });

  router.post('/:token/recheck', async (req, res) => {
    const found = await resolve(req, res);
    if (!found) return;
    await deps.service.recheck(found.link._id, found.role);
    if (wantsJson(req)) return void res.status(202).json({ recheck: 'requested' });
    back(req, res, 'recheck');
  });

  router.post('/:token/handoff', async (req, res) => {
    const found = await resolve(req, res);
    if (!found) return;
    if (found.role !== 'requester')
      throw problems.conflict("an admin's link cannot hand the setup off; it can only send it back");
    const parsed = handOffBody.safeParse(req.body ?? {});
    if (!parsed.success) return refuse(req, res, found, 'handoff', parsed.error);
    const { note, ...admin } = parsed.data;
    try {
      await deps.service.handOff(found.link._id, admin, note, found.role);
    } catch (error) {
      if (!(error instanceof LimitReached)) throw error;
      const seconds = Math.max(1, Math.ceil(error.retryAfterMs / 1000));
      res.set('retry-after', String(seconds));
      throw new Problem(
        429,
        'hand_off_limited',
        'Too many hand-offs',
        `at most ${ABUSE_LIMITS[error.limit].what}; try again in ${seconds} s`,
        undefined,
        { limit: error.limit, retryAfterSeconds: seconds },
      );
    }
    if (wantsJson(req)) return void res.status(202).json({ handOff: 'requested' });
    back(req, res, 'handoff');
  });

  /** "I'm not the admin": only from an admin's link, back to the requester. */
  router.post('/:token/not-admin', async (req, res) => {
    const found = await resolve(req, res);
    if (!found) return;
    if (found.role !== 'admin') throw problems.conflict("only the admin's link can send the setup back");
    await deps.service.reassign(found.link._id, 'requester', 'admin');
    if (wantsJson(req)) return void res.status(202).json({ reassign: 'requested' });
    back(req, res, 'not_admin');
  });

  /** Browsers get pages for refusals too (rate limit, conflicts); scripts keep problem+json. */
  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!(error instanceof Problem) || wantsJson(req)) return next(error);
    const locale = localeOf(req);
    const t = PAGE_TEXT[locale];
    const page =
      error.status === 429
        ? messagePage(locale, t.tooManyTitle, t.tooManyText(Number(res.get('retry-after') ?? 60)))
        : messagePage(locale, error.title, error.detail ?? '');
    res.status(error.status).type('html').send(page);
  });

  return router;
}
