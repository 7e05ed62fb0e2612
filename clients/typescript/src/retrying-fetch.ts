/** Answers worth another try: rate limited, or a dependency briefly away. */
const RETRY_STATUSES = new Set([429, 502, 503, 504]);
const MAX_DELAY_MS = 8_000;

export interface RetryOptions {
  /** Further attempts after the first (default 2). */
  maxRetries: number;
  fetch: (input: Request) => Promise<Response>;
  /** Paths whose writes get no Idempotency-Key of ours (the proxy: Greenhouse's writes are the caller's call). */
  noAutomaticKey?: (url: URL) => boolean;
}

const newKey = () => `glc_${globalThis.crypto.randomUUID()}`;

function delayOf(response: Response | undefined, attempt: number): number {
  const header = response?.headers.get('retry-after');
  const seconds = header === null || header === undefined ? Number.NaN : Number(header);
  const backoff = Number.isFinite(seconds) ? seconds * 1000 : 250 * 2 ** attempt;
  return Math.min(MAX_DELAY_MS, backoff);
}

/**
 * A fetch that gives every write an Idempotency-Key (unless the caller set one) and retries network errors,
 * 429 and 5xx-unavailable answers with the same key, honouring Retry-After: a retry after a timeout gets the
 * first attempt's answer, never a second link or key.
 */
export function retryingFetch(options: RetryOptions) {
  return async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const write = request.method !== 'GET' && request.method !== 'HEAD';
    if (write && !request.headers.has('idempotency-key') && !options.noAutomaticKey?.(url)) {
      request.headers.set('idempotency-key', newKey());
    }
    const retryable = !write || request.headers.has('idempotency-key');
    for (let attempt = 0; ; attempt += 1) {
      const last = attempt >= options.maxRetries || !retryable;
      const sent = last ? request : request.clone();
      let response: Response | undefined;
      try {
        response = await options.fetch(sent);
      } catch (error) {
        if (last) throw error;
      }
      if (response && (last || !RETRY_STATUSES.has(response.status))) return response;
      await response?.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, delayOf(response, attempt)));
    }
  };
}
