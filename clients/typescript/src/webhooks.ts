import { Webhook } from 'standardwebhooks';
import type { components } from './schema';

/** Any event Greenlink sends; narrow on `type` (`link.linked`, `link.degraded`…). */
export type WebhookEvent = components['schemas']['WebhookEvent'];
export type WebhookEventType = WebhookEvent['type'];

type HeaderBag = Headers | Record<string, string | string[] | undefined>;

function headerRecord(headers: HeaderBag): Record<string, string> {
  const entries =
    headers instanceof Headers ? [...headers.entries()] : Object.entries(headers as Record<string, unknown>);
  const record: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    record[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return record;
}

/**
 * Checks a delivery's Standard Webhooks signature (`webhook-id`, `webhook-timestamp`, `webhook-signature`,
 * with the endpoint's `whsec_` secret; the timestamp within 5 minutes) over the raw body, exactly as received,
 * and returns the typed event. Throws (standardwebhooks' WebhookVerificationError) when it is not Greenlink's.
 * Dedupe on the `webhook-id` header: a redelivery carries the same one.
 */
export function verifyWebhook(
  rawBody: string | Uint8Array,
  headers: HeaderBag,
  secret: string,
): WebhookEvent {
  const body = typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody);
  const payload = new Webhook(secret).verify(body, headerRecord(headers));
  return payload as WebhookEvent;
}
