import type { Dispatcher } from 'undici';
import type { UnavailableReason } from '../domain/probe';

export type Headers = Dispatcher.ResponseData['headers'];

export async function readJson(body: { text(): Promise<string> }): Promise<unknown> {
  const text = await body.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { message: text.slice(0, 200) };
  }
}

export function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** Greenhouse's error text, from whichever of its error shapes the body uses. */
export function messageOf(value: unknown): string | undefined {
  const body = asObject(value);
  const errors = Array.isArray(body.errors)
    ? body.errors.map((e) => (typeof e === 'string' ? e : String(asObject(e).message ?? ''))).filter(Boolean)
    : [];
  const parts = [body.message, body.error, body.error_description, ...errors].filter(
    (v): v is string => typeof v === 'string' && v.length > 0,
  );
  return parts.length > 0 ? parts.join(': ') : undefined;
}

export function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Greenhouse's `X-RateLimit-*` headers; undefined without a remaining count (the others may be absent). */
export function rateLimitHeaders(
  headers: Headers,
): { remaining: number; limit?: number; resetAtMs?: number } | undefined {
  const remaining = Number(header(headers, 'x-ratelimit-remaining'));
  if (header(headers, 'x-ratelimit-remaining') === undefined || !Number.isFinite(remaining)) return undefined;
  const limit = Number(header(headers, 'x-ratelimit-limit'));
  const reset = Number(header(headers, 'x-ratelimit-reset'));
  return {
    remaining,
    ...(Number.isFinite(limit) && header(headers, 'x-ratelimit-limit') !== undefined ? { limit } : {}),
    ...(Number.isFinite(reset) && header(headers, 'x-ratelimit-reset') !== undefined
      ? { resetAtMs: reset * 1_000 }
      : {}),
  };
}

/** `X-RateLimit-*` of an answer as a window, when it has all three (what a shared budget records). */
export function rateWindowOf(headers: Headers) {
  const seen = rateLimitHeaders(headers);
  if (seen?.limit === undefined || seen.resetAtMs === undefined) return undefined;
  return { limit: seen.limit, remaining: seen.remaining, resetAt: new Date(seen.resetAtMs) };
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date). */
export function retryAfterMs(headers: Headers, fallbackMs = 1_000): number {
  const value = header(headers, 'retry-after');
  if (!value) return fallbackMs;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1_000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : fallbackMs;
}

/** undici's error codes, sorted into the two transient kinds the caller reports. */
export function classifyNetworkError(error: unknown): { reason: UnavailableReason; message: string } {
  const code = (error as { code?: string }).code ?? '';
  const timeout = /TIMEOUT/.test(code) || (error as Error).name === 'TimeoutError';
  return {
    reason: timeout ? 'timeout' : 'network',
    message: timeout
      ? `Greenhouse did not answer in time${code ? ` (${code})` : ''}`
      : `could not reach Greenhouse${code ? ` (${code})` : ''}`,
  };
}

export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
