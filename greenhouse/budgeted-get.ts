import { type Dispatcher, request } from 'undici';
import { classifyNetworkError, delay, messageOf, readJson, retryAfterMs } from './http';
import type { CallBudget } from './rate-budget';

export interface BudgetedGetOptions {
  url: URL;
  dispatcher: Dispatcher;
  budget: CallBudget;
  authorization: () => string;
  maxAttempts: number;
  maxRetryAfterMs: number;
  /** Called once on a 401; resolves true when a retry is worth it (a fresh token). */
  onUnauthorized?: () => Promise<boolean>;
  signal?: AbortSignal;
}

export interface GetAnswer {
  checkedAt: string;
  httpStatus?: number;
  message?: string;
  body?: unknown;
}

/**
 * One side-effect-free GET within the rate-limit budget: network errors and 5xx retry with backoff, a 429
 * empties the budget until Retry-After and retries (up to maxRetryAfterMs of waiting in all), a 401 may refresh credentials once. Returns the last
 * answer; the caller decides what it means.
 */
export async function budgetedGet(o: BudgetedGetOptions): Promise<GetAnswer> {
  let last: GetAnswer = { checkedAt: new Date().toISOString(), message: 'not attempted' };
  let refreshed = false;
  let rateLimitedMs = 0;
  for (let attempt = 1; attempt <= o.maxAttempts; attempt++) {
    const turn = await o.budget.take(o.signal);
    let response: Dispatcher.ResponseData;
    let body: unknown;
    try {
      response = await request(o.url, {
        method: 'GET',
        dispatcher: o.dispatcher,
        headers: { authorization: o.authorization(), accept: 'application/json' },
        signal: o.signal,
      });
      body = await readJson(response.body);
    } catch (error) {
      turn.done();
      if (o.signal?.aborted) throw error;
      last = { checkedAt: new Date().toISOString(), message: classifyNetworkError(error).message };
      if (attempt < o.maxAttempts) await delay(100 * 2 ** attempt, o.signal);
      continue;
    }
    const status = response.statusCode;
    const message = messageOf(body);
    last = { checkedAt: new Date().toISOString(), httpStatus: status, ...(message ? { message } : {}), body };
    turn.done({ status, headers: response.headers }); // a 429 empties the budget until its Retry-After
    if (status === 429) {
      const waitMs = retryAfterMs(response.headers);
      rateLimitedMs += waitMs;
      if (rateLimitedMs > o.maxRetryAfterMs) return last;
      attempt--; // waiting out a 429 is bounded by time, not attempts
      continue; // the next acquire() waits out the Retry-After
    }
    if (status === 401 && o.onUnauthorized && !refreshed) {
      refreshed = true;
      if (await o.onUnauthorized()) {
        attempt--; // a refresh is not a failed attempt
        continue;
      }
      return last;
    }
    if (status >= 500 && attempt < o.maxAttempts) {
      await delay(100 * 2 ** attempt, o.signal);
      continue;
    }
    return last;
  }
  return last;
}
