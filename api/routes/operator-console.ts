import { WorkflowNotFoundError } from '@temporalio/client';
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { LimitReached } from '../../app/abuse-limits';
import type { LinkService } from '../../app/link-service';
import {
  ActionUnavailable,
  isOperatorAction,
  OPERATOR_ACTIONS,
  type OperatorActionName,
  REMINDABLE_STATUSES,
} from '../../app/operator-actions';
import type { WebhookReplays } from '../../app/webhook-replays';
import { LINK_STATUSES, ROLES } from '../../domain/link';
import { type LinkMilestones, overviewOf } from '../../domain/link-overview';
import type { AccessLog } from '../../store/access-log';
import type { EmailLog } from '../../store/email-log';
import type { LinkSearchQueries } from '../../store/link-search';
import type { LinkStore } from '../../store/links';
import type { OperatorAudit } from '../../store/operator-audit';
import type { OperatorSessions } from '../../store/operator-sessions';
import type { WebhookStore } from '../../store/webhooks';
import type { Handlers } from '../contract/declare';
import type { operatorRoutes } from '../contract/operator';
import { decodeCursor, encodeCursor } from '../cursor';
import { operatorOf, sessionOf } from '../operator-auth';
import { actionDonePage, confirmActionPage, consoleErrorPage } from '../pages/console/actions';
import { consoleAuditPage } from '../pages/console/audit';
import { consoleLinkPage } from '../pages/console/link-page';
import { linksListPage } from '../pages/console/links-list';
import { overviewPage } from '../pages/console/overview';
import type { ConsoleContext } from '../pages/console/shell';
import { Problem, problems } from '../problem';

/** The console shows a link's latest uses; the rest is one call away at /ops/links/:id/access-log. */
const CONSOLE_ACCESS_ENTRIES = 50;
const CONSOLE_AUDIT_ENTRIES = 200;
const CONSOLE_DELIVERIES = 50;
const PAGE_SIZE = 50;

export interface OperatorConsoleDeps {
  links: LinkStore;
  linkSearch: LinkSearchQueries;
  service: LinkService;
  accessLog: AccessLog;
  audit: OperatorAudit;
  webhooks: WebhookStore;
  replays: WebhookReplays;
  emailLog: EmailLog;
  /** Console sign-ins: listed on the activity page, ended by the `act` role. */
  operatorSessions: OperatorSessions;
  /** Where the Temporal UI shows a workflow: `<TEMPORAL_UI_URL>/namespaces/<ns>/workflows/<id>`. */
  temporalUi?: { url: string; namespace: string };
  /** Links created since a time, with their milestones (the overview). */
  linkMilestones(from: Date): Promise<LinkMilestones[]>;
}

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
/** The list's URL: every filter is in it, so a view can be bookmarked and shared. */
const listQuery = z.object({
  q: z.preprocess(blankToUndefined, z.string().trim().max(200, 'must be at most 200 characters').optional()),
  status: z.preprocess(
    blankToUndefined,
    z.enum(LINK_STATUSES, { message: `must be one of ${LINK_STATUSES.join(', ')}` }).optional(),
  ),
  assignee: z.preprocess(
    blankToUndefined,
    z.enum(ROLES, { message: 'must be requester or admin' }).optional(),
  ),
  appId: z.preprocess(blankToUndefined, z.string().trim().max(100).optional()),
  limit: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(200).default(PAGE_SIZE)),
  view: z.preprocess(blankToUndefined, z.enum(['attention'], { message: 'must be attention' }).optional()),
  cursor: z.preprocess(
    blankToUndefined,
    z
      .string()
      .max(200)
      .refine((c) => decodeCursor(c) !== undefined, 'is not a cursor this console made')
      .optional(),
  ),
});

const endSessionsForm = z.object({
  _csrf: z.string().optional(),
  /** Blank: every operator's sessions. */
  operator: z.preprocess(blankToUndefined, z.string().trim().max(100).optional()),
});

const overviewQuery = z.object({
  days: z.preprocess(
    blankToUndefined,
    z.coerce
      .number()
      .int('must be whole days')
      .min(1, 'must be 1 to 90')
      .max(90, 'must be 1 to 90')
      .default(30),
  ),
});
/** How much earlier than the period links are read, to count those still waiting in it (the default expiry). */
const OVERVIEW_LOOKBACK_DAYS = 30;

/** A console page's URL query, or a 400 naming the first field that is wrong (a person reads it). */
function pageQuery<T extends z.ZodType>(schema: T, query: unknown, title: string): z.output<T> {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new Problem(400, 'invalid_filter', title, `${issue?.path.join('.')}: ${issue?.message}`);
}

/**
 * The banners a redirect may ask for by name (`?done=recheck`): a fixed list, so a crafted link cannot make
 * the console say anything else. What an action did in detail is in the audit log.
 */
const DONE_NOTICES: Record<string, string> = {
  ...Object.fromEntries(Object.entries(OPERATOR_ACTIONS).map(([name, a]) => [name, a.done])),
  'sessions-ended': 'Console sessions ended. Whoever held them signs in again with a configured token.',
};

const contextOf = (req: Request, res: Response): ConsoleContext => {
  const session = sessionOf(res);
  const done = typeof req.query.done === 'string' ? req.query.done : '';
  const notice = Object.hasOwn(DONE_NOTICES, done) ? DONE_NOTICES[done] : undefined;
  return {
    operator: operatorOf(res),
    ...(session ? { csrf: session.csrf } : {}),
    ...(notice ? { notice } : {}),
  };
};

type ConsoleHandlers = Pick<
  Handlers<ReturnType<typeof operatorRoutes>>,
  | 'console.links'
  | 'console.overview'
  | 'console.audit'
  | 'console.endSessions'
  | 'console.link'
  | 'console.confirmAction'
  | 'console.runAction'
>;

/** The console's pages and its actions: server-rendered, no script needed. */
export function operatorConsoleHandlers(deps: OperatorConsoleDeps): ConsoleHandlers {
  const load = async (id: string) => {
    const link = await deps.links.findById(id);
    if (!link) throw problems.notFound(`Link ${id}`);
    return link;
  };

  const links: ConsoleHandlers['console.links'] = async ({ req, res }) => {
    const { view, cursor, limit, ...rest } = pageQuery(listQuery, req.query, 'This filter cannot be shown');
    const search = { ...rest, ...(view === 'attention' ? { attention: true } : {}) };
    const now = new Date();
    const after = cursor ? decodeCursor(cursor) : undefined;
    const { rows, facets, reasons } = await deps.linkSearch.search(search, limit, after, now);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    res.type('html').send(
      linksListPage(contextOf(req, res), {
        search,
        limit,
        rows: page,
        facets,
        reasons,
        now,
        firstPage: !after,
        nextCursor: rows.length > limit && last ? encodeCursor({ at: last.updatedAt, id: last._id }) : null,
      }),
    );
  };

  const overview: ConsoleHandlers['console.overview'] = async ({ req, res }) => {
    const { days } = pageQuery(overviewQuery, req.query, 'This overview cannot be shown');
    const now = new Date();
    // Links created up to a link's lifetime earlier may still be waiting during the period.
    const from = new Date(now.getTime() - (days + OVERVIEW_LOOKBACK_DAYS) * 86_400_000);
    const overview = overviewOf(await deps.linkMilestones(from), now, days);
    res.type('html').send(overviewPage(contextOf(req, res), overview, days));
  };

  const audit: ConsoleHandlers['console.audit'] = async ({ req, res }) => {
    const [entries, sessions] = await Promise.all([
      deps.audit.latest(CONSOLE_AUDIT_ENTRIES),
      deps.operatorSessions.openCounts(),
    ]);
    res.type('html').send(consoleAuditPage(contextOf(req, res), entries, sessions));
  };

  /** Ends every console session, or one operator's (a lost laptop, someone leaving): recorded like an action. */
  const endSessions: ConsoleHandlers['console.endSessions'] = async ({ req, res }) => {
    const form = endSessionsForm.safeParse(req.body ?? {});
    if (!form.success)
      throw new Problem(422, 'invalid_form', 'Invalid form', 'operator: at most 100 characters');
    const who = form.data.operator;
    const ended = await deps.operatorSessions.closeAll(who ? { operator: who } : {});
    await deps.audit.record({
      operator: operatorOf(res).name,
      kind: 'action',
      method: 'POST',
      path: '/ops/console/sessions/end',
      detail: `ended ${ended} console session(s) of ${who ? `operator "${who}"` : 'every operator'}`,
      at: new Date(),
    });
    res.redirect(303, '/ops/console/audit?done=sessions-ended');
  };

  const linkStory: ConsoleHandlers['console.link'] = async ({ req, res }) => {
    const link = await load(String(req.params.id));
    const waiting = !link.deletedAt && REMINDABLE_STATUSES.includes(link.status);
    const [timeline, recentUse, deliveries, emails, nextReminderAt] = await Promise.all([
      deps.service.timeline(link._id),
      deps.accessLog.page(link._id, {}, CONSOLE_ACCESS_ENTRIES),
      deps.webhooks.deliveriesForLink(link._id, CONSOLE_DELIVERIES),
      deps.emailLog.findByLink(link._id),
      waiting ? deps.service.nextReminderAt(link._id) : undefined,
    ]);
    res.type('html').send(
      consoleLinkPage(contextOf(req, res), {
        link,
        timeline,
        recentUse,
        deliveries,
        emails,
        ...(nextReminderAt ? { nextReminderAt } : {}),
        ...(deps.temporalUi
          ? {
              temporalUrl: `${deps.temporalUi.url.replace(/\/$/, '')}/namespaces/${encodeURIComponent(deps.temporalUi.namespace)}/workflows/${encodeURIComponent(link.workflowId)}`,
            }
          : {}),
      }),
    );
  };

  const actionOf = (name: string): OperatorActionName => {
    if (!isOperatorAction(name)) throw problems.notFound(`Action ${name}`);
    return name;
  };

  /** The confirmation step: what the action will do, its form, and a way back. */
  const confirmAction: ConsoleHandlers['console.confirmAction'] = async ({ req, res }) => {
    const name = actionOf(String(req.params.action));
    const link = await load(String(req.params.id));
    const unavailable = OPERATOR_ACTIONS[name].unavailable(link);
    const deliveries =
      name === 'replay' ? await deps.webhooks.deliveriesForLink(link._id, CONSOLE_DELIVERIES) : [];
    res
      .status(unavailable ? 409 : 200)
      .type('html')
      .send(
        confirmActionPage(contextOf(req, res), {
          link,
          name,
          ...(unavailable ? { unavailable } : {}),
          deliveries,
          values: req.query as Record<string, unknown>,
        }),
      );
  };

  const runAction: ConsoleHandlers['console.runAction'] = async ({ req, res }) => {
    const name = actionOf(String(req.params.action));
    const link = await load(String(req.params.id));
    const action = OPERATOR_ACTIONS[name];
    const operator = operatorOf(res);
    const record = (detail: string) =>
      deps.audit.record({
        operator: operator.name,
        kind: 'action',
        method: 'POST',
        path: `/ops/console/links/${link._id}/actions/${name}`,
        linkId: link._id,
        detail,
        at: new Date(),
      });
    const ctx = contextOf(req, res);
    const form = action.form.safeParse(req.body ?? {});
    if (!form.success) {
      const errors = form.error.issues.map((i) => ({
        field: i.path.join('.') || '(form)',
        message: i.message,
      }));
      return void res
        .status(422)
        .type('html')
        .send(confirmActionPage(ctx, { link, name, errors, deliveries: [], values: req.body ?? {} }));
    }
    const unavailable = action.unavailable(link);
    try {
      if (unavailable) throw new ActionUnavailable(unavailable);
      // biome-ignore lint/suspicious/noExplicitAny: each action's input is checked by its own form schema above
      const result = await action.run(deps, link, form.data as any, operator);
      await record(`${action.label}: ${result.summary}`);
      if (result.showOnce) return void res.type('html').send(actionDonePage(ctx, { link, result }));
      res.redirect(
        303,
        `/ops/console/links/${encodeURIComponent(link._id)}?done=${encodeURIComponent(name)}`,
      );
    } catch (caught) {
      // The run ended between the page and the click: the same refusal as an action that is not available.
      const error =
        caught instanceof WorkflowNotFoundError
          ? new ActionUnavailable('the link is no longer running')
          : caught instanceof LimitReached
            ? new ActionUnavailable(`it is limited to ${caught.what}`)
            : caught;
      const message =
        error instanceof Problem || error instanceof ActionUnavailable ? error.message : undefined;
      await record(`${action.label}: refused (${message ?? 'error'})`);
      if (error instanceof ActionUnavailable) {
        return void res
          .status(409)
          .type('html')
          .send(
            confirmActionPage(ctx, {
              link,
              name,
              unavailable: error.message,
              deliveries: [],
              values: req.body ?? {},
            }),
          );
      }
      throw error;
    }
  };

  return {
    'console.links': links,
    'console.overview': overview,
    'console.audit': audit,
    'console.endSessions': endSessions,
    'console.link': linkStory,
    'console.confirmAction': confirmAction,
    'console.runAction': runAction,
  };
}

/** A person in a browser reads an error page, not a problem+json document. */
export function consoleErrorPages(error: unknown, req: Request, res: Response, next: NextFunction) {
  if (res.headersSent || !(error instanceof Problem) || !res.locals.operator) return next(error);
  res
    .status(error.status)
    .type('html')
    .send(consoleErrorPage(contextOf(req, res), error));
}
