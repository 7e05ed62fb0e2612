import { type Dispatcher, request } from 'undici';
import { type ScopeDefinition, scopeForRequest } from '../greenhouse/catalog';
import { delay, header, messageOf, rateWindowOf, readJson, retryAfterMs } from '../greenhouse/http';
import type { LinkDoc } from '../store/links';
import type { RateBudgetStore } from '../store/rate-budgets';
import { AccessRefused, type LinkAccess } from './link-access';

export interface ProxyCall {
  method: string;
  /** `/v3/...`, already checked to stay inside Harvest (see api/proxy-path.ts). */
  path: string;
  /** The raw query string with its `?`, or empty. */
  query: string;
  contentType?: string;
  /** Bodies are small JSON; kept whole so a retried write sends the same bytes. */
  body?: Buffer;
  /** The caller sent Idempotency-Key: a write may be retried after a 429 or 5xx. */
  retryWrites: boolean;
  /** At an exhausted budget: wait for the window, or answer 429 at once. */
  onRateLimit: 'wait' | 'fail';
  /** Where this link's proxy lives, to rewrite Greenhouse's pagination links to. */
  proxyBase: string;
  /** Aborted when the caller hangs up: the upstream request and any wait end with it. */
  signal?: AbortSignal;
}

export type ProxyResult =
  | {
      kind: 'answered';
      status: number;
      headers: Record<string, string>;
      body: Dispatcher.ResponseData['body'];
    }
  | { kind: 'rate_limited'; retryAfterSeconds: number }
  | { kind: 'forbidden'; scope?: ScopeDefinition; message: string }
  | { kind: 'unreachable'; message: string };

export interface LinkProxyDeps {
  access: LinkAccess;
  budgets: RateBudgetStore;
  harvestUrl: string;
  dispatcher: Dispatcher;
  /** Attempts per call for 429, 5xx and network failures (GET, or writes with Idempotency-Key). */
  maxAttempts?: number;
  /** The longest a caller is kept waiting for the rate budget or a Retry-After. */
  maxWaitMs?: number;
}

/** Headers of Greenhouse's answer that the caller gets; the rest (cookies, server details) stay here. */
const PASSED_HEADERS = [
  'content-type',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'retry-after',
];
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Greenhouse's `Link` header with every Harvest URL turned into the same URL under the proxy. */
function rewriteLinkHeader(value: string, harvestUrl: string, proxyBase: string): string {
  const origin = new URL(harvestUrl).origin;
  return value.replace(/<([^>]+)>/g, (whole, target: string) => {
    try {
      const url = new URL(target);
      return url.origin === origin ? `<${proxyBase}${url.pathname}${url.search}>` : whole;
    } catch {
      return whole;
    }
  });
}

/**
 * Calls Harvest for a linked link: a fresh token, one shared rate budget per Greenhouse account, a re-mint on
 * 401, retries with backoff and Retry-After where a retry is safe, and a 403 turned into the scope it needs.
 */
export class LinkProxy {
  private readonly maxAttempts: number;
  private readonly maxWaitMs: number;

  constructor(private readonly deps: LinkProxyDeps) {
    this.maxAttempts = deps.maxAttempts ?? 3;
    this.maxWaitMs = deps.maxWaitMs ?? 30_000;
  }

  async forward(link: LinkDoc, call: ProxyCall): Promise<ProxyResult> {
    const started = Date.now();
    const retryable = call.method === 'GET' || call.retryWrites;
    let token = await this.deps.access.token(link);
    let reminted = false;
    for (let attempt = 1; ; attempt++) {
      const reservation = await this.reserve(token.account, call.onRateLimit, started);
      if ('kind' in reservation) return reservation;
      let response: Dispatcher.ResponseData;
      try {
        response = await request(new URL(`${call.path}${call.query}`, this.deps.harvestUrl), {
          method: call.method as Dispatcher.HttpMethod,
          dispatcher: this.deps.dispatcher,
          headers: {
            authorization: `Bearer ${token.accessToken}`,
            accept: 'application/json',
            ...(call.contentType ? { 'content-type': call.contentType } : {}),
          },
          ...(call.body ? { body: call.body } : {}),
          ...(call.signal ? { signal: call.signal } : {}),
        });
      } catch (error) {
        await this.deps.budgets.settle(token.account, reservation);
        if (call.signal?.aborted) throw error;
        if (retryable && attempt < this.maxAttempts) {
          await delay(250 * 2 ** attempt, call.signal);
          continue;
        }
        return {
          kind: 'unreachable',
          message: (error as { code?: string }).code ?? (error as Error).message,
        };
      }
      const seen = rateWindowOf(response.headers);
      await this.deps.budgets.settle(token.account, reservation, seen);
      const status = response.statusCode;

      if (status === 401 && !reminted) {
        // The token was revoked or expired early: one fresh mint, then the same call again.
        await response.body.dump();
        reminted = true;
        await this.deps.access.refused(link);
        token = await this.deps.access.token(link);
        continue;
      }
      if (status === 401) {
        // A fresh token refused too: the credentials are gone. Say so, rather than pass on a 401 the caller
        // would read as their own API key being wrong.
        await response.body.dump();
        this.deps.access.reportRefusal(link._id);
        throw new AccessRefused({
          kind: 'credentials_rejected',
          problem: 'unauthorized',
          message: 'Greenhouse refused a freshly minted token',
        });
      }
      if (status === 429) {
        const waitMs = retryAfterMs(response.headers, 1_000);
        await this.deps.budgets.exhausted(token.account, new Date(Date.now() + waitMs));
        if (retryable && attempt < this.maxAttempts && Date.now() + waitMs - started <= this.maxWaitMs) {
          await response.body.dump();
          await delay(waitMs, call.signal);
          continue;
        }
      } else if (status >= 500 && retryable && attempt < this.maxAttempts) {
        await response.body.dump();
        await delay(
          Math.min(retryAfterMs(response.headers, 250 * 2 ** attempt), this.maxWaitMs),
          call.signal,
        );
        continue;
      }
      if (status === 403) {
        const message = messageOf(await readJson(response.body)) ?? 'Forbidden';
        const scope = scopeForRequest(call.method, call.path);
        // A scope the link requires was granted when last checked: someone took it away since.
        if (scope && link.requiredScopes.includes(scope.id)) this.deps.access.reportRefusal(link._id);
        return { kind: 'forbidden', scope, message };
      }
      const headers: Record<string, string> = {};
      for (const name of PASSED_HEADERS) {
        const value = header(response.headers, name);
        if (value !== undefined) headers[name] = value;
      }
      const pages = header(response.headers, 'link');
      if (pages) headers.link = rewriteLinkHeader(pages, this.deps.harvestUrl, call.proxyBase);
      return { kind: 'answered', status, headers, body: response.body };
    }
  }

  /** Takes one call from the account's budget; answers for the caller when it will not wait (or waited too long). */
  private async reserve(account: string, mode: ProxyCall['onRateLimit'], started: number) {
    for (;;) {
      const reservation = await this.deps.budgets.reserve(account);
      if (reservation.reserved) return reservation;
      const waitMs = Math.max(0, reservation.retryAt.getTime() - Date.now());
      if (mode === 'fail' || Date.now() + waitMs - started > this.maxWaitMs) {
        return { kind: 'rate_limited' as const, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
      }
      await pause(Math.min(waitMs, 250));
    }
  }
}
