import { z } from 'zod';
import { isClosedStatus, type LinkStatus, ROLES } from '../domain/link';
import type { Operator } from '../domain/operator';
import type { LinkDoc } from '../store/links';
import type { WebhookStore } from '../store/webhooks';
import type { LinkService } from './link-service';
import type { WebhookReplays } from './webhook-replays';

export interface OperatorActionDeps {
  service: LinkService;
  webhooks: WebhookStore;
  replays: WebhookReplays;
}

/** What an action did: a sentence for the console, and a secret to show exactly once (a connect URL). */
export interface ActionResult {
  summary: string;
  showOnce?: { label: string; value: string; expiresAt: string };
}

export class ActionUnavailable extends Error {}

interface OperatorAction<F extends z.ZodType> {
  label: string;
  /** What it does, shown on the confirmation page. */
  explain: string;
  /** The console's banner once it is done: fixed text (the audit log has the details). */
  done: string;
  form: F;
  /** Why it cannot be done to this link now; undefined when it can. */
  unavailable(link: LinkDoc): string | undefined;
  run(deps: OperatorActionDeps, link: LinkDoc, input: z.output<F>, operator: Operator): Promise<ActionResult>;
}

const WAITING: LinkStatus[] = ['awaiting_credentials', 'verifying', 'awaiting_permissions'];
/** Statuses in which someone is waiting to be reminded (of credentials, permissions, a reconnect). */
export const REMINDABLE_STATUSES: LinkStatus[] = [
  'awaiting_credentials',
  'awaiting_permissions',
  'degraded',
  'disconnected',
];
const ended = (link: LinkDoc) =>
  link.deletedAt
    ? 'the link was deleted'
    : isClosedStatus(link.status)
      ? `the link is ${link.status}`
      : undefined;
const action = <F extends z.ZodType>(a: OperatorAction<F>) => a;
const nothing = z.object({});

/**
 * What an operator with the `act` role can do to a link from the console, as data: each goes through the
 * application layer the API and CLI use (LinkService, WebhookReplays), never straight to Temporal or MongoDB.
 */
export const OPERATOR_ACTIONS = {
  recheck: action({
    label: 'Check again',
    done: 'Check requested: its result shows in the timeline within seconds.',
    explain: "Probes the link's Greenhouse permissions now, as the connect page's button does.",
    form: nothing,
    unavailable: ended,
    async run(deps, link) {
      await deps.service.recheck(link._id, 'operator');
      return { summary: 'Check requested: its result shows in the timeline within seconds.' };
    },
  }),
  'connect-url': action({
    label: 'New connect URL',
    done: 'A new requester connect URL was made; earlier requester URLs no longer work.',
    explain:
      "Makes a fresh connect URL for the requester and shows it once; the requester's earlier URLs stop working.",
    form: nothing,
    unavailable: (link) =>
      ended(link) ?? (link.status === 'linked' ? 'the link is linked and healthy' : undefined),
    async run(deps, link) {
      const { connectUrl, connectUrlExpiresAt } = await deps.service.newConnectUrl(link._id);
      return {
        summary: 'A new requester connect URL was made; earlier requester URLs no longer work.',
        showOnce: { label: 'Connect URL', value: connectUrl, expiresAt: connectUrlExpiresAt.toISOString() },
      };
    },
  }),
  reassign: action({
    label: 'Reassign',
    done: 'Reassigned: the timeline says to whom.',
    explain:
      "Moves the setup to the requester or back to the admin it was handed to; reminders follow. Back to the requester, the admin's links stop working.",
    form: z.object({ to: z.enum(ROLES, { message: 'must be requester or admin' }) }),
    unavailable: (link) =>
      ended(link) ??
      (WAITING.includes(link.status) ? undefined : 'only a link still being set up can be reassigned'),
    async run(deps, link, { to }) {
      if (to === link.assignee) throw new ActionUnavailable(`the link is assigned to the ${to} already`);
      if (to === 'admin' && !link.admin) throw new ActionUnavailable('no admin was ever handed this link');
      await deps.service.reassign(link._id, to, 'operator');
      return { summary: `Reassigned to the ${to}.` };
    },
  }),
  remind: action({
    label: 'Resend reminder now',
    done: 'Reminder requested: it goes out within seconds.',
    explain:
      'Emails the person the link waits on the reminder its state calls for, now; the schedule stays as it is. At most once per link per hour.',
    form: nothing,
    unavailable: (link) =>
      ended(link) ??
      (REMINDABLE_STATUSES.includes(link.status)
        ? undefined
        : `a ${link.status} link has nothing to be reminded of`),
    async run(deps, link) {
      await deps.service.remindNow(link._id, 'operator');
      return { summary: `Reminder requested: it goes to the ${link.assignee} within seconds.` };
    },
  }),
  cancel: action({
    label: 'Cancel link',
    done: 'Cancel requested: the link ends within seconds.',
    explain:
      'Ends the link as cancelled: reminders stop, its connect links stop working, the app gets link.cancelled.',
    form: z.object({
      reason: z
        .string({ message: 'is required' })
        .trim()
        .min(1, 'is required')
        .max(200, 'must be at most 200 characters'),
    }),
    unavailable: ended,
    async run(deps, link, { reason }) {
      await deps.service.cancel(link._id, `operator: ${reason}`);
      return { summary: `Cancel requested (${reason}).` };
    },
  }),
  replay: action({
    label: 'Replay webhook delivery',
    done: 'Webhook replay queued: the deliveries list shows it.',
    explain:
      'Sends a recorded webhook delivery once more with the same webhook-id (receivers deduplicate on it).',
    form: z.object({ deliveryId: z.string({ message: 'is required' }).min(1, 'is required').max(200) }),
    unavailable: () => undefined,
    async run(deps, link, { deliveryId }) {
      const delivery = await deps.webhooks.findDelivery(link.appId, deliveryId);
      if (!delivery || delivery.linkId !== link._id)
        throw new ActionUnavailable(`no delivery ${deliveryId} of this link`);
      await deps.replays.queue({ appId: link.appId, endpointId: delivery.endpointId, deliveryId });
      return { summary: `Replay of ${delivery.type} (${deliveryId}) queued.` };
    },
  }),
} as const;

export type OperatorActionName = keyof typeof OPERATOR_ACTIONS;
export const isOperatorAction = (name: string): name is OperatorActionName =>
  Object.hasOwn(OPERATOR_ACTIONS, name);
