import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { IdempotencyStore } from '../store/idempotency';
import { Problem } from './problem';

/** Answers kept for replays up to this size (a Harvest write answers with one record, far below it). */
export const REPLAY_BODY_BYTES = 1024 * 1024;

interface KeptAnswer {
  headers: Record<string, string>;
  /** base64; absent when the answer was larger than REPLAY_BODY_BYTES. */
  body?: string;
}

export type WriteClaim =
  | { kind: 'new'; id: string }
  | { kind: 'replay'; status: number; headers: Record<string, string>; body: Buffer | undefined };

/**
 * Proxied writes with `Idempotency-Key`, Stripe's rule: per API key, a key whose write already reached
 * Greenhouse gets its answer again (status, passed headers, body) and is not sent twice; one still running is
 * a 409 `request_in_progress`; the same key with another method, path or body is a 422. Kept 24 h.
 */
export class ProxyReplays {
  constructor(private readonly store: IdempotencyStore) {}

  async claim(
    apiKeyId: string,
    key: string,
    call: { method: string; url: string; body: Buffer | undefined },
  ): Promise<WriteClaim> {
    if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
      throw new Problem(
        400,
        'invalid_idempotency_key',
        'Invalid Idempotency-Key',
        'use 1 to 255 printable ASCII characters',
      );
    }
    const id = `proxy:${apiKeyId}:${key}`;
    const hash = createHash('sha256')
      .update(`${call.method} ${call.url}\n`)
      .update(call.body ?? '')
      .digest('hex');
    const claim = await this.store.claim(id, hash);
    switch (claim.kind) {
      case 'new':
        return { kind: 'new', id };
      case 'mismatch':
        throw new Problem(
          422,
          'idempotency_key_reused',
          'Idempotency-Key reused',
          'this key was used with another method, path or body; use a new key for a new write',
        );
      case 'in_progress':
        throw new Problem(
          409,
          'request_in_progress',
          'Request in progress',
          'a write with this key is still running',
        );
      case 'replay': {
        const kept = claim.body as KeptAnswer;
        return {
          kind: 'replay',
          status: claim.status,
          headers: kept.headers,
          body: kept.body === undefined ? undefined : Buffer.from(kept.body, 'base64'),
        };
      }
    }
  }

  /**
   * Keeps Greenhouse's answer to a claimed write and gives back the body to send on: read whole when it fits
   * REPLAY_BODY_BYTES, else kept without its body and streamed through.
   */
  async keep(
    id: string,
    status: number,
    headers: Record<string, string>,
    body: AsyncIterable<Uint8Array>,
  ): Promise<Readable> {
    const iterator = body[Symbol.asyncIterator]();
    const chunks: Uint8Array[] = [];
    let size = 0;
    let ended = false;
    while (size <= REPLAY_BODY_BYTES) {
      const next = await iterator.next();
      if (next.done) {
        ended = true;
        break;
      }
      chunks.push(next.value);
      size += next.value.length;
    }
    const whole = Buffer.concat(chunks);
    await this.store.complete(id, status, { headers, ...(ended ? { body: whole.toString('base64') } : {}) });
    return Readable.from(
      (async function* () {
        yield whole;
        if (ended) return;
        for (;;) {
          const next = await iterator.next();
          if (next.done) return;
          yield next.value;
        }
      })(),
    );
  }

  /** The write did not get an answer worth keeping (refused before Greenhouse, 429, 5xx): a retry may send it. */
  release(id: string): Promise<void> {
    return this.store.release(id);
  }
}
