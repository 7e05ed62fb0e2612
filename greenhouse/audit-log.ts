import type { Dispatcher } from 'undici';
import type { AuditLogPoll, KeyActivityLog, KeyEvent } from '../domain/provider';
import { asObject, retryAfterMs } from './http';
import { type BudgetSource, localBudgets } from './rate-budget';
import { createHarvestAgent, GreenhouseEngine } from './request-engine';
import { type AccessToken, type HarvestCredentials, TokenMinter } from './token-minter';

/**
 * What Greenhouse's Audit Log API (Expert tier with the audit-log add-on) is taken to look like. Confirmed by
 * developers.greenhouse.io/audit-log.html: `GET https://auditlog.us.greenhouse.io/events`, bearer auth, the
 * filters `after_time` and `event_target_types`, results under `results` with `event_time`,
 * `event.target_type` (the action's name for `action` events) and `event.target_id`, `paging=true` for a
 * `pit_id`. Assumed (and so kept here, as data): that a Harvest v3 client-credentials token is the bearer
 * (Elastic's integration does so), the names of the API-key actions, that `target_id` or `meta` carry the
 * client id, and the `Pit-Id` / `Search-After` headers for further pages.
 */
export const AUDIT_LOG_API = {
  eventsPath: '/events',
  /** Actions after which a link's credentials may have changed: each one is worth a re-probe. */
  keyEventNames: ['API Key Permissions Updated', 'API Key Revoked', 'API Key Re-Enabled'],
  pageSize: 100,
  /** Greenhouse allows 3 paginated requests per 30 s: a poll reads at most this many pages. */
  maxPagesPerPoll: 3,
} as const;

export interface AuditLogClientOptions {
  authUrl: string;
  auditLogUrl: string;
  /** The process's one way to Greenhouse; without it, one of the client's own (over `dispatcher`, `budgets`). */
  engine?: GreenhouseEngine;
  dispatcher?: Dispatcher;
  /** Greenhouse's windows, for its token mints (default: this process's own). */
  budgets?: BudgetSource;
}

const EXPIRY_MARGIN_MS = 60_000;

function mentions(value: unknown, text: string): boolean {
  if (typeof value === 'string' || typeof value === 'number') return String(value) === text;
  if (Array.isArray(value)) return value.some((v) => mentions(v, text));
  if (typeof value === 'object' && value !== null) return Object.values(value).some((v) => mentions(v, text));
  return false;
}

/** Keeps the entries about API keys; tolerant of missing fields, since the shape is only partly documented. */
export function keyEventsOf(results: unknown, clientId: string): KeyEvent[] {
  if (!Array.isArray(results)) return [];
  const names = AUDIT_LOG_API.keyEventNames.map((n) => n.toLowerCase());
  const events: KeyEvent[] = [];
  for (const entry of results) {
    const record = asObject(entry);
    const event = asObject(record.event);
    const name = typeof event.target_type === 'string' ? event.target_type : '';
    if (!names.includes(name.toLowerCase())) continue;
    const target = event.target_id;
    const about =
      mentions(target, clientId) || mentions(event.meta, clientId)
        ? 'this_key'
        : typeof target === 'string' && target !== '' && !/^\d+$/.test(target)
          ? 'other_key'
          : 'unknown';
    events.push({ name, about });
  }
  return events;
}

function newestOf(results: unknown, current: string | undefined): string | undefined {
  let newest = current;
  for (const entry of Array.isArray(results) ? results : []) {
    const at = asObject(entry).event_time;
    if (typeof at === 'string' && Number.isFinite(Date.parse(at)) && (!newest || at > newest)) newest = at;
  }
  return newest;
}

/** Reads the API-key actions of a Greenhouse organization's Audit Log since a point in time. */
export class AuditLogClient implements KeyActivityLog {
  private readonly engine: GreenhouseEngine;
  private readonly minter: TokenMinter;
  /** Polls come every minute or so: a token lives an hour, so one mint serves many polls. */
  private readonly tokens = new Map<string, AccessToken>();

  constructor(private readonly options: AuditLogClientOptions) {
    this.engine =
      options.engine ??
      new GreenhouseEngine({
        dispatcher: options.dispatcher ?? createHarvestAgent(),
        budgets: options.budgets ?? localBudgets(1),
      });
    this.minter = new TokenMinter(options.authUrl, this.engine, 5_000);
  }

  async keyEventsSince(
    credentials: HarvestCredentials,
    after: string,
    signal?: AbortSignal,
  ): Promise<AuditLogPoll> {
    let token = await this.token(credentials, signal);
    if ('kind' in token) return token;
    const query = new URLSearchParams({
      after_time: after,
      event_target_types: AUDIT_LOG_API.keyEventNames.join(','),
      paging: 'true',
      size: String(AUDIT_LOG_API.pageSize),
    });
    const url = new URL(`${this.options.auditLogUrl.replace(/\/$/, '')}${AUDIT_LOG_API.eventsPath}?${query}`);
    // A 401 drops the cached token and mints once more (an early expiry); a second 401 is an answer.
    const refresh = async () => {
      this.tokens.delete(credentials.clientId);
      const again = await this.token(credentials, signal);
      if ('kind' in again) return false;
      token = again;
      return true;
    };
    const events: KeyEvent[] = [];
    let newest: string | undefined;
    let pageHeaders: Record<string, string> = {};
    let truncated = false;
    for (let page = 0; page < AUDIT_LOG_API.maxPagesPerPoll; page++) {
      const answer = await this.engine.read({
        method: 'GET',
        url,
        headers: pageHeaders,
        auth: { header: () => `Bearer ${(token as AccessToken).accessToken}`, refresh },
        budget: this.engine.budget(`audit:${credentials.clientId}`),
        idempotent: true,
        maxAttempts: 3,
        // The watcher waits out a 429 or a full window in its workflow timer, not here.
        maxRateLimitWaitMs: 0,
        maxWindowWaitMs: 0,
        ...(signal ? { signal } : {}),
      });
      if (answer.kind === 'unreachable') throw new Error(answer.message);
      if (answer.kind === 'rate_limited')
        return { kind: 'rate_limited', retryAfterMs: answer.retryAfterMs } as const;
      const { status, body } = answer;
      if (status === 429) {
        return { kind: 'rate_limited', retryAfterMs: retryAfterMs(answer.headers, 30_000) } as const;
      }
      if (status === 401) this.tokens.delete(credentials.clientId);
      if (status >= 500) throw new Error(`the Audit Log answered ${status}`);
      if (status !== 200) {
        return {
          kind: 'unavailable',
          status,
          message: answer.message ?? `the Audit Log answered ${status}`,
        } as const;
      }
      const { results, paging } = asObject(body);
      events.push(...keyEventsOf(results, credentials.clientId));
      newest = newestOf(results, newest);
      const { pit_id: pitId, next_search_after: searchAfter } = asObject(paging);
      const more =
        searchAfter !== null && searchAfter !== undefined && Array.isArray(results) && results.length > 0;
      if (!more) break;
      truncated = page === AUDIT_LOG_API.maxPagesPerPoll - 1;
      pageHeaders = { 'search-after': String(searchAfter), ...(pitId ? { 'pit-id': String(pitId) } : {}) };
    }
    return { kind: 'ok', events, truncated, ...(newest ? { newest } : {}) } as const;
  }

  private async token(credentials: HarvestCredentials, signal?: AbortSignal) {
    const cached = this.tokens.get(credentials.clientId);
    if (cached && cached.expiresAt - EXPIRY_MARGIN_MS > Date.now()) return cached;
    const minted = await this.minter.mint(credentials, signal);
    if (!minted.ok) {
      const { outcome } = minted;
      if (outcome.kind === 'unavailable') throw new Error(outcome.message);
      const message = outcome.kind === 'credential_error' ? outcome.message : 'the credentials were refused';
      return { kind: 'unavailable', status: 401, message } as const;
    }
    this.tokens.set(credentials.clientId, minted.token);
    return minted.token;
  }
}
