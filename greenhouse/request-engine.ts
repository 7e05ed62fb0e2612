import { Readable } from 'node:stream';
import {
  ExponentialBackoff,
  handleWhenResult,
  type IBackoff,
  type IBackoffFactory,
  type IRetryBackoffContext,
  retry,
} from 'cockatiel';
import type { Dispatcher } from 'undici';
import { Agent, request } from 'undici';
import type { UnavailableReason } from '../domain/probe';
import { classifyNetworkError, type Headers, messageOf, readJson, retryAfterMs } from './http';
import { BudgetExhausted, type BudgetSource, type CallBudget, localBudgets, RateBudget } from './rate-budget';

/** The pool every Greenhouse call of a process goes through (bounded: Greenhouse's windows are small). */
export function createHarvestAgent(): Agent {
  return new Agent({
    connectTimeout: 5_000,
    headersTimeout: 15_000,
    bodyTimeout: 15_000,
    connections: 16,
    keepAliveTimeout: 10_000,
  });
}

/** How a request proves who it is, and how it gets a fresh proof once when Greenhouse answers 401. */
export interface Authorizer {
  header(): string;
  /** Resolves true when a fresh token is worth one more send. Called at most once per request. */
  refresh?(): Promise<boolean>;
}

export interface GreenhouseRequest {
  method: Dispatcher.HttpMethod;
  url: URL;
  headers?: Record<string, string>;
  /** Whole, so that a retry sends the same bytes. */
  body?: string | Buffer;
  auth?: Authorizer;
  /** The window this call counts in; without one, a 429 is waited out for this request alone. */
  budget?: CallBudget;
  /** May be sent again after a network error, a 5xx or a 429: reads, and writes made idempotent. */
  idempotent: boolean;
  /** Sends for network errors and 5xx (429 waits are bounded by time instead). */
  maxAttempts?: number;
  /** The longest the call waits, in all, for 429s' Retry-After; 0: a 429 is the answer. */
  maxRateLimitWaitMs?: number;
  /**
   * The longest it waits for room in a full window before answering `rate_limited` unsent (default: as
   * long as the window lasts, which is what a probe wants; the proxy's caller may not wait that long).
   */
  maxWindowWaitMs?: number;
  /** Aborts the call, any wait and the answer's body (a caller that hung up). */
  signal?: AbortSignal;
}

/** An answer's body: a stream (the proxy pipes it) that can also be read whole or drained. */
export type AnswerBody = Readable & { text(): Promise<string>; dump(): Promise<void> };

export type GreenhouseAnswer =
  /** Greenhouse answered (a 5xx or 429 too, when retries were spent). The body is the caller's to read. */
  | {
      kind: 'answered';
      status: number;
      headers: Headers;
      body: AnswerBody;
      checkedAt: string;
    }
  /** Not sent: the window has no room within the wait allowed. */
  | { kind: 'rate_limited'; retryAfterMs: number; checkedAt: string }
  | { kind: 'unreachable'; reason: UnavailableReason; message: string; checkedAt: string };

/** An answer whose body was read: JSON when it parses, else its first characters as a message. */
export type ReadAnswer =
  | {
      kind: 'answered';
      status: number;
      headers: Headers;
      body: unknown;
      message?: string;
      checkedAt: string;
    }
  | Exclude<GreenhouseAnswer, { kind: 'answered' }>;

/** One send and what to do next: cockatiel retries while `again` says so. */
interface Attempt {
  answer: GreenhouseAnswer;
  again?: 'backoff' | 'at_once';
}

/**
 * Backoff for network errors and 5xx only: a 429's wait is the budget's (abortable, shared with every call
 * of the account), and a re-mint goes at once. cockatiel's own delay does not follow the abort signal; it
 * is at most MAX_BACKOFF_MS and the next attempt checks the signal before it sends.
 */
const MAX_BACKOFF_MS = 2_000;
function transientBackoff(
  inner: IBackoffFactory<unknown> | IBackoff<unknown>,
): IBackoffFactory<IRetryBackoffContext<Attempt>> {
  return {
    next(context) {
      const again = 'value' in context.result ? context.result.value.again : undefined;
      const step = again === 'backoff' ? inner.next(context) : undefined;
      return { duration: step?.duration ?? 0, next: transientBackoff(step ?? inner).next };
    },
  };
}

/**
 * One policy for every call (it keeps no state per call; one per send allocated a policy, its backoff and
 * its event emitters on the proxy's hot path). Each attempt says whether to go again; `send`'s closures bound each kind of retry.
 */
const RETRIES = retry(
  handleWhenResult((r) => (r as Attempt).again !== undefined),
  {
    maxAttempts: Number.MAX_SAFE_INTEGER,
    backoff: transientBackoff(new ExponentialBackoff({ initialDelay: 100, maxDelay: MAX_BACKOFF_MS })),
  },
);

export interface GreenhouseEngineOptions {
  dispatcher: Dispatcher;
  /** Greenhouse's windows per key (client id for Harvest, `token:<client id>` for mints). */
  budgets?: BudgetSource;
}

/**
 * The one way Greenhouse is called: probes, token mints and introspection, the Audit Log and the proxy all
 * send through `send`. It takes each call's turn in its rate window, sends it, re-authorizes once on a 401,
 * retries what is safe to retry (network errors and 5xx with backoff, bounded by attempts; 429 after its
 * Retry-After, bounded by time; writes only when idempotent), and leaves no body unread: every answer it
 * retries is drained, the answer it returns is the caller's, and an aborted signal destroys it.
 */
export class GreenhouseEngine {
  readonly dispatcher: Dispatcher;
  private readonly budgets: BudgetSource;

  constructor(options: GreenhouseEngineOptions) {
    this.dispatcher = options.dispatcher;
    this.budgets = options.budgets ?? localBudgets(16);
  }

  /** The window calls under `key` share (callers meter their own use of it). */
  budget(key: string): CallBudget {
    return this.budgets(key);
  }

  async send(req: GreenhouseRequest): Promise<GreenhouseAnswer> {
    const maxAttempts = req.maxAttempts ?? 3;
    const started = Date.now();
    const deadline = started + (req.maxRateLimitWaitMs ?? 30_000);
    const windowDeadline = started + (req.maxWindowWaitMs ?? Number.POSITIVE_INFINITY);
    // Without a shared window, one of its own still holds the next send until Retry-After.
    const budget = req.budget ?? new RateBudget(1);
    let failures = 0;
    let refreshed = false;
    const once = async (): Promise<Attempt> => {
      req.signal?.throwIfAborted();
      const checkedAt = () => new Date().toISOString();
      let turn: Awaited<ReturnType<CallBudget['take']>>;
      try {
        turn = await budget.take(req.signal, windowDeadline);
      } catch (error) {
        if (!(error instanceof BudgetExhausted)) throw error;
        return {
          answer: {
            kind: 'rate_limited',
            retryAfterMs: Math.max(0, error.retryAt - Date.now()),
            checkedAt: checkedAt(),
          },
        };
      }
      let response: Dispatcher.ResponseData;
      try {
        response = await request(req.url, {
          method: req.method,
          dispatcher: this.dispatcher,
          headers: {
            accept: 'application/json',
            ...req.headers,
            ...(req.auth ? { authorization: req.auth.header() } : {}),
          },
          ...(req.body !== undefined ? { body: req.body } : {}),
          ...(req.signal ? { signal: req.signal } : {}),
        });
      } catch (error) {
        turn.done();
        if (req.signal?.aborted) throw error;
        failures++;
        const answer = {
          kind: 'unreachable' as const,
          ...classifyNetworkError(error),
          checkedAt: checkedAt(),
        };
        return req.idempotent && failures < maxAttempts ? { answer, again: 'backoff' } : { answer };
      }
      const { statusCode: status, headers } = response;
      turn.done({ status, headers }); // a 429 empties the window until its Retry-After
      const answer: GreenhouseAnswer = {
        kind: 'answered',
        status,
        headers,
        body: response.body,
        checkedAt: checkedAt(),
      };
      let again: Attempt['again'] | undefined;
      if (status === 401 && req.auth?.refresh && !refreshed) {
        // Read before the re-mint: a body left pending would hold a pooled connection the mint may need.
        refreshed = true;
        const text = await response.body.text();
        if (await req.auth.refresh()) return { answer, again: 'at_once' };
        return { answer: { ...answer, body: bodyOf(text) } };
      }
      if (status === 429 && req.idempotent && Date.now() + retryAfterMs(headers) <= deadline)
        again = 'at_once';
      else if (status >= 500 && req.idempotent && ++failures < maxAttempts) again = 'backoff';
      if (again) await response.body.dump();
      return again ? { answer, again } : { answer };
    };
    const last = await RETRIES.execute(once, req.signal);
    return last.answer;
  }

  /** `send`, with the answer's body read and parsed here (every non-streaming caller). */
  async read(req: GreenhouseRequest): Promise<ReadAnswer> {
    const answer = await this.send(req);
    if (answer.kind !== 'answered') return answer;
    let body: unknown;
    try {
      body = await readJson(answer.body);
    } catch (error) {
      if (req.signal?.aborted) throw error;
      return { kind: 'unreachable', ...classifyNetworkError(error), checkedAt: answer.checkedAt };
    }
    const message = messageOf(body);
    return { ...answer, body, ...(message ? { message } : {}) };
  }
}

/** A body read already, as a body again. */
function bodyOf(text: string): AnswerBody {
  return Object.assign(Readable.from([Buffer.from(text)]), {
    text: async () => text,
    dump: async () => {},
  });
}
