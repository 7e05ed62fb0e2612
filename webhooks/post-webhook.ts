import { type Dispatcher, request } from 'undici';
import type { DeliveryAttempt } from '../store/webhooks';
import { signWebhook } from './standard-webhooks';

export interface WebhookPost {
  url: string;
  /** Every valid secret of the endpoint; during a rotation both the new and the old one sign. */
  secrets: string[];
  /** Stable across retries and replays: the `webhook-id` receivers dedupe on. */
  eventId: string;
  body: string;
  dispatcher?: Dispatcher;
}

export type WebhookOutcome =
  | { kind: 'delivered'; attempt: DeliveryAttempt }
  | { kind: 'gone'; attempt: DeliveryAttempt }
  | { kind: 'failed'; attempt: DeliveryAttempt; retryAfterMs?: number };

/** One signed POST of a webhook (Standard Webhooks headers) and what came of it. Never throws. */
export async function postWebhook(post: WebhookPost): Promise<WebhookOutcome> {
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = post.secrets.map((s) => signWebhook(s, post.eventId, timestamp, post.body)).join(' ');
  const started = Date.now();
  try {
    const response = await request(post.url, {
      method: 'POST',
      dispatcher: post.dispatcher,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Greenlink-Webhooks/1',
        'webhook-id': post.eventId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signature,
      },
      body: post.body,
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    await response.body.dump();
    const attempt = { at: new Date(), httpStatus: response.statusCode, durationMs: Date.now() - started };
    if (response.statusCode >= 200 && response.statusCode < 300) return { kind: 'delivered', attempt };
    if (response.statusCode === 410) return { kind: 'gone', attempt };
    const retryAfter = Number(response.headers['retry-after']);
    return {
      kind: 'failed',
      attempt,
      ...(Number.isFinite(retryAfter) ? { retryAfterMs: retryAfter * 1_000 } : {}),
    };
  } catch (error) {
    const message = (error as { code?: string }).code ?? (error as Error).message;
    return { kind: 'failed', attempt: { at: new Date(), error: message, durationMs: Date.now() - started } };
  }
}
