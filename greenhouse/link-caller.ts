import type { CallToken, LinkCall, LinkCaller, LinkCallResult } from '../domain/provider';
import { scopeForRequest } from './catalog';
import { header, messageOf, readJson } from './http';
import type { GreenhouseEngine } from './request-engine';

/** Headers of Greenhouse's answer that the caller gets; the rest (cookies, server details) stay here. */
const PASSED_HEADERS = [
  'content-type',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'retry-after',
];

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

export interface HarvestLinkCallerOptions {
  engine: GreenhouseEngine;
  harvestUrl: string;
  /** Sends per call for 5xx and network failures (reads, or writes made idempotent). */
  maxAttempts?: number;
  /** The longest a caller is kept waiting for the rate window or a Retry-After. */
  maxWaitMs?: number;
}

/**
 * Harvest calls for linked accounts (the proxy), through the engine: the account's shared window, one
 * re-issued token on a 401, retries where safe, and Greenhouse's answer streamed back with its page links
 * pointing at the proxy. A 403 is turned into the scope the call needs.
 */
export class HarvestLinkCaller implements LinkCaller {
  constructor(private readonly options: HarvestLinkCallerOptions) {}

  async call(call: LinkCall, token: CallToken): Promise<LinkCallResult> {
    let renewed = false;
    const answer = await this.options.engine.send({
      method: call.method as 'GET',
      url: new URL(`${call.path}${call.query}`, this.options.harvestUrl),
      headers: call.contentType ? { 'content-type': call.contentType } : {},
      ...(call.body
        ? { body: Buffer.from(call.body.buffer, call.body.byteOffset, call.body.byteLength) }
        : {}),
      auth: {
        header: () => `Bearer ${token.accessToken()}`,
        refresh: async () => {
          renewed = true;
          await token.renew();
          return true;
        },
      },
      budget: this.options.engine.budget(token.account),
      idempotent: call.method === 'GET' || call.idempotent,
      maxAttempts: this.options.maxAttempts ?? 3,
      ...((wait) => ({ maxRateLimitWaitMs: wait, maxWindowWaitMs: wait }))(
        call.onRateLimit === 'fail' ? 0 : (this.options.maxWaitMs ?? 30_000),
      ),
      ...(call.signal ? { signal: call.signal } : {}),
    });
    if (answer.kind === 'unreachable') return { kind: 'unreachable', message: answer.message };
    if (answer.kind === 'rate_limited') {
      return { kind: 'rate_limited', retryAfterSeconds: Math.max(1, Math.ceil(answer.retryAfterMs / 1_000)) };
    }
    const { status } = answer;
    if (status === 401 && renewed) {
      // A fresh token refused too: the credentials are gone. Said as such, rather than passed on as a 401
      // the caller would read as their own API key being wrong.
      await answer.body.dump();
      return { kind: 'credentials_refused', message: 'Greenhouse refused a freshly minted token' };
    }
    if (status === 403) {
      const message = messageOf(await readJson(answer.body)) ?? 'Forbidden';
      const scope = scopeForRequest(call.method, call.path);
      return { kind: 'forbidden', ...(scope ? { scope: scope.id } : {}), message };
    }
    const headers: Record<string, string> = {};
    for (const name of PASSED_HEADERS) {
      const value = header(answer.headers, name);
      if (value !== undefined) headers[name] = value;
    }
    const pages = header(answer.headers, 'link');
    if (pages) headers.link = rewriteLinkHeader(pages, this.options.harvestUrl, call.proxyBase);
    return { kind: 'answered', status, headers, body: answer.body };
  }
}
