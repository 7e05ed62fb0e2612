import { setMaxListeners } from 'node:events';
import type { Dispatcher } from 'undici';
import type { ProbeOutcome, ScopeResult } from '../domain/probe';
import type { ScopeProber } from '../domain/provider';
import { getScope, type ScopeDefinition } from './catalog';
import { asObject } from './http';
import { type BudgetSource, localBudgets, MeteredBudget, type RateBudgetStats } from './rate-budget';
import { createHarvestAgent, GreenhouseEngine, type ReadAnswer } from './request-engine';

import { classifySiteAdmin, type Introspection, type ListProbe } from './site-admin';
import { type AccessToken, basicAuth, type HarvestCredentials, TokenMinter } from './token-minter';

export type { HarvestCredentials } from './token-minter';
export { scrubClientId } from './token-minter';

export interface HarvestClientOptions {
  authUrl: string;
  harvestUrl: string;
  /** The process's one way to Greenhouse; without it, one of the client's own (over `dispatcher`, `budgets`). */
  engine?: GreenhouseEngine;
  dispatcher?: Dispatcher;
  /** Upper bound on parallel probe requests; the rate-limit budget can lower it further. */
  maxParallel?: number;
  /** How long one Retry-After may be honoured before a scope is reported `unknown`. */
  maxRetryAfterMs?: number;
  /** Attempts per scope for transient failures (network, 5xx, 429). */
  maxAttempts?: number;
  /**
   * Greenhouse's windows, per client id (probes) and `token:<client id>` (mints): by default this process's
   * own; the worker shares them with the API through MongoDB (store/shared-budgets.ts).
   */
  budgets?: BudgetSource;
}

/** Talks to Greenhouse Harvest v3: mints tokens and probes scopes without side effects. */
export class HarvestClient implements ScopeProber {
  private readonly engine: GreenhouseEngine;
  private readonly minter: TokenMinter;
  private readonly maxParallel: number;
  private readonly maxRetryAfterMs: number;
  private readonly maxAttempts: number;
  /**
   * One budget per credential for every probe of it, kept between probes: Greenhouse counts the window per
   * key, so concurrent probes of one key (links of one account, health checks) share it (bench:faults, 20
   * links on one key: a budget per probe drew 3,880 429s in 13,502 calls), and a probe that starts in a
   * window others emptied must wait for its reset (a budget per run of probes still drew 62).
   */
  constructor(private readonly options: HarvestClientOptions) {
    // Every list read of a probe in one round (ats_read has 15), within the window's budget.
    this.maxParallel = options.maxParallel ?? 16;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
    this.maxAttempts = options.maxAttempts ?? 4;
    this.engine =
      options.engine ??
      new GreenhouseEngine({
        dispatcher: options.dispatcher ?? createHarvestAgent(),
        budgets: options.budgets ?? localBudgets(this.maxParallel),
      });
    this.minter = new TokenMinter(options.authUrl, this.engine, this.maxRetryAfterMs);
  }

  async probe(credentials: HarvestCredentials, scopeIds: readonly string[], signal?: AbortSignal) {
    return (await this.probeWithStats(credentials, scopeIds, signal)).outcome;
  }

  async probeWithStats(
    credentials: HarvestCredentials,
    scopeIds: readonly string[],
    signal?: AbortSignal,
  ): Promise<{ outcome: ProbeOutcome; stats: RateBudgetStats }> {
    return this.probeWithin(
      new MeteredBudget(this.engine.budget(credentials.clientId)),
      credentials,
      scopeIds,
      signal,
    );
  }

  private async probeWithin(
    budget: MeteredBudget,
    credentials: HarvestCredentials,
    scopeIds: readonly string[],
    signal?: AbortSignal,
  ): Promise<{ outcome: ProbeOutcome; stats: RateBudgetStats }> {
    // One probe shares the activity's signal among its parallel requests, each of which listens to it.
    if (signal) setMaxListeners(4 * scopeIds.length + 10, signal);
    const minted = await this.minter.mint(credentials, signal);
    if (!minted.ok) return { outcome: minted.outcome, stats: budget.stats };
    let token = minted.token;
    let remint: Promise<boolean> | undefined;
    // A 401 on a resource re-mints once for the whole probe, however many lanes saw it.
    const refresh = () => {
      remint ??= this.minter.mint(credentials, signal).then((again) => {
        if (again.ok) token = again.token;
        return again.ok;
      });
      return remint;
    };

    const scopes = scopeIds.map(getScope);
    // Introspection runs on the authorization server, beside the reads, not before them.
    const introspecting = this.introspect(credentials, token, signal);
    introspecting.catch(() => undefined); // awaited below; an abort meanwhile is the reads' to report
    const lists = scopes.filter((s) => s.probe.kind === 'list');
    const probes: ListProbe[] = new Array(lists.length);
    let next = 0;
    const lane = async () => {
      while (next < lists.length) {
        const index = next++;
        probes[index] = await this.probeList(
          lists[index] as ScopeDefinition,
          () => token,
          refresh,
          budget,
          signal,
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.maxParallel, lists.length) }, lane));
    const introspection = await introspecting;

    const listResults = new Map(
      classifySiteAdmin(probes, introspection, credentials.userId).map((r) => [r.scope, r]),
    );
    const checkedAt = new Date().toISOString();
    const results: ScopeResult[] = scopes.map(
      (scope) => listResults.get(scope.id) ?? judgeByIntrospection(scope, introspection, checkedAt),
    );
    return { outcome: { kind: 'probed', checkedAt, results }, stats: budget.stats };
  }

  private async probeList(
    scope: ScopeDefinition,
    token: () => AccessToken,
    refresh: () => Promise<boolean>,
    budget: MeteredBudget,
    signal?: AbortSignal,
  ): Promise<ListProbe> {
    const url = new URL((scope.probe as { path: string }).path, this.options.harvestUrl);
    url.searchParams.set('per_page', '1');
    const answer = await this.engine.read({
      method: 'GET',
      url,
      auth: { header: () => `Bearer ${token().accessToken}`, refresh },
      budget,
      idempotent: true,
      maxAttempts: this.maxAttempts,
      maxRateLimitWaitMs: this.maxRetryAfterMs,
      ...(signal ? { signal } : {}),
    });
    const seen = listProbeOf(answer);
    const ok = seen.httpStatus !== undefined && seen.httpStatus >= 200 && seen.httpStatus < 300;
    const items = ok && answer.kind === 'answered' && Array.isArray(answer.body) ? answer.body : undefined;
    return {
      scope: scope.id,
      ...seen,
      ...(items ? { count: items.length } : {}),
      ...(items && scope.id === 'harvest:users:list' ? { users: items } : {}),
    };
  }

  /** Optional extra evidence: undefined when Greenhouse offers no introspection or it fails. */
  private async introspect(
    credentials: HarvestCredentials,
    token: AccessToken,
    signal?: AbortSignal,
  ): Promise<Introspection | undefined> {
    const answer = await this.engine.read({
      method: 'POST',
      url: new URL('/introspect', this.options.authUrl),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      auth: { header: () => basicAuth(credentials.clientId, credentials.clientSecret) },
      body: new URLSearchParams({ token: token.accessToken }).toString(),
      idempotent: true,
      maxAttempts: 2,
      maxRateLimitWaitMs: 0, // evidence on the side: not worth holding up the probe for
      ...(signal ? { signal } : {}),
    });
    if (answer.kind !== 'answered') return undefined;
    const body = asObject(answer.body);
    if (answer.status !== 200 || body.active !== true || typeof body.scope !== 'string') return undefined;
    const siteAdmin = siteAdminClaim(body);
    return {
      scopes: new Set(body.scope.split(/\s+/).filter(Boolean)),
      ...(typeof body.sub === 'string' ? { sub: body.sub } : {}),
      ...(siteAdmin !== undefined ? { siteAdmin } : {}),
    };
  }
}

/** What one list read tells a probe: Greenhouse's status and message, or why it could not be asked. */
export function listProbeOf(answer: ReadAnswer): Omit<ListProbe, 'scope'> {
  const { checkedAt } = answer;
  if (answer.kind === 'answered')
    return { checkedAt, httpStatus: answer.status, ...(answer.message ? { message: answer.message } : {}) };
  if (answer.kind === 'rate_limited')
    return { checkedAt, message: "Greenhouse's rate limit left no room for this check" };
  return { checkedAt, message: answer.message };
}

function judgeByIntrospection(
  scope: ScopeDefinition,
  introspection: Introspection | undefined,
  checkedAt: string,
): ScopeResult {
  if (!introspection) {
    return {
      scope: scope.id,
      status: 'unknown',
      evidence: {
        checkedAt,
        message: 'write scopes are judged by token introspection, which is unavailable',
      },
    };
  }
  const granted = introspection.scopes.has(scope.id);
  return {
    scope: scope.id,
    status: granted ? 'granted' : 'missing',
    evidence: {
      checkedAt,
      message: granted ? 'listed by token introspection' : 'not among the token scopes',
    },
  };
}

/** Where third-party clients of Greenhouse's introspection read the user's role and organization. */
const GREENHOUSE_CLAIMS = 'https://auth.greenhouse.io/claims';

/**
 * Whether the token's user is a Site Admin, from introspection: the documented claims object's `user_role`
 * (its values are not documented: any role naming "site admin" counts), else a plain boolean `site_admin`
 * (in `claims` or at the top level) that earlier answers carried. Undefined when neither is there.
 */
function siteAdminClaim(body: Record<string, unknown>): boolean | undefined {
  const documented = asObject(body[GREENHOUSE_CLAIMS]);
  if (typeof documented.user_role === 'string') return /site[\s_-]*admin/i.test(documented.user_role);
  return [asObject(body.claims).site_admin, documented.site_admin, body.site_admin].find(
    (v) => typeof v === 'boolean',
  ) as boolean | undefined;
}
