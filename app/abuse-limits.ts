import { createHash } from 'node:crypto';
import type { SharedLimits } from '../store/shared-limits';

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * What one connect URL (or one source of guesses) may make Greenlink do, shared by every API replica. Each
 * hand-off sends an email to an address the visitor typed, so it is capped per link, per recipient across
 * all links, and spaced out.
 */
export const ABUSE_LIMITS = {
  handOffCooldown: { limit: 1, windowMs: 2 * MINUTE, what: 'one hand-off per link every 2 minutes' },
  handOffPerLink: { limit: 5, windowMs: DAY, what: '5 hand-offs per link per day' },
  handOffPerRecipient: { limit: 3, windowMs: DAY, what: '3 hand-off emails per recipient per day' },
} as const;

export type AbuseLimit = keyof typeof ABUSE_LIMITS;

/** What one app may hold at once (metadata limits are in the link schema: 50 keys, 40-character keys, 500-character values). */
export const APP_QUOTAS = {
  activeApiKeys: 20,
  webhookEndpoints: 10,
} as const;

export class LimitReached extends Error {
  constructor(
    readonly limit: AbuseLimit,
    readonly retryAfterMs: number,
  ) {
    super(`limit reached: ${ABUSE_LIMITS[limit].what}`);
    this.name = 'LimitReached';
  }
}

/** Limit keys never hold an address in clear. */
const recipientKey = (email: string) => createHash('sha256').update(email.trim().toLowerCase()).digest('hex');

/** Takes one use of each limit in order; the first one used up throws LimitReached. */
async function takeAll(limits: SharedLimits, uses: [AbuseLimit, string][]): Promise<void> {
  for (const [name, key] of uses) {
    const { limit, windowMs } = ABUSE_LIMITS[name];
    const answer = await limits.take(`${name}:${key}`, limit, windowMs);
    if (!answer.allowed) throw new LimitReached(name, answer.retryAfterMs);
  }
}

export const takeHandOff = (limits: SharedLimits, linkId: string, recipient: string) =>
  takeAll(limits, [
    ['handOffCooldown', linkId],
    ['handOffPerLink', linkId],
    ['handOffPerRecipient', recipientKey(recipient)],
  ]);
