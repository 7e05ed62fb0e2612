import type { Request, Response } from 'express';
import { Problem } from './problem';

/** Request bodies to Harvest are JSON records; an attachment's base64 content is the largest. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** All proxied bodies this process holds at once: a flood of slow uploads waits its turn, not in memory. */
export const MAX_BODY_BYTES_IN_FLIGHT = 64 * 1024 * 1024;
/** A body that stops arriving for this long is given up (slowloris). */
export const BODY_IDLE_MS = 10_000;
const RETRY_AFTER_SECONDS = 2;

/**
 * The bytes of proxied bodies being received, across requests. A body's announced length is reserved before
 * it is read; one without a length reserves as it arrives.
 */
export class BodyBytesInFlight {
  private used = 0;

  constructor(private readonly max = MAX_BODY_BYTES_IN_FLIGHT) {}

  get inFlight(): number {
    return this.used;
  }

  take(bytes: number): boolean {
    if (this.used + bytes > this.max) return false;
    this.used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

const busy = () =>
  new Problem(
    503,
    'proxy_busy',
    'Too many uploads in flight',
    `the proxy holds at most ${MAX_BODY_BYTES_IN_FLIGHT / 1024 / 1024} MB of request bodies at once; retry in ${RETRY_AFTER_SECONDS} s`,
    undefined,
    { retryAfterSeconds: RETRY_AFTER_SECONDS },
  );
const tooLarge = () =>
  new Problem(413, 'body_too_large', 'The body is too large', `at most ${MAX_REQUEST_BYTES} bytes`);

/**
 * Reads a proxied call's body whole (a retried write sends the same bytes), within the size cap, the bytes in
 * flight of the process and an idle timeout. Refusals name which; `retry-after` is set on a 503.
 */
export async function readProxyBody(
  req: Request,
  res: Response,
  budget: BodyBytesInFlight,
): Promise<Buffer | undefined> {
  const announced = Number(req.get('content-length'));
  const known = Number.isFinite(announced) && req.get('content-length') !== undefined;
  if (known && announced > MAX_REQUEST_BYTES) throw tooLarge();
  if (known && announced === 0) return undefined;
  let reserved = 0;
  const reserve = (bytes: number) => {
    if (!budget.take(bytes)) {
      res.set('retry-after', String(RETRY_AFTER_SECONDS));
      throw busy();
    }
    reserved += bytes;
  };
  try {
    if (known) reserve(announced);
    const chunks: Buffer[] = [];
    let size = 0;
    let idle: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_resolve, reject) => {
      const arm = () => {
        clearTimeout(idle);
        idle = setTimeout(
          () =>
            reject(
              new Problem(
                408,
                'body_timeout',
                'The body stopped arriving',
                `nothing for ${BODY_IDLE_MS / 1000} s`,
              ),
            ),
          BODY_IDLE_MS,
        );
      };
      arm();
      req.on('data', arm);
    });
    stalled.catch(() => undefined);
    const received = (async () => {
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MAX_REQUEST_BYTES) throw tooLarge();
        if (size > reserved) reserve(size - reserved);
        chunks.push(chunk as Buffer);
      }
    })();
    received.catch(() => undefined); // a stalled body's reader ends when its connection does
    try {
      await Promise.race([received, stalled]);
    } finally {
      clearTimeout(idle);
    }
    // Held until the answer is out: the buffer lives as long as the call to Greenhouse.
    res.once('close', () => budget.give(reserved));
    return size > 0 ? Buffer.concat(chunks) : undefined;
  } catch (error) {
    budget.give(reserved);
    // The rest of a refused body is not read: the connection ends with the answer.
    res.set('connection', 'close');
    throw error;
  }
}
