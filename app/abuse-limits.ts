import { createHash } from 'node:crypto';
import { mailboxOf } from '../domain/mailbox';
import type { SharedLimits } from '../store/shared-limits';

const MINUTE = 60_000;
const DAY = 86_400_000;
const HOUR = 3_600_000;

/**
 * What one connect URL (or one source of guesses) may make Greenlink do, shared by every API replica. Each
 * hand-off sends an email to an address the visitor typed, so it is capped per link, per recipient across
 * all links, and spaced out.
 */
export const ABUSE_LIMITS = {
  handOffCooldown: {
    limit: 1,
    windowMs: 2 * MINUTE,
    what: 'one hand-off per link every 2 minutes',
    problemType: 'hand_off_limited',
  },
  handOffPerLink: {
    limit: 5,
    windowMs: DAY,
    what: '5 hand-offs per link per day',
    problemType: 'hand_off_limited',
  },
  handOffPerRecipient: {
    limit: 3,
    windowMs: DAY,
    what: '3 hand-off emails per recipient per day',
    problemType: 'hand_off_limited',
  },
  /** An operator's "resend the reminder now": outside the schedule, so bounded on its own. */
  remindNowPerLink: {
    limit: 1,
    windowMs: HOUR,
    what: 'one reminder resent by an operator per link per hour',
    problemType: 'remind_now_limited',
  },
} as const;

export type AbuseLimit = keyof typeof ABUSE_LIMITS;

/** What one app may hold at once (metadata limits are in the link schema: 50 keys, 40-character keys, 500-character values). */
export const APP_QUOTAS = {
  activeApiKeys: 20,
  webhookEndpoints: 10,
} as const;

export class LimitReached extends Error {
  constructor(
    /** Which limit, as the problem's `limit` member. */
    readonly limit: string,
    /** The limit in words: "5 hand-offs per link per day". */
    readonly what: string,
    readonly problemType: string,
    readonly retryAfterMs: number,
  ) {
    super(`limit reached: ${what}`);
    this.name = 'LimitReached';
  }
}

/** Limit keys never hold an address in clear; `a+1@x.io` and `A.b@gmail.com` count as the mailbox they reach. */
const recipientKey = (email: string) => createHash('sha256').update(mailboxOf(email)).digest('hex');

/** Takes one use of each limit in order; the first one used up throws LimitReached. */
async function takeAll(limits: SharedLimits, uses: [AbuseLimit, string][]): Promise<void> {
  for (const [name, key] of uses) {
    const { limit, windowMs, what, problemType } = ABUSE_LIMITS[name];
    const answer = await limits.take(`${name}:${key}`, limit, windowMs);
    if (!answer.allowed) throw new LimitReached(name, what, problemType, answer.retryAfterMs);
  }
}

/**
 * "Check again" asked by a person or an app: each costs a probe of ~17 Greenhouse calls (bursts collapse in
 * the workflow, but a steady loop would not), so at most `rate.max` per link per window (RECHECK_LIMIT).
 */
export async function takeRecheck(
  limits: SharedLimits,
  linkId: string,
  rate: { max: number; windowMs: number },
) {
  const answer = await limits.take(`recheckPerLink:${linkId}`, rate.max, rate.windowMs);
  if (!answer.allowed) {
    const what = `${rate.max} checks per link per ${rate.windowMs / 1000} s`;
    throw new LimitReached('recheckPerLink', what, 'recheck_limited', answer.retryAfterMs);
  }
}

export const takeRemindNow = (limits: SharedLimits, linkId: string) =>
  takeAll(limits, [['remindNowPerLink', linkId]]);

export const takeHandOff = (limits: SharedLimits, linkId: string, recipient: string) =>
  takeAll(limits, [
    ['handOffCooldown', linkId],
    ['handOffPerLink', linkId],
    ['handOffPerRecipient', recipientKey(recipient)],
  ]);
